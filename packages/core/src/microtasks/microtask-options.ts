import { KeelError } from '../errors/keel-error.js';
import { toMs, type Duration } from '../time/duration.js';

/** How urgently a microtask wants a slot: `high` never waits, `medium` is served before `low`. */
export type MicroTaskPriority = 'high' | 'medium' | 'low';

/** A priority that may wait for a slot. */
export type WaitingPriority = Exclude<MicroTaskPriority, 'high'>;

/** Options of `runMicroTask`, `startMicroTask` and `signalMicroTask`. */
export interface MicroTaskOptions {
  /** Default `'medium'`. */
  priority?: MicroTaskPriority | undefined;
  /** How long it waits for a slot before it runs anyway. Default 1s (medium) or 3s (low). */
  maxDelay?: Duration | undefined;
}

/** Options of `signalMicroTask`: a name for the work done elsewhere, for stop reports. */
export interface SignalMicroTaskOptions extends MicroTaskOptions {
  name?: string | undefined;
}

/** Default max delays, in ms, as in portbase. */
export const DEFAULT_MAX_DELAY_MS: Readonly<Record<WaitingPriority, number>> = Object.freeze({
  medium: 1000,
  low: 3000,
});

// Messages are built only when an option is bad: these run on every microtask.
function describeSubject(module: string, name: string): string {
  return `microtask "${name}" of module "${module}"`;
}

/** Checks a priority option, defaulting to `'medium'`. */
export function priorityOf(value: unknown, module: string, name: string): MicroTaskPriority {
  if (value === undefined) return 'medium';
  if (value === 'high' || value === 'medium' || value === 'low') return value;
  throw new KeelError(
    'E_INVALID_OPTION',
    `${describeSubject(module, name)}: priority ${JSON.stringify(value) ?? typeof value} is not one of ` +
      `"high", "medium", "low".`,
    { module, details: { option: 'priority', value } },
  );
}

/**
 * The max delay in ms for a waiting priority. Missing or 0 means the priority's default
 * (as portbase's Run/Start variants do; here the signal variants do too).
 */
export function maxDelayOf(
  priority: WaitingPriority,
  value: Duration | undefined,
  module: string,
  name: string,
): number {
  if (typeof value === 'number' && value > 0 && value < Infinity) return value;
  if (value === undefined || value === 0) return DEFAULT_MAX_DELAY_MS[priority];
  const ms = toMs(value, `maxDelay of ${describeSubject(module, name)}`);
  return ms === 0 ? DEFAULT_MAX_DELAY_MS[priority] : ms;
}
