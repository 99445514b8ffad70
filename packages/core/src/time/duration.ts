import { KeelError } from '../errors/keel-error.js';
import { printValue } from '../errors/safe.js';

/** Milliseconds as a number, or a string such as `'250ms'`, `'2s'`, `'5m'`, `'1h'`, `'1d'`. */
export type Duration = number | string;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/**
 * The longest duration Keel accepts: 10 years. Past it a time is no schedule any more (and
 * `new Date(now + ms)` would soon be invalid).
 */
export const MAX_DURATION_MS = 10 * 365 * 86_400_000;

/**
 * Converts a {@link Duration} to milliseconds.
 * @param what names the option in the error message, e.g. `@Worker backoff of Feed.pump`.
 * @throws KeelError `E_INVALID_DURATION` for anything else (negative, NaN, unknown unit).
 */
export function toMs(value: Duration, what: string): number {
  let ms = Number.NaN;
  if (typeof value === 'number') {
    ms = value;
  } else if (typeof value === 'string') {
    const match = PATTERN.exec(value.trim());
    if (match) ms = Number(match[1]) * (UNIT_MS[match[2]!] ?? Number.NaN);
  }
  if (Number.isFinite(ms) && ms >= 0 && ms <= MAX_DURATION_MS) return ms;
  const tooLong = ms > MAX_DURATION_MS;
  throw new KeelError(
    'E_INVALID_DURATION',
    `${what}: ${printDuration(value)} is not a valid duration` +
      (tooLong ? ` (longer than the maximum of 10 years, ${MAX_DURATION_MS} ms). ` : '. ') +
      `Use a non-negative number of milliseconds or a string like "250ms", "2s", "5m", "1h", "1d".`,
    { details: { value: typeof value === 'bigint' ? String(value) : value } },
  );
}

/** The value as its author wrote it: NaN, Infinity and 5n by name, strings quoted. */
function printDuration(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'bigint') return `${String(value)}n (a BigInt)`;
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  return printValue(value);
}

/** Like {@link toMs}, for an optional value with a default. */
export function toMsOr(value: Duration | undefined, fallback: number, what: string): number {
  return value === undefined ? fallback : toMs(value, what);
}
