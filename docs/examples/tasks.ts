import { Module, ModuleContext, Task, type TaskHandle } from '@keel/core';
import { createTestKernel } from '@keel/testing';

/** Declared tasks: repeating, cron and run-on-start. */
@Module()
export class Reports {
  /** Kernel-clock times at which each task began a run. */
  readonly runs: Record<string, number[]> = { refresh: [], nightly: [], warmUp: [] };

  constructor(private readonly ctx: ModuleContext) {}

  // Every 10 s: the first run 10 s after start, then 10 s after each run ENDS.
  @Task({ every: '10s' })
  async refresh(signal: AbortSignal): Promise<void> {
    this.runs['refresh']!.push(this.ctx.now());
    await this.ctx.sleep('2s'); // the run takes 2 s
    if (signal.aborted) return; // the module is stopping or the task was canceled
  }

  // At 03:00 UTC every day (5 fields: minute hour day month weekday).
  @Task({ cron: '0 3 * * *', timezone: 'UTC' })
  nightly(): void {
    this.runs['nightly']!.push(this.ctx.now());
  }

  // Once, as soon as the module is online.
  @Task({ runOnStart: true })
  warmUp(): void {
    this.runs['warmUp']!.push(this.ctx.now());
  }
}

/** Tasks made from code with ctx.newTask(): nothing runs until queued or scheduled. */
@Module()
export class Exports {
  readonly log: string[] = [];
  reindex: TaskHandle | undefined;

  constructor(private readonly ctx: ModuleContext) {}

  start(): void {
    const t0 = this.ctx.now();
    const at = (): string => `${(this.ctx.now() - t0) / 1000}s`;
    this.reindex = this.ctx.newTask('reindex', () => {
      this.log.push(`reindex at ${at()}`);
    });
    this.reindex.queue(); // runs soon, from the kernel-wide queue
    this.ctx
      .newTask('export', () => {
        this.log.push(`export at ${at()}`);
      })
      .schedule(new Date(this.ctx.now() + 30_000)); // runs once, in 30 s
    this.ctx
      .newTask('ping', () => {
        this.log.push(`ping at ${at()}`);
      })
      .repeat('20s'); // every 20 s until canceled or the module stops
  }
}

/** A minute of Reports, from midnight: refresh at 10 s, 22 s, 34 s, 46 s, 58 s. */
export async function declared() {
  const k = createTestKernel({ modules: [Reports], now: Date.UTC(2026, 0, 1, 0, 0, 0) });
  const t0 = k.clock.now();
  await k.start();
  await k.clock.advance('1m');
  const refresh = k.module(Reports).task('refresh');
  const nextRefresh = refresh?.nextRunAt?.getTime();
  await k.clock.advance('3h'); // past 03:00
  await k.shutdown();
  const runs = (k.module(Reports).instance as Reports).runs;
  const seconds = (list: number[]): number[] => list.map((t) => (t - t0) / 1000);
  return {
    refreshFirstMinute: seconds(runs['refresh']!).filter((s) => s <= 60),
    nextRefresh: nextRefresh === undefined ? undefined : (nextRefresh - t0) / 1000,
    nightly: runs['nightly']!.map((t) => new Date(t).toISOString()),
    warmUp: seconds(runs['warmUp']!),
  };
}

/** Exports' tasks over a minute; `ping` is canceled at 50 s. */
export async function fromCode() {
  const k = createTestKernel({ modules: [Exports] });
  await k.start();
  await k.clock.advance('50s');
  const exports = k.module(Exports).instance as Exports;
  k.module(Exports).task('ping')?.cancel();
  await k.clock.advance('1m');
  await k.shutdown();
  return { log: exports.log, reindexRuns: exports.reindex?.runs };
}

/** Runs every scenario of this page. */
export async function main() {
  return { declared: await declared(), fromCode: await fromCode() };
}
