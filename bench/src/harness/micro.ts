import { Bench } from 'tinybench';
import type { Row } from './result.js';

/** One contender of a micro benchmark: `op` runs one operation (sync or async). */
export interface MicroCase {
  readonly contender: string;
  readonly op: () => unknown;
  /** Runs `batch` operations; defaults to awaiting `op` in a loop. */
  readonly batchOp?: (batch: number) => Promise<void> | void;
}

export interface MicroOptions {
  /** Operations per timed sample: sub-microsecond work cannot be timed one call at a time. */
  batch: number;
  /** Time budget per contender, ms. */
  time: number;
  warmupTime: number;
}

export const DEFAULT_MICRO: MicroOptions = { batch: 200, time: 700, warmupTime: 200 };

/**
 * Times each case with tinybench, one sample = `batch` sequential operations, and reports
 * the per-operation median and median absolute deviation in microseconds.
 */
export async function microBench(
  scenario: string,
  cases: readonly MicroCase[],
  options: MicroOptions = DEFAULT_MICRO,
): Promise<Row[]> {
  const { batch } = options;
  const bench = new Bench({
    time: options.time,
    warmupTime: options.warmupTime,
    iterations: 16,
    warmupIterations: 4,
    throws: true,
  });
  for (const c of cases) {
    const run =
      c.batchOp ??
      (async (count: number): Promise<void> => {
        for (let i = 0; i < count; i++) await c.op();
      });
    bench.add(c.contender, () => run(batch));
  }
  await bench.run();
  return bench.tasks.map((task) => {
    const result = task.result;
    if (result.state !== 'completed') {
      throw new Error(`micro bench ${scenario} / ${task.name} did not complete: ${result.state}`);
    }
    const { latency } = result;
    const perOpUs = (ms: number): number => (ms * 1000) / batch;
    const median = perOpUs(latency.p50);
    const mad = perOpUs(latency.mad);
    return {
      scenario,
      contender: task.name,
      unit: 'us',
      summary: {
        n: task.runs,
        median,
        min: perOpUs(latency.min),
        max: perOpUs(latency.max),
        mad,
        spread: median === 0 ? 0 : mad / median,
      },
      details: { samples: task.runs, batch },
    } satisfies Row;
  });
}
