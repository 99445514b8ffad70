import { settle } from '@keel/testing';
import { mayReadArguments } from '../../src/tasks/signal-use.js';
import { gate, setupScheduler } from './fixture.js';

describe('mayReadArguments', () => {
  it('is false only for a function that cannot see its arguments', () => {
    expect(mayReadArguments(() => undefined)).toBe(false);
    expect(mayReadArguments(async () => undefined)).toBe(false);
    expect(mayReadArguments(function named() {})).toBe(false);
    expect(mayReadArguments({ method() {} }.method)).toBe(false);
  });

  it('is true for parameters, rest and default parameters, `arguments` and unreadable source', () => {
    expect(mayReadArguments((signal: AbortSignal) => signal)).toBe(true);
    expect(mayReadArguments((...args: unknown[]) => args)).toBe(true);
    expect(mayReadArguments((signal: number = 1) => signal)).toBe(true);
    expect(
      mayReadArguments(function () {
        // eslint-disable-next-line prefer-rest-params -- reading `arguments` is the point
        return arguments[0] as unknown;
      }),
    ).toBe(true);
    expect(mayReadArguments((() => undefined).bind(null))).toBe(true);
    expect(mayReadArguments(Math.max)).toBe(true);
    expect(mayReadArguments(new Proxy(() => undefined, {}))).toBe(true);
  });
});

describe('TaskRunner run path', () => {
  it('gives a function that reads its arguments its own signal, aborted by cancel()', async () => {
    const { scheduler, owner } = setupScheduler();
    const held = gate();
    let seen: AbortSignal | undefined;
    const rest = scheduler.newTask(owner, 'rest', async (...args: unknown[]) => {
      seen = args[0] as AbortSignal;
      await held.promise;
    });
    rest.queue();
    await settle();
    expect(seen).toBeInstanceOf(AbortSignal);
    expect(seen).not.toBe(owner.signal);
    rest.cancel();
    expect(seen!.aborted).toBe(true);
    expect(owner.signal.aborted).toBe(false);
    held.open();
    await settle();
  });

  it('ends a run whose function returns no promise at once, and runs the next in the same turn', async () => {
    const { scheduler, owner } = setupScheduler();
    const order: string[] = [];
    const a = scheduler.newTask(owner, 'a', () => void order.push('a'));
    const b = scheduler.newTask(owner, 'b', () => void order.push('b'));
    a.queue();
    b.queue();
    await Promise.resolve();
    await Promise.resolve();
    expect(order).toEqual(['a', 'b']);
    expect(a.running).toBe(false);
    expect(a.runs).toBe(1);
    expect(a.lastDurationMs).not.toBeNull();
    expect(owner.active.get('task')).toBe(0);
  });

  it('reports a synchronous throw as the run failure and goes on with the queue', async () => {
    const { scheduler, owner } = setupScheduler();
    const boom = new Error('boom');
    const bad = scheduler.newTask(owner, 'bad', () => {
      throw boom;
    });
    let ran = false;
    bad.queue();
    scheduler.newTask(owner, 'next', () => void (ran = true)).queue();
    await settle();
    expect(bad.failures).toBe(1);
    expect(bad.lastError).toBe(boom);
    expect(owner.reports.map((r) => r.cause)).toEqual([boom]);
    expect(ran).toBe(true);
  });

  it('reports a thenable whose then throws as the run failure', async () => {
    const { scheduler, owner } = setupScheduler();
    const boom = new Error('then');
    const task = scheduler.newTask(owner, 'thenable', () => ({
      then() {
        throw boom;
      },
    }));
    task.queue();
    await settle();
    expect(task.failures).toBe(1);
    expect(task.lastError).toBe(boom);
    expect(task.running).toBe(false);
  });

  it('a task that queues itself while running runs again after the run, once per queue()', async () => {
    const { scheduler, owner } = setupScheduler();
    let runs = 0;
    const task = scheduler.newTask(owner, 'again', (_signal, self) => {
      if (++runs < 3) self.queue();
    });
    task.queue();
    await settle(10);
    expect(runs).toBe(3);
    expect(task.queued).toBe(false);
  });

  it('keeps statistics after its queue state is dropped and reused by other tasks', async () => {
    const { clock, scheduler, owner } = setupScheduler();
    const fired: string[] = [];
    const tasks = Array.from({ length: 300 }, (_, i) =>
      scheduler
        .newTask(owner, `t${i}`, () => void fired.push(`t${i}`))
        .schedule(new Date(clock.now() + 10 + (i % 3))),
    );
    await clock.advance(20);
    expect(fired).toHaveLength(300);
    expect(tasks.every((t) => t.runs === 1 && !t.queued && t.nextRunAt === null)).toBe(true);
    // Again, with state taken from the spares: each still runs as itself.
    fired.length = 0;
    for (const t of tasks.slice(0, 5)) t.queue();
    await settle(10);
    expect(fired).toEqual(['t0', 't1', 't2', 't3', 't4']);
    expect(tasks[0]!.runs).toBe(2);
    expect(scheduler.stats().queued).toEqual({ overdue: 0, prioritized: 0, normal: 0, parked: 0 });
  });
});

describe('mayReadArguments edge cases', () => {
  it('reads an arrow of no parameter as blind even when its body names `arguments`', () => {
    function outer(): () => unknown {
      return () => arguments.length;
    }
    expect(mayReadArguments(outer())).toBe(false);
  });

  it('counts comments in the parameter list and computed method names as "may read"', () => {
    // prettier-ignore
    const commented = (/* signal */) => undefined;
    expect(mayReadArguments(commented)).toBe(true);
    const computed = { [String('m')]() {} }['m']!;
    expect(mayReadArguments(computed)).toBe(true);
    expect(mayReadArguments(async function* gen() {})).toBe(false);
  });
});
