import type { JobOptions } from '../decorators/metadata.js';
import type { KeelError } from '../errors/keel-error.js';
import { badArgumentError } from '../errors/catalog.js';
import type { FleetConsumerSpec } from '../specs/fleet-provider.js';
import { toMs } from '../time/duration.js';

/** `@Job` options, checked and in milliseconds: what the fleet's `consume` takes. */
export interface JobPlan extends FleetConsumerSpec {
  readonly queue: string;
}

const QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Checks `@Job` options where they are declared (and again at `Kernel.create` for classes
 * built without the decorator). Throws `E_INVALID_OPTION` / `E_INVALID_DURATION` naming
 * `Class.method` and the option.
 */
export function resolveJobOptions(owner: string, method: string, options: JobOptions): JobPlan {
  const what = `@Job ${owner}.${method}`;
  const fail = (message: string): KeelError =>
    badArgumentError(`${what}: ${message}`, { details: { owner, method } });
  if (options === null || typeof options !== 'object') {
    throw fail("needs options with a queue name: @Job({ queue: 'invoices' }).");
  }
  const { queue, concurrency, attempts, backoff, timeout } = options;
  if (typeof queue !== 'string' || !QUEUE_NAME.test(queue)) {
    throw fail(
      `queue must be a name of letters, digits, ".", "_" or "-" (at most 128), got ${describeValue(queue)}.`,
    );
  }
  const whole = (value: unknown, name: string, fallback: number, max: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
      throw fail(`${name} must be a whole number from 1 to ${max}, got ${describeValue(value)}.`);
    }
    return value;
  };
  let type: 'fixed' | 'exponential' = 'exponential';
  let delayMs = 1_000;
  if (backoff !== undefined) {
    if (typeof backoff === 'object' && backoff !== null) {
      if (backoff.type !== 'fixed' && backoff.type !== 'exponential') {
        throw fail(`backoff.type must be 'fixed' or 'exponential', got ${String(backoff.type)}.`);
      }
      type = backoff.type;
      delayMs = toMs(backoff.delay, `${what} backoff.delay`);
    } else {
      delayMs = toMs(backoff, `${what} backoff`);
    }
  }
  return {
    queue,
    concurrency: whole(concurrency, 'concurrency', 1, 10_000),
    attempts: whole(attempts, 'attempts', 1, 1_000),
    backoff: { type, delayMs },
    timeoutMs: timeout === undefined ? undefined : toMs(timeout, `${what} timeout`),
  };
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return 'an object';
}
