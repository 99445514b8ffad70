import { FakeClock } from '@keel/testing';
import {
  isKeelError,
  localFleet,
  MemoryFleet,
  type FleetConnection,
  type FleetConsumerSpec,
  type FleetHost,
  type FleetProvider,
} from '../../src/index.js';
import { silentLogger } from '../helpers.js';

function host(clock: FakeClock, reports: unknown[] = []): FleetHost {
  return {
    clock,
    logger: silentLogger(),
    connectionChanged: () => undefined,
    report: (err) => void reports.push(err),
  };
}

const connect = (
  provider: FleetProvider,
  clock: FakeClock,
  reports?: unknown[],
): Promise<FleetConnection> => provider.connect(host(clock, reports), new AbortController().signal);

const consumerSpec = (extra: Partial<FleetConsumerSpec> = {}): FleetConsumerSpec => ({
  concurrency: 1,
  attempts: 1,
  backoff: { type: 'fixed', delayMs: 1000 },
  timeoutMs: undefined,
  ...extra,
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isKeelError(err) ? err.code : 'not a KeelError';
  }
  return undefined;
}

describe('localFleet', () => {
  it("is a fleet of one: kind 'local', every lease free, first token 1", async () => {
    const clock = new FakeClock();
    const provider = localFleet({ replicaId: 'only' });
    expect(provider.kind).toBe('local');
    const conn = await connect(provider, clock);
    expect(conn.replicaId).toBe('only');
    expect(conn.service).toBe('local');
    expect(await conn.acquire('Billing', 10_000)).toBe(1);
    await conn.heartbeat({ since: clock.now(), leaderOf: ['Billing'] }, 10_000);
    expect(conn.snapshot().replicas).toEqual([
      { replicaId: 'only', since: clock.now(), lastSeen: clock.now(), leaderOf: ['Billing'] },
    ]);
    await conn.close();
  });

  it('names its replica after host and pid by default', async () => {
    const conn = await connect(localFleet(), new FakeClock());
    expect(conn.replicaId).toMatch(new RegExp(`-${process.pid}-[0-9a-f]{6}$`));
    await conn.close();
  });

  it('two kernels share nothing, even with one provider object', async () => {
    const provider = localFleet({ replicaId: 'same' });
    const [c1, c2] = [new FakeClock(), new FakeClock()];
    const [a, b] = [await connect(provider, c1), await connect(localFleet(), c2)];
    const third = await connect(provider, c1);
    expect(await a.acquire('L', 1000)).toBe(1);
    expect(await b.acquire('L', 1000)).toBe(1);
    expect(await third.acquire('L', 1000)).toBe(1);
    await Promise.all([a.close(), b.close(), third.close()]);
  });

  it('close() leaves no timer: delayed jobs, timeouts, pending events, schedules', async () => {
    const clock = new FakeClock();
    const conn = await connect(localFleet(), clock);
    conn.consume(
      'q',
      consumerSpec({ timeoutMs: 60_000, concurrency: 2 }),
      () => new Promise(() => undefined),
    );
    await conn.enqueue('q', '1', {});
    await conn.enqueue('q', '2', { delayMs: 5000 });
    conn.subscribe(
      { topic: 't', hookId: 'h', mode: 'one', maxDeliveries: 3, minIdleMs: 1000 },
      () => Promise.reject(new Error('no')),
    );
    await conn.publish('t', '{}');
    conn.scheduleTask({ key: 'M.t', everyMs: 60_000 }, () => Promise.resolve());
    await clock.settle();
    expect(clock.pendingTimers).toBeGreaterThanOrEqual(4);
    await conn.close();
    expect(clock.pendingDueTimes()).toEqual([]);
    await expect(conn.acquire('x', 1)).rejects.toMatchObject({ code: 'E_FLEET_UNAVAILABLE' });
  });
});

describe('MemoryFleet', () => {
  let clock: FakeClock;
  let hub: MemoryFleet;
  let conns: FleetConnection[];
  beforeEach(() => {
    clock = new FakeClock();
    hub = new MemoryFleet({ clock, service: 'svc', stalledMs: 1000 });
    conns = [];
  });
  afterEach(async () => {
    await Promise.all(conns.map((c) => c.close()));
    expect(clock.pendingTimers).toBe(0);
  });
  const replica = async (id: string, reports?: unknown[]): Promise<FleetConnection> => {
    const c = await connect(hub.provider(id), clock, reports);
    conns.push(c);
    return c;
  };

  it('refuses bad options with coded errors naming them', async () => {
    expect(codeOf(() => new MemoryFleet({} as never))).toBe('E_INVALID_OPTION');
    expect(codeOf(() => new MemoryFleet({ clock, stalledMs: 0 }))).toBe('E_INVALID_OPTION');
    expect(codeOf(() => hub.provider(''))).toBe('E_INVALID_OPTION');
    const a = await replica('a');
    await expect(a.enqueue('q', '1', { priority: -1 })).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
    });
    await expect(a.enqueue('q', '1', { delayMs: Number.NaN })).rejects.toThrow(/delayMs/);
    expect(
      codeOf(() => a.consume('q', consumerSpec({ concurrency: 0 }), async () => undefined)),
    ).toBe('E_INVALID_OPTION');
    expect(codeOf(() => a.scheduleTask({ key: 'M.t' }, async () => undefined))).toBe(
      'E_TASK_OPTIONS',
    );
    expect(
      codeOf(() =>
        a.scheduleTask({ key: 'M.t', everyMs: 1, cron: '* * * * *' }, async () => undefined),
      ),
    ).toBe('E_TASK_OPTIONS');
    expect(codeOf(() => a.scheduleTask({ key: 'M.t', cron: 'nope' }, async () => undefined))).toBe(
      'E_INVALID_CRON',
    );
    await expect(a.acquire('L', 0)).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    await expect(a.heartbeat({ since: 0, leaderOf: [] }, Number.NaN)).rejects.toThrow(/TTL/);
    const sub = { topic: 't', hookId: 'h', mode: 'one' as const, maxDeliveries: 5, minIdleMs: 0 };
    expect(codeOf(() => a.subscribe({ ...sub, maxDeliveries: 0 }, async () => undefined))).toBe(
      'E_INVALID_OPTION',
    );
    expect(
      codeOf(() => a.subscribe({ ...sub, mode: 'some' as never }, async () => undefined)),
    ).toBe('E_INVALID_OPTION');
    expect(codeOf(() => a.subscribe({ ...sub, topic: '' }, async () => undefined))).toBe(
      'E_INVALID_OPTION',
    );
    const aborted = new AbortController();
    aborted.abort();
    await expect(hub.provider('z').connect(host(clock), aborted.signal)).rejects.toMatchObject({
      code: 'E_FLEET_UNAVAILABLE',
    });
  });

  it('delivers asynchronously, never inside publish', async () => {
    const a = await replica('a');
    let delivered = 0;
    a.subscribe(
      { topic: 't', hookId: 'h', mode: 'all', maxDeliveries: 5, minIdleMs: 1000 },
      async () => {
        delivered++;
      },
    );
    const publishing = a.publish('t', '1');
    expect(delivered).toBe(0);
    await publishing;
    await clock.settle();
    expect(delivered).toBe(1);
    expect(a.snapshot().events.h).toEqual({
      delivered: 1,
      pending: 0,
      deadLettered: 0,
      deadLetters: [],
    });
  });

  it("a 'one' group keeps events published while no consumer is subscribed", async () => {
    const [a, b] = [await replica('a'), await replica('b')];
    const spec = {
      topic: 't',
      hookId: 'g',
      mode: 'one' as const,
      maxDeliveries: 5,
      minIdleMs: 1000,
    };
    const h = a.subscribe(spec, async () => undefined);
    await h.close();
    await b.publish('t', '"kept"');
    expect(b.snapshot().events.g?.pending).toBe(1);
    const got: string[] = [];
    b.subscribe(spec, async (d) => void got.push(d.payload));
    await clock.settle();
    expect(got).toEqual(['"kept"']);
  });

  it('dead-letters at the last failed delivery, without waiting another minIdleMs', async () => {
    const a = await replica('a');
    const spec = {
      topic: 't',
      hookId: 'h',
      mode: 'one' as const,
      maxDeliveries: 2,
      minIdleMs: 1000,
    };
    a.subscribe(spec, (d) => Promise.reject(new Error(`no #${d.attempt}`)));
    await a.publish('t', '{}');
    await clock.advance(1000);
    expect(a.snapshot().events.h).toMatchObject({
      deadLettered: 1,
      pending: 0,
      deadLetters: [{ error: 'no #2', at: clock.now() }],
    });
  });

  it('a handler that throws synchronously fails its attempt', async () => {
    const a = await replica('a');
    a.consume(
      'q',
      consumerSpec({ attempts: 2, backoff: { type: 'fixed', delayMs: 10 } }),
      (job) => {
        if (job.attempt === 1) throw new Error('sync throw');
        return Promise.resolve();
      },
    );
    await a.enqueue('q', '{}', {});
    await clock.advance(10);
    expect(a.snapshot().queues.q).toMatchObject({ completed: 1, failed: 0 });
  });

  it('a timeout is a failed attempt with an E_TIMEOUT error naming the job', async () => {
    const a = await replica('a');
    const reasons: unknown[] = [];
    a.consume('q', consumerSpec({ timeoutMs: 500 }), (_job, signal) => {
      signal.addEventListener('abort', () => reasons.push(signal.reason));
      return new Promise(() => undefined);
    });
    const id = await a.enqueue('q', '{}', { jobId: 'slow' });
    await clock.advance(500);
    expect(isKeelError(reasons[0], 'E_TIMEOUT')).toBe(true);
    const q = a.snapshot().queues.q!;
    expect(q).toMatchObject({ failed: 1, active: 0 });
    expect(q.lastFailures[0]).toEqual({
      id,
      error: expect.stringContaining('timed out after 500 ms'),
      at: clock.now(),
    });
  });

  it('schedules cron tasks in their time zone', async () => {
    const a = await replica('a');
    const dueTimes: number[] = [];
    const h = a.scheduleTask(
      { key: 'M.nightly', cron: '0 3 * * *', timezone: 'Europe/Berlin' },
      async (due) => {
        dueTimes.push(due);
      },
    );
    expect(h.nextRunAt).toBe(Date.UTC(2026, 0, 1, 2));
    await clock.advance('2d');
    expect(dueTimes).toEqual([Date.UTC(2026, 0, 1, 2), Date.UTC(2026, 0, 2, 2)]);
    expect(a.snapshot().tasks['M.nightly']).toEqual({
      nextRunAt: Date.UTC(2026, 0, 3, 2),
      lastRunBy: 'a',
    });
  });

  it('the snapshot is JSON and shared by every replica', async () => {
    const [a, b] = [await replica('a'), await replica('b')];
    await a.heartbeat({ since: 1, leaderOf: [] }, 1000);
    await b.enqueue('q', '1', { delayMs: 100 });
    const snap = a.snapshot();
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    expect(b.snapshot()).toEqual(snap);
    expect(snap.queues.q).toEqual({
      waiting: 0,
      active: 0,
      delayed: 1,
      completed: 0,
      failed: 0,
      lastFailures: [],
    });
  });

  it('a host whose connectionChanged and report throw cannot break the fleet', async () => {
    const throwing: FleetHost = {
      ...host(clock),
      connectionChanged: () => {
        throw new Error('listener down');
      },
      report: () => {
        throw new Error('reporter down');
      },
    };
    const a = await hub.provider('a').connect(throwing, new AbortController().signal);
    conns.push(a);
    expect(() => hub.partition('a')).not.toThrow();
    expect(a.connected).toBe(false);
    expect(() => hub.heal('a')).not.toThrow();
    expect(a.connected).toBe(true);
  });
});
