import type { TaskHandle } from '@keel/core';
import { startKeelFixture } from '../harness/keel-fixture.js';
import type { Row } from '../harness/result.js';
import { canCollectGarbage, settledHeap, summarize } from '../stats.js';

/**
 * Scenario 4: many scheduled tasks. Keel tasks are made through the public API of a started
 * kernel's module, `ctx.newTask(name, fn).schedule(date)` (so the figures include TaskHandle,
 * the run queue bookkeeping and the kernel's TimerHeap), against one `setTimeout` per task.
 * Every task is scheduled for the same far-away instant: Node's timer lists are at their best
 * with one duration, so the comparison is conservative for Keel.
 */
export const SCHEDULER_CONTENDERS = ['keel', 'setTimeout'] as const;
export type SchedulerContender = (typeof SCHEDULER_CONTENDERS)[number];

const FAR_MS = 3_600_000;
const TASK_NAME = 'tick';

export interface SchedulerTimingArgs {
  tasks?: number;
  rounds?: number;
}

export interface SchedulerTimingResult {
  /** ms per round, per contender: scheduling `tasks` tasks. */
  schedule: Record<SchedulerContender, number[]>;
  /** ms per round: cancelling them all. */
  cancel: Record<SchedulerContender, number[]>;
  /** ms per round: from the end of scheduling `tasks` already-due tasks until the last ran. */
  fire: Record<SchedulerContender, number[]>;
}

/** Timing of schedule, cancel and fire, `rounds` times each, in this process (warm). */
export async function schedulerTiming(
  args: SchedulerTimingArgs = {},
): Promise<SchedulerTimingResult> {
  const n = args.tasks ?? 100_000;
  const rounds = args.rounds ?? 5;
  const keel = await startKeelFixture();
  const { ctx } = keel;
  const result: SchedulerTimingResult = {
    schedule: { keel: [], setTimeout: [] },
    cancel: { keel: [], setTimeout: [] },
    fire: { keel: [], setTimeout: [] },
  };
  const noop = (): void => {};
  let fired = 0;
  let allFired: () => void = noop;
  const fire = (): void => {
    if (++fired === n) allFired();
  };
  const waitAll = (): Promise<void> => new Promise((resolve) => (allFired = resolve));

  const keelHandles: TaskHandle[] = new Array<TaskHandle>(n);
  const timeouts: NodeJS.Timeout[] = new Array<NodeJS.Timeout>(n);
  try {
    for (let round = 0; round < rounds + 1; round++) {
      const warmup = round === 0;
      // Keel: schedule, then cancel.
      const due = Date.now() + FAR_MS;
      let t0 = performance.now();
      for (let i = 0; i < n; i++)
        keelHandles[i] = ctx.newTask(TASK_NAME, noop).schedule(new Date(due));
      let t1 = performance.now();
      for (let i = 0; i < n; i++) keelHandles[i]!.cancel();
      let t2 = performance.now();
      if (!warmup) {
        result.schedule.keel.push(t1 - t0);
        result.cancel.keel.push(t2 - t1);
      }
      // setTimeout: schedule, then cancel.
      t0 = performance.now();
      for (let i = 0; i < n; i++) timeouts[i] = setTimeout(noop, FAR_MS);
      t1 = performance.now();
      for (let i = 0; i < n; i++) clearTimeout(timeouts[i]);
      t2 = performance.now();
      if (!warmup) {
        result.schedule.setTimeout.push(t1 - t0);
        result.cancel.setTimeout.push(t2 - t1);
      }
      // Keel: fire n already-due tasks (they run through the task queue).
      fired = 0;
      let done = waitAll();
      const now = new Date();
      for (let i = 0; i < n; i++) ctx.newTask(TASK_NAME, fire).schedule(now);
      t1 = performance.now();
      await done;
      t2 = performance.now();
      if (!warmup) result.fire.keel.push(t2 - t1);
      // setTimeout: fire n timers of 0 ms.
      fired = 0;
      done = waitAll();
      for (let i = 0; i < n; i++) setTimeout(fire, 0);
      t1 = performance.now();
      await done;
      t2 = performance.now();
      if (!warmup) result.fire.setTimeout.push(t2 - t1);
    }
  } finally {
    keelHandles.fill(undefined as never);
    await keel.kernel.shutdown();
  }
  return result;
}

export interface SchedulerMemoryArgs {
  contender: SchedulerContender;
  tasks?: number;
}

export interface SchedulerMemoryResult {
  /** Heap retained by `tasks` pending scheduled tasks, bytes (after a full GC). */
  retainedBytes: number;
  tasks: number;
  exactGc: boolean;
}

/**
 * Retained heap of `tasks` pending tasks; meant for a fresh `--expose-gc` process per
 * contender.
 */
export async function schedulerMemory(args: SchedulerMemoryArgs): Promise<SchedulerMemoryResult> {
  const n = args.tasks ?? 100_000;
  const noop = (): void => {};
  // Allocated (and filled) before the baseline, so keeping a handle allocates nothing: what is
  // retained is what the scheduler keeps. The handles let the timers be cleared afterwards.
  const handles: unknown[] = new Array<unknown>(n).fill(undefined);
  if (args.contender === 'setTimeout') {
    const before = await settledHeap();
    for (let i = 0; i < n; i++) handles[i] = setTimeout(noop, FAR_MS);
    const retainedBytes = (await settledHeap()) - before;
    for (const handle of handles) clearTimeout(handle as NodeJS.Timeout);
    return { retainedBytes, tasks: n, exactGc: canCollectGarbage() };
  }
  const keel = await startKeelFixture();
  try {
    const due = Date.now() + FAR_MS;
    const before = await settledHeap();
    for (let i = 0; i < n; i++)
      handles[i] = keel.ctx.newTask(TASK_NAME, noop).schedule(new Date(due));
    const retainedBytes = (await settledHeap()) - before;
    return { retainedBytes, tasks: n, exactGc: canCollectGarbage() };
  } finally {
    await keel.kernel.shutdown();
  }
}

/** Rows of the scheduler scenario from a timing run and one memory run per contender. */
export function schedulerRows(
  n: number,
  timing: SchedulerTimingResult,
  memory: Record<SchedulerContender, SchedulerMemoryResult>,
): Row[] {
  const rows: Row[] = [];
  const label = n.toLocaleString('en-US');
  for (const [phase, samples] of [
    ['schedule', timing.schedule],
    ['cancel', timing.cancel],
    ['fire', timing.fire],
  ] as const) {
    for (const contender of SCHEDULER_CONTENDERS) {
      rows.push({
        scenario: `${phase} ${label} tasks`,
        contender,
        unit: 'ms',
        summary: summarize(samples[contender]),
      });
    }
  }
  for (const contender of SCHEDULER_CONTENDERS) {
    const m = memory[contender];
    rows.push({
      scenario: `heap retained by ${label} scheduled tasks`,
      contender,
      unit: 'MB',
      summary: summarize([m.retainedBytes / 2 ** 20]),
      details: { bytesPerTask: Math.round(m.retainedBytes / m.tasks), exactGc: m.exactGc },
    });
  }
  return rows;
}
