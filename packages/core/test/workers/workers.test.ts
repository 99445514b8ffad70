import { createTestKernel } from '@keel/testing';
import { isPanic, Module, ModuleContext, RestartNow, Worker } from '../../src/index.js';

const SECOND = 1000;

describe('@Worker supervision', () => {
  it('restarts after 2 s, 4 s, 6 s … and forgets failures after 5 quiet minutes', async () => {
    const starts: number[] = [];
    let call = 0;
    @Module()
    class Flaky {
      constructor(readonly ctx: ModuleContext) {}
      @Worker()
      async pump(signal: AbortSignal) {
        starts.push(this.ctx.now());
        call++;
        // The 5th run stays quiet for 6 minutes, then fails again.
        if (call === 5) await this.ctx.sleep('6m');
        if (call <= 6) throw new Error(`failure ${call}`);
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      }
    }
    const k = createTestKernel({ modules: [Flaky] });
    const t0 = k.clock.now();
    await k.start();
    await k.clock.advance('10m');
    const offsets = starts.map((t) => t - t0);
    // failures 1-4 wait 2, 4, 6, 8 s; the 5th run lasts 6 min, so its failure counts as the first again.
    expect(offsets.slice(0, 5)).toEqual([0, 2, 6, 12, 20].map((s) => s * SECOND));
    expect(offsets[5]! - (offsets[4]! + 6 * 60 * SECOND)).toBe(2 * SECOND);
    expect(k.errors.map((e) => e.message)).toEqual([1, 2, 3, 4, 5, 6].map((n) => `failure ${n}`));
    expect(
      k.errors.every(
        (e) => e.taskType === 'worker' && e.taskName === 'pump' && e.module === 'Flaky',
      ),
    ).toBe(true);
    await k.shutdown();
    k.expectNoLeaks();
  });

  it('restarts at once on RestartNow, without counting a failure', async () => {
    const times: number[] = [];
    @Module()
    class Restarter {
      constructor(readonly ctx: ModuleContext) {}
      @Worker({ backoff: '1s' })
      async loop() {
        times.push(this.ctx.now());
        if (times.length < 3) throw new RestartNow();
      }
    }
    const k = createTestKernel({ modules: [Restarter] });
    await k.start();
    await k.clock.settle();
    // Three runs at the same instant: no backoff, no failure reported.
    expect(times).toEqual([k.clock.now(), k.clock.now(), k.clock.now()]);
    expect(k.errors).toEqual([]);
    await k.shutdown();
    k.expectNoLeaks();
  });

  it('does not restart a worker that returns, nor one with restart: never', async () => {
    let runs = 0;
    @Module()
    class Once {
      @Worker()
      async done() {
        runs++;
      }
      @Worker({ restart: 'never' })
      async failsOnce() {
        runs++;
        throw new Error('once');
      }
    }
    const k = createTestKernel({ modules: [Once] });
    await k.start();
    await k.clock.advance('1h');
    expect(runs).toBe(2);
    expect(k.errors).toHaveLength(1);
    await k.shutdown();
    k.expectNoLeaks();
  });

  it('stop waits for a worker that ignores its signal for a while, then calls stop()', async () => {
    const events: string[] = [];
    @Module()
    class Stubborn {
      constructor(readonly ctx: ModuleContext) {}
      @Worker()
      async work() {
        // Ignores its signal: runs 5 s of kernel time whatever happens.
        await this.ctx.sleep('5s', { signal: null });
        events.push('worker done');
      }
      stop() {
        events.push('stop()');
      }
    }
    const k = createTestKernel({ modules: [Stubborn] });
    await k.start();
    const stopping = k.shutdown();
    await k.clock.advance('5s');
    await stopping;
    expect(events).toEqual(['worker done', 'stop()']);
    expect(k.exitCode).toBe(0);
    k.expectNoLeaks();
  });

  it('cuts off a worker that never ends at stopTimeout and names it', async () => {
    @Module({ name: 'forever' })
    class Forever {
      @Worker({ name: 'endless' })
      async work() {
        await new Promise(() => undefined);
      }
    }
    const k = createTestKernel({ modules: [Forever], stopTimeout: '10s' });
    await k.start();
    const stopping = k.shutdown();
    await k.clock.advance('10s');
    await stopping;
    expect(k.status).toBe('stopped');
    expect(k.module('forever').status).toBe('offline');
    expect(k.exitCode).toBe(1);
    const report = k.errors.find((e) => e.taskType === 'stop');
    expect(report?.module).toBe('forever');
    expect(report?.message).toContain('worker "endless"');
    expect(k.inspect().modules['forever']!.overran).toEqual(['worker "endless"']);
  });

  it('tells panics from errors', async () => {
    @Module()
    class Thrower {
      constructor(readonly ctx: ModuleContext) {}
      async start() {
        await this.ctx
          .runWorker('error', () => Promise.reject(new Error('plain')))
          .catch(() => undefined);
        await this.ctx
          .runWorker('type', () => {
            throw new TypeError('x is not a function');
          })
          .catch(() => undefined);
        await this.ctx
          .runWorker('string', () => {
            throw 'just a string'; // eslint-disable-line @typescript-eslint/only-throw-error
          })
          .catch(() => undefined);
      }
    }
    const k = createTestKernel({ modules: [Thrower] });
    await k.start();
    expect(k.errors.map((e) => [e.taskName, e.severity])).toEqual([
      ['error', 'error'],
      ['type', 'panic'],
      ['string', 'panic'],
    ]);
    expect(isPanic(k.errors[1])).toBe(true);
    expect(isPanic(new Error('x'))).toBe(false);
    expect(isPanic('raw')).toBe(true);
    expect(k.errors[1]!.stack).toContain('TypeError: x is not a function');
    expect(k.errors[2]!.format()).toMatch(/Severity: panic[\s\S]*StackTrace:/);
    expect(k.lastError).toBe(k.errors[2]);
    await k.shutdown();
  });

  it('rethrows the original error from runWorker', async () => {
    const original = new Error('boom');
    @Module()
    class Caller {
      caught: unknown;
      constructor(readonly ctx: ModuleContext) {}
      async start() {
        this.caught = await this.ctx
          .runWorker('w', () => Promise.reject(original))
          .catch((e: unknown) => e);
      }
    }
    const k = createTestKernel({ modules: [Caller] });
    await k.start();
    expect(k.get(Caller).caught).toBe(original);
    expect(k.errors[0]!.cause).toBe(original);
    await k.shutdown();
  });

  it('lets nothing escape from 1,000 failing workers', async () => {
    const escaped: unknown[] = [];
    const onEscape = (err: unknown): void => void escaped.push(err);
    process.on('unhandledRejection', onEscape);
    process.on('uncaughtException', onEscape);
    try {
      @Module()
      class Many {
        constructor(readonly ctx: ModuleContext) {}
        start() {
          for (let i = 0; i < 1000; i++) {
            this.ctx.startWorker(`w${i}`, () => Promise.reject(new Error(`fail ${i}`)));
            this.ctx.startServiceWorker(`s${i}`, () => {
              throw new RangeError(`bad ${i}`);
            });
          }
        }
      }
      const k = createTestKernel({ modules: [Many], logLevel: 'silent' });
      await k.start();
      await k.clock.advance('10s');
      await k.shutdown();
      await k.clock.settle();
      expect(k.errors.length).toBeGreaterThanOrEqual(2000);
      k.expectNoLeaks();
    } finally {
      process.off('unhandledRejection', onEscape);
      process.off('uncaughtException', onEscape);
    }
    expect(escaped).toEqual([]);
  });

  it('rejects bad worker options at Kernel.create, naming the method', () => {
    @Module({ name: 'badBackoff' })
    class BadBackoff {
      @Worker({ backoff: '-2s' })
      async w() {}
    }
    expect(() => createTestKernel({ modules: [BadBackoff] })).toThrow(
      expect.objectContaining({
        code: 'E_INVALID_DURATION',
        message: expect.stringContaining('BadBackoff.w'),
      }),
    );
    @Module()
    class BadJitter {
      @Worker({ jitter: 2 })
      async w() {}
    }
    expect(() => createTestKernel({ modules: [BadJitter] })).toThrow(
      expect.objectContaining({
        code: 'E_INVALID_OPTION',
        message: expect.stringContaining('jitter'),
      }),
    );
    // Not a method: the one misuse still refused where it is written (docs/architecture.md).
    expect(() => {
      class NotAMethod {
        @Worker()
        declare field: number;
      }
      return NotAMethod;
    }).toThrow(expect.objectContaining({ code: 'E_DECORATOR_MISUSE' }));
  });
});

describe('restart intensity', () => {
  function failing(escalate: 'fail-module' | 'shutdown') {
    let failUntil = Infinity;
    @Module({ name: 'intense' })
    class Intense {
      constructor(readonly ctx: ModuleContext) {}
      @Worker({ name: 'hot', backoff: '1s', maxRestarts: 3, window: '1m', escalate })
      async hot(signal: AbortSignal) {
        if (this.ctx.now() < failUntil) throw new Error('hot');
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      }
    }
    return { Intense, stopFailingAt: (t: number) => (failUntil = t) };
  }

  it("marks the module failed past the limit, and resolves after a stable window ('fail-module')", async () => {
    const { Intense, stopFailingAt } = failing('fail-module');
    const k = createTestKernel({ modules: [Intense] });
    await k.start();
    await k.clock.advance('10s'); // failures at 0, 1 s, 3 s, 6 s: the 4th exceeds 3 in a minute
    expect(k.module('intense').failure).toMatchObject({
      status: 'error',
      id: 'worker:hot:restart-limit',
    });
    stopFailingAt(k.clock.now());
    await k.clock.advance('2m');
    expect(k.module('intense').failure.status).toBe('none');
    await k.shutdown();
    k.expectNoLeaks();
  });

  it("shuts the kernel down with exit code 1 past the limit ('shutdown')", async () => {
    const { Intense } = failing('shutdown');
    const k = createTestKernel({ modules: [Intense] });
    await k.start();
    await k.clock.advance('10s');
    expect(k.status).toBe('stopped');
    expect(k.exitCode).toBe(1);
    k.expectNoLeaks();
  });
});
