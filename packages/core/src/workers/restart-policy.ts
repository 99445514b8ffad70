import type { Escalation, SupervisionOptions } from '../decorators/metadata.js';
import { KeelError } from '../errors/keel-error.js';
import { toMs, toMsOr } from '../time/duration.js';
import { backoff, type Schedule } from '../time/schedule.js';

/** Portbase's defaults: 2 s per consecutive failure, forgotten after 5 quiet minutes. */
export const DEFAULT_BACKOFF_MS = 2000;
export const FAILURE_MEMORY_MS = 5 * 60_000;
export const DEFAULT_WINDOW_MS = 60_000;

/**
 * A service worker's restart policy as a value: `delay(failures, random)` is pure, so the
 * sequence of waits can be listed in a test.
 */
export interface RestartPolicy {
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly jitter: number;
  /** Failures allowed within `windowMs` before escalating; Infinity for no limit. */
  readonly maxRestarts: number;
  readonly windowMs: number;
  readonly escalate: Escalation;
  /** The wait before restart number `failures` (1-based); `random` is in [0, 1). */
  delay(failures: number, random: number): number;
  /** The backoff as a {@link Schedule}: `(now, failures) → now + delay`, jitter from `random`. */
  schedule(random: () => number): Schedule;
}

/** Builds and validates a policy; `what` names the worker in error messages. */
export function restartPolicy(options: SupervisionOptions, what: string): RestartPolicy {
  const backoffMs =
    toMsOr(options.backoff, DEFAULT_BACKOFF_MS, `${what}: backoff`) || DEFAULT_BACKOFF_MS;
  const maxBackoffMs =
    options.maxBackoff === undefined ? Infinity : toMs(options.maxBackoff, `${what}: maxBackoff`);
  const jitter = options.jitter ?? 0;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
    throw new KeelError(
      'E_INVALID_OPTION',
      `${what}: jitter must be a number from 0 to 1, got ${String(jitter)}.`,
    );
  }
  const maxRestarts = options.maxRestarts ?? Infinity;
  if (typeof maxRestarts !== 'number' || !(maxRestarts >= 0)) {
    throw new KeelError(
      'E_INVALID_OPTION',
      `${what}: maxRestarts must be a non-negative number, got ${String(maxRestarts)}.`,
    );
  }
  const windowMs = toMsOr(options.window, DEFAULT_WINDOW_MS, `${what}: window`);
  const escalate = options.escalate ?? 'fail-module';
  if (escalate !== 'fail-module' && escalate !== 'shutdown') {
    throw new KeelError(
      'E_INVALID_OPTION',
      `${what}: escalate must be 'fail-module' or 'shutdown', got ${String(escalate)}.`,
    );
  }
  return {
    backoffMs,
    maxBackoffMs,
    jitter,
    maxRestarts,
    windowMs,
    escalate,
    delay,
    schedule: (random) => backoff((failures) => delay(failures, random())),
  };
  function delay(failures: number, random: number): number {
    const base = Math.min(failures * backoffMs, maxBackoffMs);
    return Math.round(base * (1 + jitter * random));
  }
}

/**
 * Remembers failure times to enforce the intensity limit (as OTP supervisors do: more
 * than `maxRestarts` failures within `windowMs`).
 */
export class RestartIntensity {
  private readonly times: number[] = [];

  constructor(private readonly policy: RestartPolicy) {}

  /** Records a failure at `now`; true when the limit is exceeded. */
  exceeded(now: number): boolean {
    if (this.policy.maxRestarts === Infinity) return false;
    this.times.push(now);
    while (this.times.length > 0 && this.times[0]! <= now - this.policy.windowMs)
      this.times.shift();
    return this.times.length > this.policy.maxRestarts;
  }

  reset(): void {
    this.times.length = 0;
  }
}
