import { KeelError } from '../errors/keel-error.js';

/** Milliseconds as a number, or a string such as `'250ms'`, `'2s'`, `'5m'`, `'1h'`, `'1d'`. */
export type Duration = number | string;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/**
 * Converts a {@link Duration} to milliseconds.
 * @param what names the option in the error message, e.g. `@Worker backoff of Feed.pump`.
 * @throws KeelError `E_INVALID_DURATION` for anything else (negative, NaN, unknown unit).
 */
export function toMs(value: Duration, what: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
  } else if (typeof value === 'string') {
    const match = PATTERN.exec(value.trim());
    if (match) return Number(match[1]) * (UNIT_MS[match[2]!] ?? Number.NaN);
  }
  throw new KeelError(
    'E_INVALID_DURATION',
    `${what}: ${JSON.stringify(value) ?? String(value)} is not a valid duration. ` +
      `Use a non-negative number of milliseconds or a string like "250ms", "2s", "5m", "1h", "1d".`,
    { details: { value } },
  );
}

/** Like {@link toMs}, for an optional value with a default. */
export function toMsOr(value: Duration | undefined, fallback: number, what: string): number {
  return value === undefined ? fallback : toMs(value, what);
}
