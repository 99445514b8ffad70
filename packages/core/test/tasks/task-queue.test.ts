import { settle } from '@keel/testing';
import { gate, setupScheduler } from './fixture.js';

describe('TaskScheduler queue', () => {
  it('runs nothing until a task is queued', async () => {
    const { clock, scheduler, owner } = setupScheduler();
    let runs = 0;
    scheduler.newTask(owner, 'idle', () => void runs++);
    await clock.advance(3_600_000);
    expect(runs).toBe(0);
  });

  it('serves startASAP (last first), then prioritized, then normal, FIFO', async () => {
    const { scheduler, owner } = setupScheduler();
    const order: string[] = [];
    const blocker = gate();
    scheduler.newTask(owner, 'blocker', () => blocker.promise).queue();
    await settle();
    const task = (name: string) => scheduler.newTask(owner, name, () => void order.push(name));
    task('n1').queue();
    task('p1').queuePrioritized();
    task('n2').queue();
    task('a1').startASAP();
    task('p2').queuePrioritized();
    task('a2').startASAP();
    blocker.open();
    await settle(10);
    expect(order).toEqual(['a2', 'a1', 'p1', 'p2', 'n1', 'n2']);
  });

  it('sorts a burst of synchronous queue calls before running any', async () => {
    const { scheduler, owner } = setupScheduler();
    const order: string[] = [];
    const task = (name: string) => scheduler.newTask(owner, name, () => void order.push(name));
    task('n1').queue();
    task('p1').queuePrioritized();
    await settle(10);
    expect(order).toEqual(['p1', 'n1']);
  });

  it('runs a task in several queues once', async () => {
    const { scheduler, owner } = setupScheduler();
    let runs = 0;
    scheduler
      .newTask(owner, 'multi', () => void runs++)
      .queue()
      .queuePrioritized()
      .startASAP();
    await settle(10);
    expect(runs).toBe(1);
  });

  it('moves a queued task whose max delay passed to the front, ahead of startASAP', async () => {
    const { clock, scheduler, owner } = setupScheduler();
    const order: string[] = [];
    const blocker = gate();
    scheduler.newTask(owner, 'blocker', () => blocker.promise).queue();
    await settle();
    const task = (name: string) => scheduler.newTask(owner, name, () => void order.push(name));
    task('n1').queue();
    task('p1').queuePrioritized();
    task('late').maxDelay(100).queue();
    await clock.advance(100);
    task('asap').startASAP();
    blocker.open();
    await settle(10);
    expect(order).toEqual(['late', 'asap', 'p1', 'n1']);
  });

  it('keeps the earlier deadline when a task is queued again', async () => {
    const { clock, scheduler, owner } = setupScheduler();
    const order: string[] = [];
    const blocker = gate();
    scheduler.newTask(owner, 'blocker', () => blocker.promise).queue();
    await settle();
    scheduler.newTask(owner, 'p1', () => void order.push('p1')).queuePrioritized();
    const late = scheduler
      .newTask(owner, 'late', () => void order.push('late'))
      .maxDelay(100)
      .queue();
    await clock.advance(60);
    late.queue(); // must not push its deadline to 160
    await clock.advance(40);
    blocker.open();
    await settle(10);
    expect(order).toEqual(['late', 'p1']);
  });

  it('holds at most `concurrency` run slots', async () => {
    const { scheduler, owner } = setupScheduler({ concurrency: 2 });
    const gates = [gate(), gate(), gate()];
    const started: number[] = [];
    gates.forEach((g, i) =>
      scheduler.newTask(owner, `t${i}`, () => (started.push(i), g.promise)).queue(),
    );
    await settle(10);
    expect(started).toEqual([0, 1]);
    expect(scheduler.stats().slotsInUse).toBe(2);
    gates[1]!.open();
    await settle(10);
    expect(started).toEqual([0, 1, 2]);
    gates[0]!.open();
    gates[2]!.open();
    await settle(10);
    expect(scheduler.stats().slotsInUse).toBe(0);
  });

  it('a run longer than 1 min gives its slot up so the queue goes on', async () => {
    const { clock, scheduler, owner } = setupScheduler();
    const slow = gate();
    const ran: string[] = [];
    scheduler.newTask(owner, 'slow', () => (ran.push('slow'), slow.promise)).queue();
    scheduler
      .newTask(owner, 'next', () => void ran.push('next'))
      .maxDelay(0)
      .queue();
    await clock.advance(59_999);
    expect(ran).toEqual(['slow']);
    await clock.advance(1);
    expect(ran).toEqual(['slow', 'next']);
    expect(owner.running('task')).toBe(1); // the slow one still runs, still counted
    slow.open();
    await settle();
    expect(owner.running('task')).toBe(0);
    expect(scheduler.stats().slotsInUse).toBe(0);
  });

  it('never runs a task twice at once: queueing a running task runs it again after', async () => {
    const { scheduler, owner } = setupScheduler({ concurrency: 3 });
    let concurrent = 0;
    let maxConcurrent = 0;
    let runs = 0;
    const gates = [gate(), gate()];
    const handle = scheduler.newTask(owner, 'once', async () => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      await gates[runs++]!.promise;
      concurrent--;
    });
    handle.queue();
    await settle();
    expect(handle.running).toBe(true);
    handle.queue().startASAP().queuePrioritized();
    await settle(10);
    expect(runs).toBe(1);
    gates[0]!.open();
    await settle(10);
    expect(runs).toBe(2);
    gates[1]!.open();
    await settle(10);
    expect(runs).toBe(2);
    expect(maxConcurrent).toBe(1);
    expect(handle.running).toBe(false);
  });

  it('a queued task waits for an idle microtask slot, at most 30s', async () => {
    const { clock, scheduler, microtasks, owner } = setupScheduler({ limit: 2 });
    const blockers = [gate(), gate()];
    blockers.forEach((g, i) => void microtasks.run(owner, `m${i}`, () => g.promise));
    let runs = 0;
    scheduler.newTask(owner, 'yielding', () => void runs++).queue();
    await clock.advance(29_999);
    expect(runs).toBe(0);
    await clock.advance(1);
    expect(runs).toBe(1);
    scheduler.newTask(owner, 'second', () => void runs++).queue();
    await clock.advance(10);
    expect(runs).toBe(1);
    blockers[0]!.open();
    await settle(10);
    expect(runs).toBe(2);
    blockers[1]!.open();
  });

  it('reports errors as task ModuleErrors, never unhandled, and counts failures', async () => {
    const { scheduler, owner } = setupScheduler();
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown): void => void unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    try {
      const boom = new Error('boom');
      const handle = scheduler.newTask(owner, 'fails', () => Promise.reject(boom)).queue();
      await settle(10);
      expect(owner.reports).toHaveLength(1);
      expect(owner.reports[0]).toMatchObject({ taskName: 'fails', taskType: 'task', cause: boom });
      expect(handle.failures).toBe(1);
      expect(handle.lastError).toBe(boom);
      scheduler
        .newTask(owner, 'sync', () => {
          throw new TypeError('sync throw');
        })
        .queue();
      await settle(10);
      expect(owner.reports.map((r) => r.severity)).toEqual(['error', 'panic']);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('counts each run on the owner while it runs', async () => {
    const { scheduler, owner } = setupScheduler();
    const g = gate();
    const handle = scheduler.newTask(owner, 'counted', () => g.promise).queue();
    await settle();
    expect(owner.running('task')).toBe(1);
    g.open();
    await settle();
    expect(owner.running('task')).toBe(0);
    expect(handle.runs).toBe(1);
    expect(handle.lastDurationMs).toBe(0);
  });

  it('runs nothing before start()', async () => {
    const { scheduler, owner } = setupScheduler({ start: false });
    let runs = 0;
    scheduler.newTask(owner, 'early', () => void runs++).queue();
    await settle(10);
    expect(runs).toBe(0);
    scheduler.start();
    await settle(10);
    expect(runs).toBe(1);
  });
});

describe('TaskScheduler slot hold timer', () => {
  it('is armed only for a run that outlives its call', async () => {
    const { scheduler, owner, timers } = setupScheduler();
    const sizes: number[] = [];
    scheduler.newTask(owner, 'sync', () => void sizes.push(timers.size)).queue();
    await settle();
    const slow = gate();
    scheduler.newTask(owner, 'async', () => slow.promise).queue();
    await settle();
    // The synchronous run saw no hold entry; the running async one has it.
    expect(sizes).toEqual([0]);
    expect(timers.size).toBe(1);
    slow.open();
    await settle();
    expect(timers.size).toBe(0);
  });
});
