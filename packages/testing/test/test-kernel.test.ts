import { Module, ModuleContext, ModuleError, Worker, type Clock } from '@keel/core';
import { createTestKernel, FakeClock, type TestKernel } from '@keel/testing';

/** Records lifecycle calls of the modules below. */
type Calls = string[];
const CALLS = 'calls';

@Module({ name: 'db' })
class Db {
  constructor(readonly ctx: ModuleContext) {}
  start(): void {
    this.ctx.kernel.get<Calls>(CALLS).push('real db start');
  }
  query(): string {
    return 'real';
  }
}

@Module({ name: 'api' })
class Api {
  constructor(readonly db: Db) {}
  answer(): string {
    return this.db.query();
  }
}

describe('createTestKernel', () => {
  let k: TestKernel | undefined;
  afterEach(async () => {
    await k?.shutdown();
    k = undefined;
  });

  it('runs on a FakeClock starting at 2026-01-01T00:00:00Z, or at `now`', () => {
    k = createTestKernel({ modules: [Api], providers: [{ provide: CALLS, useValue: [] }] });
    expect(k.clock).toBeInstanceOf(FakeClock);
    expect(k.clock.now()).toBe(Date.UTC(2026, 0, 1));
    expect(k.inspect().at).toBe('2026-01-01T00:00:00.000Z');
    const later = createTestKernel({
      modules: [Api],
      providers: [{ provide: CALLS, useValue: [] }],
      now: new Date('2031-02-03T04:05:06Z'),
    });
    expect(later.inspect().at).toBe('2031-02-03T04:05:06.000Z');
  });

  it('shares a FakeClock it is given, and refuses any other clock or a clock with now', () => {
    const clock = new FakeClock(Date.UTC(2030, 0, 1));
    const k = createTestKernel({
      modules: [Api],
      providers: [{ provide: CALLS, useValue: [] }],
      clock,
    });
    expect(k.clock).toBe(clock);
    expect(k.inspect().at).toBe('2030-01-01T00:00:00.000Z');
    const real: Clock = { now: () => 0, setTimeout: () => 0, clearTimeout: () => undefined };
    expect(() => createTestKernel({ modules: [Api], clock: real } as never)).toThrow(
      /`clock` must be a FakeClock/,
    );
    expect(() => createTestKernel({ modules: [Api], clock, now: 0 })).toThrow(/not both/);
  });

  describe('overrides', () => {
    it("replaces a module by value: the original start() does not run, the replacement's does", async () => {
      const calls: Calls = [];
      const fakeDb = {
        start(): void {
          calls.push('fake db start');
        },
        query: (): string => 'fake',
      };
      k = createTestKernel({
        modules: [Api],
        providers: [{ provide: CALLS, useValue: calls }],
        overrides: [{ provide: Db, useValue: fakeDb }],
      });
      await k.start();
      expect(calls).toEqual(['fake db start']);
      // The module keeps its name and place in the graph; dependents get the replacement.
      expect(k.module(Db).name).toBe('db');
      expect(k.module('db').instance).toBe(fakeDb);
      expect(k.module(Api).dependencies).toEqual(['db']);
      expect((k.module(Api).instance as Api).answer()).toBe('fake');
      expect(k.module(Db).status).toBe('online');
      await k.shutdown();
      k.expectNoErrors();
      k.expectNoLeaks();
    });

    it('replaces a provider, winning over `providers` for the same token', async () => {
      const calls: Calls = [];
      k = createTestKernel({
        modules: [Api],
        providers: [{ provide: CALLS, useValue: ['not this one'] }],
        overrides: [{ provide: CALLS, useValue: calls }],
      });
      await k.start();
      expect(calls).toEqual(['real db start']);
      expect(k.get(CALLS)).toBe(calls);
    });

    it('replaces a module by class; a @Module replacement runs its own workers', async () => {
      const started: string[] = [];
      @Module({ name: 'fake-db' })
      class FakeDb {
        start(): void {
          started.push('start');
        }
        @Worker({ restart: 'never' })
        async watch(): Promise<void> {
          started.push('worker');
        }
        query(): string {
          return 'class';
        }
      }
      k = createTestKernel({ modules: [Api], overrides: [{ provide: Db, useClass: FakeDb }] });
      await k.start();
      await k.clock.settle();
      expect(started).toEqual(['start', 'worker']);
      expect(k.module(Db).name).toBe('db');
      expect((k.module(Api).instance as Api).answer()).toBe('class');
    });
  });

  describe('errors and logs', () => {
    @Module({ name: 'flaky' })
    class Flaky {
      @Worker({ restart: 'never' })
      async once(): Promise<void> {
        throw new Error('disk full');
      }
    }

    it('captures ModuleErrors in `errors`; expectNoErrors lists them with format()', async () => {
      k = createTestKernel({ modules: [Flaky] });
      k.expectNoErrors();
      await k.start();
      await k.clock.settle();
      expect(k.errors).toHaveLength(1);
      const [err] = k.errors;
      expect(err).toBeInstanceOf(ModuleError);
      expect(err).toMatchObject({
        module: 'flaky',
        taskName: 'once',
        taskType: 'worker',
        message: 'disk full',
      });
      expect(() => k!.expectNoErrors()).toThrow(
        /1 module error\(s\)[\s\S]*Message: disk full[\s\S]*Module: flaky[\s\S]*TaskType: worker/,
      );
    });

    it('captures the log lines, parsed, with level labels and fake time, and prints nothing', async () => {
      const printed: unknown[] = [];
      const write = process.stdout.write;
      process.stdout.write = (chunk: unknown) => printed.push(chunk) > 0;
      try {
        k = createTestKernel({ modules: [Flaky] });
        await k.clock.advance('5m');
        await k.start();
        await k.clock.settle();
        await k.shutdown();
      } finally {
        process.stdout.write = write;
      }
      expect(printed).toEqual([]);
      expect(k.logs).toContainEqual(
        expect.objectContaining({ level: 'info', msg: 'kernel online' }),
      );
      expect(k.logs).toContainEqual(expect.objectContaining({ level: 'error', module: 'flaky' }));
      expect(k.logs).toContainEqual(
        expect.objectContaining({ level: 'info', module: 'flaky', msg: 'module online' }),
      );
      expect(k.logs.every((line) => line.time === Date.UTC(2026, 0, 1) + 300_000)).toBe(true);
    });

    it('leaves `logs` empty and uses the given logger when one is passed', async () => {
      const { pino } = await import('pino');
      const lines: string[] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
      k = createTestKernel({ modules: [Flaky], logger });
      await k.start();
      await k.shutdown();
      expect(k.logs).toEqual([]);
      expect(lines.some((l) => l.includes('kernel online'))).toBe(true);
    });
  });

  describe('expectNoLeaks', () => {
    @Module({ name: 'sleeper' })
    class Sleeper {
      @Worker()
      async sleep(signal: AbortSignal): Promise<void> {
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      }
    }

    it('passes after a clean shutdown', async () => {
      k = createTestKernel({ modules: [Sleeper] });
      await k.start();
      await k.clock.advance('1h');
      await k.shutdown();
      k.expectNoLeaks();
    });

    it('fails before shutdown, naming the kernel status and the running worker', async () => {
      k = createTestKernel({ modules: [Sleeper] });
      await k.start();
      await k.clock.settle();
      expect(() => k!.expectNoLeaks()).toThrow(
        /kernel is "online", not "stopped"[\s\S]*module "sleeper" is still "online"[\s\S]*worker "sleep"/,
      );
    });

    it('fails when a timer is left on the fake clock, with its due time', async () => {
      const TIMERS = 'timers';
      @Module({ name: 'leaky' })
      class Leaky {
        constructor(private readonly ctx: ModuleContext) {}
        start(): void {
          // Arms a timer on the kernel's clock and forgets to clear it in stop().
          this.ctx.kernel.get<{ clock: Clock }>(TIMERS).clock.setTimeout(() => undefined, 90_000);
        }
      }
      const holder: { clock?: Clock } = {};
      k = createTestKernel({
        modules: [Leaky],
        providers: [{ provide: TIMERS, useValue: holder }],
      });
      holder.clock = k.clock;
      await k.start();
      await k.shutdown();
      expect(() => k!.expectNoLeaks()).toThrow(
        /1 fake timer\(s\) still pending, due at 2026-01-01T00:01:30.000Z \(in 90000 ms\)/,
      );
    });

    it('fails when a worker ignores its abort signal and outlives the stop timeout', async () => {
      @Module({ name: 'stubborn' })
      class Stubborn {
        @Worker({ restart: 'never' })
        async forever(): Promise<void> {
          await new Promise(() => undefined);
        }
      }
      k = createTestKernel({ modules: [Stubborn], stopTimeout: '10s' });
      await k.start();
      const down = k.shutdown();
      // The stop timeout is fake time too: let it pass. After shutdown began, the kernel's
      // timers end with it, so runUntilIdle() cannot loop forever.
      await k.clock.runUntilIdle();
      await down;
      expect(k.status).toBe('stopped');
      expect(k.errors.map((e) => e.taskType)).toContain('stop');
      expect(() => k!.expectNoLeaks()).toThrow(/module "stubborn" still runs worker "forever"/);
    });
  });

  describe('waitFor', () => {
    @Module({ name: 'slow' })
    class Slow {
      constructor(private readonly ctx: ModuleContext) {}
      async start(): Promise<void> {
        for (let i = 0; i < 10; i++) await Promise.resolve();
        this.ctx.logger.info('slow started');
      }
    }

    it('resolves when the module reaches the status', async () => {
      k = createTestKernel({ modules: [Slow] });
      const started = k.start();
      expect(k.module(Slow).status).not.toBe('online');
      await k.waitFor(Slow, 'online');
      expect(k.module(Slow).status).toBe('online');
      await started;
    });

    it('resolves at once when the module is there already, by class or name', async () => {
      k = createTestKernel({ modules: [Slow] });
      await k.waitFor('slow', 'dead');
      await k.start();
      await k.waitFor(Slow, 'online');
    });

    it('rejects with a clear error instead of hanging when the status is not reached', async () => {
      k = createTestKernel({ modules: [Slow] });
      await k.start();
      await expect(k.waitFor(Slow, 'offline')).rejects.toThrow(
        /waitFor: module "slow" did not become "offline" \(it is "online"\) within 0 ms of fake time; the fake clock is idle/,
      );
    });

    it('lets fake time pass up to `timeout`: a start that hangs fails at the start timeout', async () => {
      @Module({ name: 'stuck' })
      class Stuck {
        start(): Promise<void> {
          return new Promise(() => undefined);
        }
      }
      k = createTestKernel({ modules: [Stuck], startTimeout: '30s' });
      const started = k.start();
      started.catch(() => undefined);
      await k.waitFor(Stuck, 'starting');
      await expect(k.waitFor(Stuck, 'offline')).rejects.toThrow(
        /next fake timer is due in 30000 ms, beyond the timeout/,
      );
      await expect(k.waitFor(Stuck, 'offline', { timeout: '29s' })).rejects.toThrow(
        /did not become "offline" \(it is "starting"\)/,
      );
      await k.waitFor(Stuck, 'offline', { timeout: '1m' });
      expect(k.clock.now()).toBe(Date.UTC(2026, 0, 1) + 30_000);
      await expect(started).rejects.toMatchObject({ code: 'E_START_FAILED', module: 'stuck' });
    });

    it('names the errors captured so far when the status is not reached', async () => {
      @Module({ name: 'broken' })
      class Broken {
        start(): void {
          throw new Error('no config file');
        }
      }
      k = createTestKernel({ modules: [Broken] });
      const started = k.start();
      started.catch(() => undefined);
      await expect(k.waitFor(Broken, 'online')).rejects.toThrow(
        /did not become "online" \(it is "offline"\)[\s\S]*errors so far:\n {2}- broken start: no config file/,
      );
      await expect(started).rejects.toMatchObject({ code: 'E_START_FAILED' });
    });

    it('rejects an unknown status or module', async () => {
      k = createTestKernel({ modules: [Slow] });
      await expect(k.waitFor(Slow, 'running' as never)).rejects.toThrow(/not a module status/);
      await expect(k.waitFor('nope', 'online')).rejects.toMatchObject({ code: 'E_MODULE_MISSING' });
    });
  });
});
