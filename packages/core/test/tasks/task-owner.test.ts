import { FakeOwner } from './fake-owner.js';
import { settle } from '@keel/testing';
import { gate, setupScheduler } from './fixture.js';

describe('TaskScheduler and module state', () => {
  it('refuses newTask on a module that is neither starting nor online', () => {
    const { scheduler } = setupScheduler();
    const owner = new FakeOwner('db', 'offline');
    expect(() => scheduler.newTask(owner, 'cleanup', () => undefined)).toThrow(
      expect.objectContaining({
        code: 'E_TASK_NOT_ALLOWED',
        module: 'db',
        message: expect.stringMatching(/"db".*"cleanup".*start\(\) or later/s) as unknown,
      }),
    );
  });

  it('a task of a starting module waits until it is online, without blocking others', async () => {
    const { scheduler } = setupScheduler();
    const starting = new FakeOwner('starting', 'starting');
    const online = new FakeOwner('online');
    const order: string[] = [];
    scheduler.newTask(starting, 's1', () => void order.push('s1')).queue();
    scheduler.newTask(starting, 's2', () => void order.push('s2')).queue();
    scheduler.newTask(online, 'o1', () => void order.push('o1')).queue();
    await settle(10);
    expect(order).toEqual(['o1']);
    expect(scheduler.stats().queued.parked).toBe(2);
    const blocker = gate();
    scheduler.newTask(online, 'blocker', () => blocker.promise).queue();
    await settle();
    scheduler.newTask(online, 'o2', () => void order.push('o2')).queue();
    starting.goOnline();
    await settle(10);
    blocker.open();
    await settle(10);
    // Parked tasks return to the front of their queue, in their order.
    expect(order).toEqual(['o1', 's1', 's2', 'o2']);
  });

  it('drops parked tasks when their module will not come online', async () => {
    const { scheduler, timers } = setupScheduler();
    const starting = new FakeOwner('starting', 'starting');
    let runs = 0;
    const handle = scheduler.newTask(starting, 's', () => void runs++).queue();
    await settle(10);
    starting.beginStop();
    await settle(10);
    expect(runs).toBe(0);
    expect(handle.canceled).toBe(true);
    expect(scheduler.stats().queued.parked).toBe(0);
    expect(timers.size).toBe(0);
  });

  it('aborts the run signal when the module signal aborts', async () => {
    const { scheduler, owner } = setupScheduler();
    let signal: AbortSignal | undefined;
    const g = gate();
    scheduler.newTask(owner, 'long', (s) => ((signal = s), g.promise)).queue();
    await settle();
    expect(signal?.aborted).toBe(false);
    owner.beginStop();
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(owner.signal.reason);
    g.open();
  });

  it('dropOwner drops queued, scheduled and repeating tasks and aborts running ones', async () => {
    const { clock, timers, scheduler, owner } = setupScheduler();
    const other = new FakeOwner('other');
    let signal: AbortSignal | undefined;
    const running = gate();
    let runs = 0;
    const active = scheduler
      .newTask(owner, 'running', (s) => ((signal = s), running.promise))
      .repeat(10);
    await clock.advance(10);
    expect(active.running).toBe(true);
    const queued = scheduler.newTask(owner, 'queued', () => void runs++).queue();
    scheduler.newTask(owner, 'scheduled', () => void runs++).schedule(new Date(clock.now() + 100));
    scheduler.newTask(owner, 'repeating', () => void runs++).repeat(50);
    const kept = scheduler.newTask(other, 'kept', () => undefined).repeat(1000);
    expect(scheduler.tasksOf(owner)).toHaveLength(4);

    scheduler.dropOwner(owner);
    owner.beginStop();
    expect(signal?.aborted).toBe(true);
    expect(scheduler.tasksOf(owner)).toEqual([]);
    expect(queued.canceled).toBe(true);
    expect(timers.size).toBe(2); // the running task's 1-min slot timer and the other module's repeat
    running.open();
    await clock.advance(1000);
    expect(runs).toBe(0);
    expect(active.runs).toBe(1);
    expect(timers.size).toBe(1);
    expect(kept.runs).toBe(1);
    expect(scheduler.stats().slotsInUse).toBe(0);
  });

  it('a task does not survive a stop and restart of its module', async () => {
    const { scheduler, owner } = setupScheduler();
    let runs = 0;
    const handle = scheduler.newTask(owner, 'old', () => void runs++);
    owner.beginStop();
    scheduler.dropOwner(owner);
    owner.restart();
    owner.goOnline();
    handle.queue();
    await settle(10);
    expect(runs).toBe(0);
  });

  it('stop() drops queues and schedule; nothing new runs; running tasks finish', async () => {
    const { clock, timers, scheduler, owner } = setupScheduler();
    const g = gate();
    let finished = false;
    let runs = 0;
    scheduler
      .newTask(owner, 'running', async () => {
        await g.promise;
        finished = true;
      })
      .queue();
    await settle();
    scheduler.newTask(owner, 'queued', () => void runs++).queue();
    scheduler.newTask(owner, 'scheduled', () => void runs++).repeat(10);
    scheduler.stop();
    expect(timers.size).toBe(1); // only the running task's slot timer
    g.open();
    await clock.advance(1000);
    expect(finished).toBe(true);
    expect(runs).toBe(0);
    expect(timers.size).toBe(0);
    expect(scheduler.stats()).toMatchObject({ slotsInUse: 0, scheduled: 0, running: 0 });
  });

  it('reports tasks for inspect as JSON', async () => {
    const { clock, scheduler, owner } = setupScheduler();
    scheduler.newTask(owner, 'r', () => undefined).repeat(1000);
    await clock.advance(1000);
    const info = scheduler.tasksOf(owner);
    expect(JSON.parse(JSON.stringify(info))).toEqual([
      {
        name: 'r',
        nextRunAt: new Date(clock.now() + 1000).toISOString(),
        running: false,
        queued: false,
        repeatMs: 1000,
        runs: 1,
        failures: 0,
        lastDurationMs: 0,
        lastError: null,
      },
    ]);
  });
});
