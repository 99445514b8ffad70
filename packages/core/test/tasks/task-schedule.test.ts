import { settle } from '@keel/testing';
import { gate, setupScheduler } from './fixture.js';

describe('TaskHandle schedule', () => {
  it('queues at the scheduled time, never earlier', async () => {
    const { clock, scheduler, owner } = setupScheduler();
    const starts: number[] = [];
    const t0 = clock.now();
    const handle = scheduler.newTask(owner, 's', () => void starts.push(clock.now() - t0));
    handle.schedule(new Date(t0 + 1500));
    expect(handle.nextRunAt).toEqual(new Date(t0 + 1500));
    await clock.advance(1499);
    expect(starts).toEqual([]);
    await clock.advance(1);
    expect(starts).toEqual([1500]);
    expect(handle.nextRunAt).toBeNull();
  });

  it('a due task goes to the front of the prioritized queue', async () => {
    const { clock, scheduler, owner } = setupScheduler();
    const order: string[] = [];
    const blocker = gate();
    scheduler.newTask(owner, 'blocker', () => blocker.promise).queue();
    await settle();
    scheduler.newTask(owner, 'p1', () => void order.push('p1')).queuePrioritized();
    scheduler
      .newTask(owner, 'due', () => void order.push('due'))
      .schedule(new Date(clock.now() + 10));
    await clock.advance(10);
    blocker.open();
    await settle(10);
    expect(order).toEqual(['due', 'p1']);
  });

  it('a run uses up a pending schedule', async () => {
    const { clock, timers, scheduler, owner } = setupScheduler();
    let runs = 0;
    const handle = scheduler.newTask(owner, 'once', () => void runs++);
    handle.schedule(new Date(clock.now() + 5000)).queue();
    await settle(10);
    expect(runs).toBe(1);
    expect(handle.nextRunAt).toBeNull();
    await clock.advance(10_000);
    expect(runs).toBe(1);
    expect(timers.size).toBe(0);
  });

  it('schedule(null) un-queues without canceling', async () => {
    const { clock, timers, scheduler, owner } = setupScheduler();
    let runs = 0;
    const blocker = gate();
    scheduler.newTask(owner, 'blocker', () => blocker.promise).queue();
    await settle();
    const handle = scheduler
      .newTask(owner, 'u', () => void runs++)
      .queue()
      .schedule(new Date(clock.now() + 50));
    handle.schedule(null);
    blocker.open();
    await clock.advance(100);
    expect(runs).toBe(0);
    expect(handle.queued).toBe(false);
    expect(timers.size).toBe(0);
    handle.queue();
    await settle(10);
    expect(runs).toBe(1);
  });

  it('rejects an invalid Date, naming task and module', () => {
    const { scheduler, owner } = setupScheduler();
    const handle = scheduler.newTask(owner, 'bad', () => undefined);
    expect(() => handle.schedule(new Date('nope'))).toThrow(
      expect.objectContaining({
        code: 'E_INVALID_DATE',
        module: 'mod',
        message: expect.stringContaining('task "bad" of module "mod"') as unknown,
      }),
    );
    expect(() => handle.schedule(12 as unknown as Date)).toThrow(
      expect.objectContaining({ code: 'E_INVALID_DATE' }),
    );
  });
});

describe('TaskHandle repeat', () => {
  it('first runs one interval from now, then one interval after each run ENDS', async () => {
    const { clock, timers, scheduler, owner } = setupScheduler();
    const t0 = clock.now();
    const starts: number[] = [];
    scheduler
      .newTask(owner, 'r', async () => {
        starts.push(clock.now() - t0);
        await timers.sleep(300);
      })
      .repeat(1000);
    await clock.advance(4000);
    expect(starts).toEqual([1000, 2300, 3600]);
  });

  it('has no minimum interval', async () => {
    const { clock, scheduler, owner } = setupScheduler();
    let runs = 0;
    scheduler.newTask(owner, 'fast', () => void runs++).repeat(10);
    await clock.advance(100);
    expect(runs).toBe(10);
  });

  it('a next run set during the run wins over the repeat', async () => {
    const { clock, scheduler, owner } = setupScheduler();
    const t0 = clock.now();
    const starts: number[] = [];
    scheduler
      .newTask(owner, 'self', (_signal, task) => {
        starts.push(clock.now() - t0);
        if (starts.length === 1) task.schedule(new Date(clock.now() + 5000));
      })
      .repeat(1000);
    await clock.advance(8000);
    expect(starts).toEqual([1000, 6000, 7000, 8000]);
  });

  it('keeps repeating after a failed run', async () => {
    const { clock, scheduler, owner } = setupScheduler();
    let runs = 0;
    scheduler
      .newTask(owner, 'flaky', () => {
        runs++;
        throw new Error('flaky');
      })
      .repeat(100);
    await clock.advance(300);
    expect(runs).toBe(3);
    expect(owner.reports).toHaveLength(3);
  });

  it('repeat(0) stops repeating; negative or invalid intervals throw', async () => {
    const { clock, scheduler, owner } = setupScheduler();
    let runs = 0;
    const handle = scheduler.newTask(owner, 'r', () => void runs++).repeat(100);
    await clock.advance(100);
    handle.repeat(0);
    await clock.advance(1000);
    expect(runs).toBe(2); // the run already scheduled before repeat(0) still happens
    expect(() => handle.repeat(-1)).toThrow(
      expect.objectContaining({ code: 'E_INVALID_DURATION' }),
    );
    expect(() => handle.repeat('often')).toThrow(
      expect.objectContaining({
        code: 'E_INVALID_DURATION',
        message: expect.stringContaining('task "r" of module "mod"') as unknown,
      }),
    );
    expect(() => handle.maxDelay(-1)).toThrow(
      expect.objectContaining({ code: 'E_INVALID_DURATION' }),
    );
  });

  it('accepts duration strings', async () => {
    const { clock, scheduler, owner } = setupScheduler();
    const handle = scheduler.newTask(owner, 'r', () => undefined).repeat('5m');
    expect(handle.nextRunAt?.getTime()).toBe(clock.now() + 300_000);
  });
});

describe('TaskHandle cancel', () => {
  it('aborts a running run, drops its repeat and never runs again', async () => {
    const { clock, timers, scheduler, owner } = setupScheduler();
    let signal: AbortSignal | undefined;
    let runs = 0;
    const handle = scheduler
      .newTask(owner, 'c', async (s) => {
        runs++;
        signal = s;
        await new Promise((_, reject) =>
          s.addEventListener('abort', () => reject(s.reason as Error)),
        );
      })
      .repeat(100);
    await clock.advance(100);
    expect(handle.running).toBe(true);
    handle.cancel();
    expect(signal?.aborted).toBe(true);
    await settle();
    expect(handle.running).toBe(false);
    expect(handle.canceled).toBe(true);
    expect(owner.reports).toEqual([]); // ended by its abort: not a failure
    handle.queue().repeat(10).startASAP();
    await clock.advance(1000);
    expect(runs).toBe(1);
    expect(timers.size).toBe(0);
    expect(scheduler.tasksOf(owner)).toEqual([]);
  });

  it('a canceled queued task never runs', async () => {
    const { scheduler, owner } = setupScheduler();
    let runs = 0;
    scheduler
      .newTask(owner, 'c', () => void runs++)
      .queue()
      .cancel();
    await settle(10);
    expect(runs).toBe(0);
    expect(scheduler.stats().queued).toEqual({ overdue: 0, prioritized: 0, normal: 0, parked: 0 });
  });
});

describe('TaskScheduler scale', () => {
  it('keeps 100,000 scheduled tasks on ONE armed clock timer', async () => {
    const { clock, timers, scheduler, owner } = setupScheduler({ concurrency: 8 });
    const t0 = clock.now();
    let runs = 0;
    for (let i = 0; i < 100_000; i++) {
      scheduler.newTask(owner, `t${i}`, () => void runs++).schedule(new Date(t0 + 1000 + i));
    }
    expect(timers.size).toBe(100_000);
    expect(clock.pendingTimers).toBe(1);
    expect(scheduler.stats().scheduled).toBe(100_000);
    await clock.advance(1009);
    expect(runs).toBe(10);
    expect(clock.pendingTimers).toBe(1);
    scheduler.stop();
    expect(timers.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});
