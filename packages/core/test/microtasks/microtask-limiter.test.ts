import { MicroTaskLimiter } from '../../src/microtasks/microtask-limiter.js';
import { TimerHeap } from '../../src/time/timer-heap.js';
import { KeelError } from '../../src/errors/keel-error.js';
import { FakeClock, settle } from '@keel/testing';
import { FakeOwner } from '../tasks/fake-owner.js';

function setup(limit = 2) {
  const clock = new FakeClock(Date.UTC(2024, 0, 1));
  const timers = new TimerHeap(clock, (err) => {
    throw err;
  });
  const limiter = new MicroTaskLimiter({ timers, limit });
  return { clock, timers, limiter, owner: new FakeOwner() };
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Fills every slot with a microtask that runs until the returned function is called. */
function fill(
  limiter: MicroTaskLimiter,
  owner: FakeOwner,
  count = limiter.limit,
): Array<() => void> {
  return Array.from({ length: count }, (_, i) => {
    const g = gate();
    void limiter.run(owner, `blocker${i}`, () => g.promise);
    return g.open;
  });
}

describe('MicroTaskLimiter limit', () => {
  it('raises values below 2 to 2, also at runtime', () => {
    const { limiter } = setup(0);
    expect(limiter.limit).toBe(2);
    limiter.limit = 7;
    expect(limiter.limit).toBe(7);
    limiter.limit = 1;
    expect(limiter.limit).toBe(2);
  });

  it('rejects a limit that is not a number', () => {
    const { limiter } = setup();
    expect(() => (limiter.limit = Number.NaN)).toThrow(
      expect.objectContaining({ code: 'E_INVALID_OPTION' }),
    );
  });

  it('admits waiters at once when the limit is raised', async () => {
    const { limiter, owner } = setup(2);
    fill(limiter, owner);
    const started: string[] = [];
    void limiter.run(owner, 'a', () => void started.push('a'));
    void limiter.run(owner, 'b', () => void started.push('b'));
    await settle();
    expect(started).toEqual([]);
    limiter.limit = 4;
    await settle();
    expect(started).toEqual(['a', 'b']);
  });
});

describe('MicroTaskLimiter admission', () => {
  it('runs at most `limit` at once and serves waiters FIFO as slots free up', async () => {
    const { limiter, owner } = setup(2);
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    gates.forEach((g, i) => void limiter.run(owner, `t${i}`, () => (started.push(i), g.promise)));
    await settle();
    expect(started).toEqual([0, 1]);
    expect(limiter.stats()).toEqual({
      limit: 2,
      inUse: 2,
      waiting: { medium: 2, low: 0 },
      overdue: 0,
    });
    expect(owner.running('microtask')).toBe(2);
    gates[1]!.open();
    await settle();
    expect(started).toEqual([0, 1, 2]);
    gates[0]!.open();
    await settle();
    expect(started).toEqual([0, 1, 2, 3]);
    gates[2]!.open();
    gates[3]!.open();
    await settle();
    expect(limiter.inUse).toBe(0);
    expect(owner.running('microtask')).toBe(0);
  });

  it('calls fn synchronously when a slot is free (no extra turn on the fast path)', () => {
    const { limiter, owner } = setup();
    let called = false;
    void limiter.run(owner, 'fast', () => {
      called = true;
    });
    expect(called).toBe(true);
  });

  it('serves medium before low, FIFO within each', async () => {
    const { limiter, owner } = setup(2);
    const blockers = fill(limiter, owner);
    const order: string[] = [];
    const enqueue = (name: string, priority: 'medium' | 'low'): void =>
      void limiter.run(owner, name, () => void order.push(name), { priority });
    enqueue('low1', 'low');
    enqueue('med1', 'medium');
    enqueue('low2', 'low');
    enqueue('med2', 'medium');
    await settle();
    expect(limiter.stats().waiting).toEqual({ medium: 2, low: 2 });
    limiter.limit = 3; // one slot at a time: each admitted one ends at once
    await settle();
    expect(order).toEqual(['med1', 'med2', 'low1', 'low2']);
    blockers.forEach((open) => open());
  });

  it('a new medium request waits behind waiting ones even if a slot is free meanwhile', async () => {
    const { limiter, owner } = setup(2);
    const blockers = fill(limiter, owner);
    const order: string[] = [];
    void limiter.run(owner, 'first', () => void order.push('first'));
    blockers[0]!();
    void limiter.run(owner, 'second', () => void order.push('second'));
    await settle();
    expect(order).toEqual(['first', 'second']);
    blockers[1]!();
  });

  it('high priority never waits but occupies a slot while it runs', async () => {
    const { limiter, owner } = setup(2);
    const blockers = fill(limiter, owner);
    const high = gate();
    let highRan = false;
    void limiter.run(owner, 'high', () => ((highRan = true), high.promise), { priority: 'high' });
    expect(highRan).toBe(true);
    expect(limiter.inUse).toBe(3);
    let mediumRan = false;
    void limiter.run(owner, 'medium', () => void (mediumRan = true));
    blockers[0]!();
    await settle();
    // 3 - 1 = 2 in use: still at the limit, so the medium one keeps waiting.
    expect(limiter.inUse).toBe(2);
    expect(mediumRan).toBe(false);
    high.open();
    await settle();
    expect(mediumRan).toBe(true);
    blockers[1]!();
  });
});

describe('MicroTaskLimiter max delay', () => {
  it('runs a waiter anyway after its max delay, counts it overdue, and it takes a slot', async () => {
    const { clock, limiter, owner } = setup(2);
    const blockers = fill(limiter, owner);
    const ran: string[] = [];
    const hold = gate();
    void limiter.run(owner, 'custom', () => void ran.push('custom'), { maxDelay: 200 });
    void limiter.run(owner, 'medium', () => (ran.push('medium'), hold.promise));
    void limiter.run(owner, 'low', () => void ran.push('low'), { priority: 'low' });
    await clock.advance(199);
    expect(ran).toEqual([]);
    await clock.advance(1);
    expect(ran).toEqual(['custom']);
    await clock.advance(799);
    expect(ran).toEqual(['custom']);
    await clock.advance(1);
    expect(ran).toEqual(['custom', 'medium']);
    expect(limiter.inUse).toBe(3); // the overdue medium one occupies a slot beyond the limit
    await clock.advance(2000);
    expect(ran).toEqual(['custom', 'medium', 'low']);
    expect(limiter.stats().overdue).toBe(3);
    expect(limiter.stats().waiting).toEqual({ medium: 0, low: 0 });
    hold.open();
    blockers.forEach((open) => open());
    await settle();
    expect(limiter.inUse).toBe(0);
  });

  it('keeps one kernel timer for any number of waiters (one heap entry per max delay)', async () => {
    const { clock, timers, limiter, owner } = setup(2);
    const blockers = fill(limiter, owner);
    let ran = 0;
    for (let i = 0; i < 10_000; i++)
      void limiter.run(owner, 'w', () => void ran++, { priority: i % 2 ? 'low' : 'medium' });
    expect(limiter.stats().waiting).toEqual({ medium: 5000, low: 5000 });
    expect(timers.size).toBe(2);
    expect(clock.pendingTimers).toBe(1);
    blockers.forEach((open) => open());
    await settle(10);
    expect(ran).toBe(10_000);
    expect(limiter.stats().overdue).toBe(0);
    expect(limiter.inUse).toBe(0);
  });

  it('a lane timer that fires for a waiter already admitted moves on to the next one', async () => {
    const { clock, limiter, owner } = setup(2);
    const blockers = fill(limiter, owner);
    const ran: string[] = [];
    const hold = gate();
    void limiter.run(owner, 'a', () => (ran.push('a'), hold.promise));
    await clock.advance(500);
    blockers[0]!(); // 'a' gets the slot before its deadline at 1000, and keeps it
    await clock.advance(100);
    void limiter.run(owner, 'b', () => void ran.push('b')); // deadline 1600
    void limiter.run(owner, 'c', () => void ran.push('c')); // deadline 1600
    await clock.advance(400); // t = 1000: the lane's timer fires for 'a', which is gone
    expect(ran).toEqual(['a']);
    await clock.advance(599);
    expect(ran).toEqual(['a']);
    await clock.advance(1);
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(limiter.stats().overdue).toBe(2);
    hold.open();
    blockers[1]!();
  });

  it('a waiter admitted before its deadline is not counted overdue later', async () => {
    const { clock, limiter, owner } = setup(2);
    const blockers = fill(limiter, owner);
    void limiter.run(owner, 'w', () => undefined);
    blockers[0]!();
    await settle();
    await clock.advance(5000);
    expect(limiter.stats().overdue).toBe(0);
    blockers[1]!();
  });
});

describe('MicroTaskLimiter run/start/signal', () => {
  it('rejects with the original error after reporting it', async () => {
    const { limiter, owner } = setup();
    const boom = new Error('boom');
    await expect(
      limiter.run(owner, 'fails', () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(owner.reports).toHaveLength(1);
    expect(owner.reports[0]).toMatchObject({
      taskName: 'fails',
      taskType: 'microtask',
      cause: boom,
    });
    expect(limiter.inUse).toBe(0);
    expect(owner.running('microtask')).toBe(0);
  });

  it('resolves with the value and passes the module signal', async () => {
    const { limiter, owner } = setup();
    await expect(
      limiter.run(owner, 'v', (signal) => Promise.resolve(signal === owner.signal)),
    ).resolves.toBe(true);
  });

  it('start reports a failure and never leaves an unhandled rejection', async () => {
    const { limiter, owner } = setup();
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown): void => void unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    try {
      limiter.start(owner, 'bg', () => Promise.reject(new Error('bg failed')));
      await settle();
      expect(owner.reports.map((r) => r.message)).toEqual(['bg failed']);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('signal takes a slot counted on the owner; done is idempotent', async () => {
    const { limiter, owner } = setup(2);
    const done = await limiter.signal(owner, { name: 'io' });
    expect(limiter.inUse).toBe(1);
    expect(owner.running('microtask')).toBe(1);
    done();
    done();
    expect(limiter.inUse).toBe(0);
    expect(owner.running('microtask')).toBe(0);
  });

  it('signal applies the default max delay when the limit is reached', async () => {
    const { clock, limiter, owner } = setup(2);
    const blockers = fill(limiter, owner);
    let done: (() => void) | undefined;
    void limiter.signal(owner, { priority: 'low' }).then((d) => (done = d));
    await clock.advance(2999);
    expect(done).toBeUndefined();
    await clock.advance(1);
    expect(done).toBeInstanceOf(Function);
    done!();
    blockers.forEach((open) => open());
  });

  it('signal returns an idempotent done', async () => {
    const { limiter, owner } = setup(2);
    const done = await limiter.signal(owner, { priority: 'medium' });
    expect(limiter.inUse).toBe(1);
    done();
    done();
    expect(limiter.inUse).toBe(0);
  });

  it('rejects bad options with coded errors naming the microtask', async () => {
    const { limiter, owner } = setup();
    const bad = { priority: 'urgent' } as unknown as { priority: 'high' };
    await expect(limiter.run(owner, 'p', () => 1, bad)).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
      message: expect.stringContaining('microtask "p" of module "mod"') as unknown,
    });
    await expect(limiter.run(owner, 'd', () => 1, { maxDelay: -5 })).rejects.toBeInstanceOf(
      KeelError,
    );
    await expect(limiter.run(owner, 'd', () => 1, { maxDelay: 'soon' })).rejects.toMatchObject({
      code: 'E_INVALID_DURATION',
    });
    expect(() => limiter.start(owner, 's', () => 1, bad)).toThrow(KeelError);
    expect(limiter.inUse).toBe(0);
  });
});

describe('MicroTaskLimiter shutdown and timeslots', () => {
  it('releaseAll admits every waiter now and every later one at once', async () => {
    const { timers, limiter, owner } = setup(2);
    const blockers = fill(limiter, owner);
    const ran: string[] = [];
    void limiter.run(owner, 'a', () => void ran.push('a'));
    void limiter.run(owner, 'b', () => void ran.push('b'), { priority: 'low' });
    limiter.releaseAll();
    expect(limiter.shuttingDown).toBe(true);
    expect(timers.size).toBe(0);
    await settle();
    expect(ran).toEqual(['a', 'b']);
    void limiter.run(owner, 'c', () => void ran.push('c'));
    expect(ran).toEqual(['a', 'b', 'c']);
    await expect(limiter.waitForIdle(30_000)).resolves.toBeUndefined();
    blockers.forEach((open) => open());
    await settle();
    expect(limiter.inUse).toBe(0);
  });

  it('waitForIdle resolves at once when idle and takes no slot', async () => {
    const { limiter } = setup(2);
    await limiter.waitForIdle(30_000);
    expect(limiter.inUse).toBe(0);
  });

  it('waitForIdle waits until a slot is free and no microtask waits', async () => {
    const { limiter, owner } = setup(2);
    const blockers = fill(limiter, owner);
    const hold = gate();
    void limiter.run(owner, 'waiting', () => hold.promise);
    let idle = false;
    void limiter.waitForIdle(30_000).then(() => (idle = true));
    blockers[0]!(); // the waiting microtask takes the freed slot: still not idle
    await settle();
    expect(idle).toBe(false);
    blockers[1]!();
    await settle();
    expect(idle).toBe(true);
    hold.open();
  });

  it('waitForIdle gives up after its max wait', async () => {
    const { clock, timers, limiter, owner } = setup(2);
    const blockers = fill(limiter, owner);
    let idle = false;
    void limiter.waitForIdle(30_000).then(() => (idle = true));
    await clock.advance(29_999);
    expect(idle).toBe(false);
    await clock.advance(1);
    expect(idle).toBe(true);
    expect(timers.size).toBe(0);
    blockers.forEach((open) => open());
  });
});
