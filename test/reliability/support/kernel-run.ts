import type { TestKernel } from '@keel/testing';
import type { Scenario } from './plan.js';
import type { Recorder } from './recorder.js';
import type { StatusMonitor } from './status-monitor.js';

/** The state of one kernel's run that the checks need. */
export interface KernelRun {
  readonly k: TestKernel;
  readonly s: Scenario;
  readonly recorder: Recorder;
  readonly monitor: StatusMonitor;
  startRejected: boolean;
  /** start() rejected naming a module that failed (not just interrupted by a shutdown). */
  startFailed: boolean;
  /** A worker may shut the kernel down by itself (`escalate: 'shutdown'`). */
  readonly mayShutItself: boolean;
  /** The shutdown ran into shutdownTimeout (and reported it). */
  overran: boolean;
  /** Times the scenario's throwing listener threw or rejected. */
  listenerFailures: number;
}

/**
 * What the runs of this test file exercised (printed after the property, so a generator
 * that stopped producing faults is noticed).
 */
const coverage = new Map<string, number>();

/** Counts one occurrence of `what` in the coverage report. */
export function count(what: string): void {
  coverage.set(what, (coverage.get(what) ?? 0) + 1);
}

/** One `name=count` per counter, sorted. */
export function coverageReport(): string {
  return [...coverage.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
