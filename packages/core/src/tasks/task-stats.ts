import { describe } from '../errors/module-error.js';
import type { RunQueueStats } from './run-queue.js';
import type { TaskState } from './task-state.js';

/** One task, for inspect. */
export interface TaskInfo {
  name: string;
  nextRunAt: string | null;
  running: boolean;
  queued: boolean;
  repeatMs: number | null;
  runs: number;
  failures: number;
  lastDurationMs: number | null;
  lastError: string | null;
}

/** The scheduler, for inspect. */
export interface TaskSchedulerStats {
  concurrency: number;
  slotsInUse: number;
  queued: RunQueueStats;
  scheduled: number;
  running: number;
}

/** A JSON-serialisable view of one task. */
export function describeTask(task: TaskState): TaskInfo {
  const run = task.record;
  const error = run?.lastError;
  return {
    name: task.name,
    nextRunAt: nextRunAt(task),
    running: task.running,
    queued: task.queued,
    repeatMs: task.cadence === undefined ? null : task.repeatMs || null,
    runs: run?.runs ?? 0,
    failures: run?.failures ?? 0,
    lastDurationMs: run?.lastDurationMs ?? null,
    lastError: error === undefined ? null : describe(error),
  };
}

function nextRunAt(task: TaskState): string | null {
  const at = task.ops.wallTime(task);
  if (at === undefined) return null;
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
