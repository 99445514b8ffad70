import pLimit from 'p-limit';
import { startKeelFixture } from '../harness/keel-fixture.js';
import type { Row } from '../harness/result.js';
import { summarize } from '../stats.js';

/**
 * Scenario 5: throughput of the task queue. `tasks` trivial tasks queued at once with
 * `ctx.newTask(name, fn).queue()` (default `taskConcurrency` 1: one run at a time, each
 * yielding to microtasks first), until the last one ran; against the same jobs through
 * p-limit with concurrency 1, and a plain loop awaiting each job (the floor).
 */
export interface TaskQueueArgs {
  tasks?: number;
  rounds?: number;
}

export const TASK_QUEUE_CONTENDERS = ['keel', 'p-limit(1)', 'await loop'] as const;
export type TaskQueueContender = (typeof TASK_QUEUE_CONTENDERS)[number];

/** µs per task, one sample per round, per contender. */
export type TaskQueueResult = Record<TaskQueueContender, number[]>;

export async function taskQueueTiming(args: TaskQueueArgs = {}): Promise<TaskQueueResult> {
  const n = args.tasks ?? 100_000;
  const rounds = args.rounds ?? 5;
  const keel = await startKeelFixture();
  const limit = pLimit(1);
  let ran = 0;
  let allRan: () => void = () => {};
  const job = (): void => {
    if (++ran === n) allRan();
  };
  const result: TaskQueueResult = { keel: [], 'p-limit(1)': [], 'await loop': [] };
  const perTaskUs = (t0: number): number => ((performance.now() - t0) * 1000) / n;
  try {
    for (let round = 0; round < rounds + 1; round++) {
      const keep = round > 0;
      ran = 0;
      let done = new Promise<void>((resolve) => (allRan = resolve));
      let t0 = performance.now();
      for (let i = 0; i < n; i++) keel.ctx.newTask('job', job).queue();
      await done;
      if (keep) result.keel.push(perTaskUs(t0));

      ran = 0;
      done = new Promise<void>((resolve) => (allRan = resolve));
      t0 = performance.now();
      for (let i = 0; i < n; i++) void limit(job);
      await done;
      if (keep) result['p-limit(1)'].push(perTaskUs(t0));

      ran = 0;
      t0 = performance.now();
      for (let i = 0; i < n; i++) await Promise.resolve(job());
      if (keep) result['await loop'].push(perTaskUs(t0));
    }
  } finally {
    await keel.kernel.shutdown();
  }
  return result;
}

export function taskQueueRows(n: number, result: TaskQueueResult): Row[] {
  return TASK_QUEUE_CONTENDERS.map((contender) => {
    const summary = summarize(result[contender]);
    return {
      scenario: `task queue, ${n.toLocaleString('en-US')} queued tasks, per task`,
      contender,
      unit: 'us',
      summary,
      details: { tasksPerSecond: Math.round(1e6 / summary.median) },
    } satisfies Row;
  });
}
