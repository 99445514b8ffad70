import { startDeclaredTask, validateTaskOptions } from '../../src/tasks/declared-task.js';
import { settle } from '@keel/testing';
import { gate, setupScheduler } from './fixture.js';

describe('validateTaskOptions', () => {
  const codeOf = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (err) {
      return err;
    }
    throw new Error('did not throw');
  };

  it('accepts every, cron with a time zone, runOnStart', () => {
    expect(validateTaskOptions('feed', 'poll', { every: '5m' })).toMatchObject({
      everyMs: 300_000,
    });
    expect(
      validateTaskOptions('feed', 'nightly', { cron: '0 3 * * *', timezone: 'Europe/Berlin' }).cron,
    ).toBeDefined();
    expect(validateTaskOptions('feed', 'secs', { cron: '*/10 * * * * *' }).cron).toBeDefined();
    expect(
      validateTaskOptions('feed', 'once', { runOnStart: true, prioritized: true }),
    ).toMatchObject({
      runOnStart: true,
      prioritized: true,
    });
  });

  it('rejects every with cron', () => {
    expect(
      codeOf(() => validateTaskOptions('feed', 'poll', { every: '1m', cron: '* * * * *' })),
    ).toMatchObject({
      code: 'E_TASK_OPTIONS',
      module: 'feed',
      message: expect.stringContaining('@Task feed.poll') as unknown,
    });
  });

  it("rejects a bad cron expression or time zone, keeping croner's error as cause", () => {
    const err = codeOf(() => validateTaskOptions('feed', 'poll', { cron: 'every day' })) as Error;
    expect(err).toMatchObject({ code: 'E_INVALID_CRON', module: 'feed' });
    expect(err.message).toContain('"every day"');
    expect(err.cause).toBeInstanceOf(Error);
    expect(
      codeOf(() => validateTaskOptions('feed', 'poll', { cron: '* * * * * * *' })),
    ).toMatchObject({
      code: 'E_INVALID_CRON',
    });
    expect(
      codeOf(() =>
        validateTaskOptions('feed', 'poll', { cron: '* * * * *', timezone: 'Mars/Base' }),
      ),
    ).toMatchObject({
      code: 'E_INVALID_CRON',
    });
  });

  it('rejects zero, negative and malformed intervals', () => {
    expect(codeOf(() => validateTaskOptions('feed', 'poll', { every: 0 }))).toMatchObject({
      code: 'E_TASK_OPTIONS',
    });
    expect(codeOf(() => validateTaskOptions('feed', 'poll', { every: -5 }))).toMatchObject({
      code: 'E_INVALID_DURATION',
    });
    expect(codeOf(() => validateTaskOptions('feed', 'poll', { every: '5 parsecs' }))).toMatchObject(
      {
        code: 'E_INVALID_DURATION',
      },
    );
    expect(
      codeOf(() => validateTaskOptions('feed', 'poll', { every: '1m', maxDelay: 'x' })),
    ).toMatchObject({
      code: 'E_INVALID_DURATION',
    });
  });

  it('rejects a task that would never run, and misplaced options', () => {
    expect(codeOf(() => validateTaskOptions('feed', 'poll', {}))).toMatchObject({
      code: 'E_TASK_OPTIONS',
    });
    expect(
      codeOf(() => validateTaskOptions('feed', 'poll', { every: '1m', timezone: 'UTC' })),
    ).toMatchObject({
      code: 'E_TASK_OPTIONS',
    });
    expect(
      codeOf(() =>
        validateTaskOptions('feed', 'poll', {
          every: '1m',
          runOnStart: 'yes' as unknown as boolean,
        }),
      ),
    ).toMatchObject({ code: 'E_TASK_OPTIONS' });
  });
});

/** A `@Task` as the kernel starts it: options checked once (Kernel.create), then started. */
function startFromOptions(
  scheduler: Parameters<typeof startDeclaredTask>[0],
  owner: Parameters<typeof startDeclaredTask>[1],
  name: string,
  options: Parameters<typeof validateTaskOptions>[2],
  fn: Parameters<typeof startDeclaredTask>[4],
): ReturnType<typeof startDeclaredTask> {
  return startDeclaredTask(
    scheduler,
    owner,
    name,
    validateTaskOptions(owner.name, name, options),
    fn,
  );
}

describe('startDeclaredTask', () => {
  it('fires a cron task at its times across a day (UTC)', async () => {
    const { clock, scheduler, owner } = setupScheduler();
    const times: string[] = [];
    startFromOptions(
      scheduler,
      owner,
      'sixHourly',
      { cron: '0 */6 * * *', timezone: 'UTC' },
      () => {
        times.push(new Date(clock.now()).toISOString());
      },
    );
    await clock.advance(24 * 3_600_000);
    expect(times).toEqual([
      '2024-01-01T06:00:00.000Z',
      '2024-01-01T12:00:00.000Z',
      '2024-01-01T18:00:00.000Z',
      '2024-01-02T00:00:00.000Z',
    ]);
  });

  it('computes the next cron time after the run ended, skipping missed ones', async () => {
    const { clock, timers, scheduler, owner } = setupScheduler();
    const times: string[] = [];
    const handle = startFromOptions(
      scheduler,
      owner,
      'slow',
      { cron: '*/10 * * * * *', timezone: 'UTC' },
      async () => {
        times.push(new Date(clock.now()).toISOString());
        await timers.sleep(15_000);
      },
    );
    expect(handle.nextRunAt?.toISOString()).toBe('2024-01-01T00:00:10.000Z');
    await clock.advance(60_000);
    expect(times).toEqual([
      '2024-01-01T00:00:10.000Z',
      '2024-01-01T00:00:30.000Z',
      '2024-01-01T00:00:50.000Z',
    ]);
  });

  it('every repeats one interval after start; runOnStart runs at once first', async () => {
    const { clock, scheduler, owner } = setupScheduler();
    const t0 = clock.now();
    const plain: number[] = [];
    const eager: number[] = [];
    startFromOptions(
      scheduler,
      owner,
      'plain',
      { every: '1s' },
      () => void plain.push(clock.now() - t0),
    );
    startFromOptions(
      scheduler,
      owner,
      'eager',
      { every: '1s', runOnStart: true },
      () => void eager.push(clock.now() - t0),
    );
    await clock.advance(2500);
    expect(plain).toEqual([1000, 2000]);
    expect(eager).toEqual([0, 1000, 2000]);
  });

  it('a prioritized task goes to the prioritized queue when due, a plain one to the normal queue', async () => {
    const { clock, scheduler, owner } = setupScheduler();
    const order: string[] = [];
    const blocker = gate();
    scheduler.newTask(owner, 'blocker', () => blocker.promise).queue();
    await settle();
    scheduler
      .newTask(owner, 'queuedFirst', () => void order.push('queuedFirst'))
      .queuePrioritized();
    startFromOptions(scheduler, owner, 'plain', { every: 100 }, () => void order.push('plain'));
    startFromOptions(
      scheduler,
      owner,
      'prio',
      { every: 100, prioritized: true },
      () => void order.push('prio'),
    );
    await clock.advance(100);
    blocker.open();
    await settle(10);
    expect(order).toEqual(['queuedFirst', 'prio', 'plain']);
  });

  it('passes the signal and the handle to the method, and applies maxDelay', async () => {
    const { clock, scheduler, owner } = setupScheduler();
    let seen: unknown[] = [];
    const handle = startFromOptions(
      scheduler,
      owner,
      'args',
      { runOnStart: true, maxDelay: '2s' },
      (signal, task) => {
        seen = [signal instanceof AbortSignal, task];
      },
    );
    await clock.advance(1);
    expect(seen).toEqual([true, handle]);
  });
});
