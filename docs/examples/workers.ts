import { Module, ModuleContext, RestartNow, Worker } from '@keel/core';
import { createTestKernel } from '@keel/testing';

/** A connection that drops four times, then stays up. */
@Module()
export class Feed {
  /** Kernel-clock times at which `listen` was (re)started. */
  readonly attempts: number[] = [];

  constructor(private readonly ctx: ModuleContext) {}

  // Restarted after 2 s, 4 s, 6 s, 8 s: backoff × consecutive failures.
  @Worker({ backoff: '2s' })
  async listen(): Promise<void> {
    this.attempts.push(this.ctx.now());
    if (this.attempts.length <= 4) throw new Error('connection reset');
    await this.ctx.sleep('1h'); // connected until the module stops
  }
}

/** Fails twice, then runs for 6 minutes and fails again: the count starts over. */
@Module()
export class Sync {
  readonly attempts: number[] = [];

  constructor(private readonly ctx: ModuleContext) {}

  @Worker({ backoff: '2s' })
  async run(): Promise<void> {
    this.attempts.push(this.ctx.now());
    if (this.attempts.length === 3) await this.ctx.sleep('6m');
    if (this.attempts.length <= 3) throw new Error('sync failed');
    await this.ctx.sleep('1h');
  }
}

/** Asks for a fresh start: no backoff, no error report. */
@Module()
export class Poller {
  runs = 0;

  constructor(private readonly ctx: ModuleContext) {}

  @Worker()
  async poll(): Promise<void> {
    this.runs++;
    if (this.runs === 1) throw new RestartNow('credentials rotated');
    await this.ctx.sleep('1h');
  }
}

/** Fails on every run: past 3 restarts within a minute, the module's status is an error. */
@Module()
export class Flaky {
  @Worker({ backoff: '1s', maxRestarts: 3, window: '1m' })
  async work(): Promise<void> {
    await Promise.resolve();
    throw new Error('still broken');
  }
}

/** Workers started from code: run-and-wait, background, and supervised. */
@Module()
export class Importer {
  readonly done: string[] = [];

  constructor(private readonly ctx: ModuleContext) {}

  async start(): Promise<void> {
    // Waits for the work; a throw is reported and rethrown here.
    await this.ctx.runWorker('load index', () => {
      this.done.push('index loaded');
    });
    // Background: failures are reported, never unhandled.
    this.ctx.startWorker('warm cache', async () => {
      await this.ctx.sleep('1s');
      this.done.push('cache warm');
    });
    // Background and restarted on failure, like @Worker.
    this.ctx.startServiceWorker(
      'watch',
      async (signal) => {
        while (!signal.aborted) await this.ctx.sleep('10s');
      },
      { backoff: '5s', maxBackoff: '1m' },
    );
  }
}

/** Restart times of Feed: 0 s, 2 s, 6 s, 12 s, 20 s. */
export async function backoff() {
  const k = createTestKernel({ modules: [Feed] });
  const t0 = k.clock.now();
  await k.start();
  await k.clock.advance('30s');
  const restarts = k.inspect().modules['Feed']!.workers[0]!.restarts;
  await k.shutdown();
  const feed = k.module(Feed).instance as Feed;
  return { attempts: feed.attempts.map((t) => t - t0), restarts, errors: k.errors.length };
}

/** Restart times of Sync: the failure after 6 quiet minutes waits 2 s again, not 6 s. */
export async function quietReset() {
  const k = createTestKernel({ modules: [Sync] });
  const t0 = k.clock.now();
  await k.start();
  await k.clock.advance('7m');
  await k.shutdown();
  return { attempts: (k.module(Sync).instance as Sync).attempts.map((t) => t - t0) };
}

/** RestartNow: Poller ran twice, and nothing was reported. */
export async function restartNow() {
  const k = createTestKernel({ modules: [Poller] });
  await k.start();
  await k.clock.advance('1s');
  await k.shutdown();
  return { runs: (k.module(Poller).instance as Poller).runs, errors: k.errors.length };
}

/** The intensity limit: Flaky's status turns to an error; the worker keeps restarting. */
export async function intensity() {
  const k = createTestKernel({ modules: [Flaky] });
  await k.start();
  await k.clock.advance('6s'); // failures at 0 s, 1 s, 3 s and 6 s: the 4th is one too many
  const failure = k.module(Flaky).failure;
  await k.clock.advance('10s');
  const errors = k.errors.length;
  await k.shutdown();
  return { failure, errors };
}

/** Workers started from code. */
export async function fromCode() {
  const k = createTestKernel({ modules: [Importer] });
  await k.start();
  await k.clock.advance('1s');
  const running = k.inspect().modules['Importer']!.workers.map((w) => w.name);
  await k.shutdown();
  return { done: (k.module(Importer).instance as Importer).done, running };
}

/** Runs every scenario of this page. */
export async function main() {
  return {
    backoff: await backoff(),
    quietReset: await quietReset(),
    restartNow: await restartNow(),
    intensity: await intensity(),
    fromCode: await fromCode(),
  };
}
