import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';
import { startKeelFixture } from '../harness/keel-fixture.js';
import { DEFAULT_MICRO, microBench, type MicroOptions } from '../harness/micro.js';
import type { Row } from '../harness/result.js';

/**
 * Scenario 3: what running a trivial function under a concurrency limiter costs. Keel
 * `ctx.runMicroTask` vs bare p-limit (same limit: Keel's default, the core count, at least 2)
 * vs calling the function directly. Two shapes: one call at a time (the uncontended fast
 * path) and bursts of `burst` concurrent calls (waiters queue for the limited slots).
 * Then the issue-19 case: `bigBurst` (100,000) calls of an `async` function queued at once at
 * a limit of 4, so nearly every call waits for a slot, against `pLimit(4)`.
 */
export interface MicroTasksArgs {
  burst?: number;
  /** Calls of the one big burst; default 100,000. */
  bigBurst?: number;
  micro?: MicroOptions;
}

export async function microTasksScenario(args: MicroTasksArgs = {}): Promise<Row[]> {
  const burst = args.burst ?? 1_000;
  const micro = args.micro ?? DEFAULT_MICRO;
  const limitValue = Math.max(2, availableParallelism());
  const keel = await startKeelFixture({ maxConcurrentMicroTasks: limitValue });
  const limit = pLimit(limitValue);
  let counter = 0;
  const fn = (): number => ++counter;
  const direct = (): Promise<number> => Promise.resolve(fn());

  const burstOf =
    (call: () => Promise<unknown>) =>
    async (count: number): Promise<void> => {
      for (let done = 0; done < count; done += burst) {
        const all: Array<Promise<unknown>> = [];
        for (let i = 0; i < burst; i++) all.push(call());
        await Promise.all(all);
      }
    };
  const keelCall = (): Promise<number> => keel.ctx.runMicroTask('bench', fn);
  const limitCall = (): Promise<number> => limit(fn);

  try {
    const sequential = await microBench(
      'microtask, one at a time, per call',
      [
        { contender: 'keel', op: keelCall },
        { contender: 'p-limit', op: limitCall },
        { contender: 'direct call', op: direct },
      ],
      micro,
    );
    const bursts = await microBench(
      `microtask, bursts of ${burst} (limit ${limitValue}), per call`,
      [
        { contender: 'keel', op: keelCall, batchOp: burstOf(keelCall) },
        { contender: 'p-limit', op: limitCall, batchOp: burstOf(limitCall) },
        { contender: 'direct call', op: direct, batchOp: burstOf(direct) },
      ],
      { ...micro, batch: Math.max(burst, Math.ceil(micro.batch / burst) * burst) },
    );
    const big = await bigBurstRows(args.bigBurst ?? 100_000, micro);
    return [
      ...sequential,
      ...overheadRows(sequential),
      ...bursts,
      ...overheadRows(bursts),
      ...big,
      ...overheadRows(big),
    ];
  } finally {
    await keel.kernel.shutdown();
  }
}

/** `calls` async calls queued at once at a limit of 4: the queued path of both limiters. */
async function bigBurstRows(calls: number, micro: MicroOptions): Promise<Row[]> {
  const limitValue = 4;
  const keel = await startKeelFixture({ maxConcurrentMicroTasks: limitValue });
  const limit = pLimit(limitValue);
  let counter = 0;
  // eslint-disable-next-line @typescript-eslint/require-await -- an async function, on purpose
  const fn = async (): Promise<number> => ++counter;
  const burstOf =
    (call: () => Promise<unknown>) =>
    async (count: number): Promise<void> => {
      const all: Array<Promise<unknown>> = new Array<Promise<unknown>>(count);
      for (let i = 0; i < count; i++) all[i] = call();
      await Promise.all(all);
    };
  const keelCall = (): Promise<number> => keel.ctx.runMicroTask('bench', fn);
  const limitCall = (): Promise<number> => limit(fn);
  try {
    return await microBench(
      `microtask, one burst of ${calls.toLocaleString('en-US')} async calls (limit ${limitValue}), per call`,
      [
        { contender: 'keel', op: keelCall, batchOp: burstOf(keelCall) },
        { contender: 'p-limit', op: limitCall, batchOp: burstOf(limitCall) },
        { contender: 'direct call', op: fn, batchOp: burstOf(fn) },
      ],
      { ...micro, batch: calls, time: micro.time * 2 },
    );
  } finally {
    await keel.kernel.shutdown();
  }
}

/** Overhead over the direct call: each contender's median minus the direct call's. */
function overheadRows(rows: readonly Row[]): Row[] {
  const base = rows.find((r) => r.contender === 'direct call');
  if (base === undefined) return [];
  return rows
    .filter((r) => r !== base)
    .map((r) => {
      const median = Math.max(0, r.summary.median - base.summary.median);
      return {
        ...r,
        scenario: `${r.scenario.replace(/, per call$/, '')}, overhead over a direct call`,
        summary: { ...r.summary, median, spread: median === 0 ? 0 : r.summary.mad / median },
      };
    });
}
