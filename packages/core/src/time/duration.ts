import { KeelError } from '../errors/keel-error.js';
import { printValue } from '../errors/safe.js';

/**
 * Milliseconds as a number, or a string: a number and a unit (`'250ms'`, `'2s'`, `'2 s'`,
 * `'1.5m'`, `'1h'`, `'1d'`), or several in Go's `time.ParseDuration` form (`'1h30m'`,
 * `'2h45m30s'`, `'1.5s'`, `'300us'`). See docs/configuration.md#durations.
 */
export type Duration = number | string;

// Nanoseconds per unit, as BigInt: a sum of parts is exact, so '1.001s' is 1001 ms, not
// 1000.9999999999999. Go's units, plus `d` (Keel's own, a day of 24 h).
const NS_PER_MS = 1_000_000n;
const UNIT_NS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign, as Go writes it
  μs: 1_000n, // U+03BC Greek mu, as Go also accepts
  ms: NS_PER_MS,
  s: 1_000n * NS_PER_MS,
  m: 60_000n * NS_PER_MS,
  h: 3_600_000n * NS_PER_MS,
  d: 86_400_000n * NS_PER_MS,
};
// One part: a decimal number (`2`, `1.5`, `.5`, `1.`), optional spaces, a unit. Sticky, so
// the parse walks the string once, part after part: no backtracking, bounded by its length.
// Each parse copies it: a shared sticky RegExp would carry `lastIndex` between calls.
const PART_PATTERN =
  /(\d+)(?:\.(\d*))?\s*(ns|us|µs|μs|ms|s|m|h|d)\s*|\.(\d+)\s*(ns|us|µs|μs|ms|s|m|h|d)\s*/y;
// Longer than any duration Keel accepts could need to be: refused before parsing.
const MAX_LENGTH = 256;

/**
 * The longest duration Keel accepts: 10 years. Past it a time is no schedule any more (and
 * `new Date(now + ms)` would soon be invalid).
 */
export const MAX_DURATION_MS = 10 * 365 * 86_400_000;

/**
 * Converts a {@link Duration} to milliseconds (a fraction for `ns` and `us` parts).
 * @param what names the option in the error message, e.g. `@Worker backoff of Feed.pump`.
 * @throws KeelError `E_INVALID_DURATION` for anything else (negative, NaN, Infinity, longer
 * than 10 years, an unknown unit).
 * @example
 * ```ts
 * toMs('1h30m', 'example'); // 5_400_000
 * ```
 */
export function toMs(value: Duration, what: string): number {
  let ms = Number.NaN;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string') ms = parseDurationString(value);
  if (Number.isFinite(ms) && ms >= 0 && ms <= MAX_DURATION_MS) return ms;
  const tooLong = ms > MAX_DURATION_MS;
  throw new KeelError(
    'E_INVALID_DURATION',
    `${what}: ${printDuration(value)} is not a valid duration` +
      (tooLong ? ` (longer than the maximum of 10 years, ${MAX_DURATION_MS} ms). ` : '. ') +
      `Use a non-negative number of milliseconds or a string like "250ms", "2s", "1h30m", "1d".`,
    { details: { value: typeof value === 'bigint' ? String(value) : value } },
  );
}

/** Milliseconds of a duration string, or NaN when it is not one. */
function parseDurationString(raw: string): number {
  const text = raw.trim();
  if (text.length > MAX_LENGTH || text === '') return Number.NaN;
  if (text === '0') return 0; // Go's one unit-less form
  let ns = 0n;
  const part = new RegExp(PART_PATTERN);
  while (part.lastIndex < text.length) {
    const match = part.exec(text);
    if (match === null) return Number.NaN;
    const [, whole = '0', fraction = '', unit1, leadFraction, unit2] = match;
    const unitNs = UNIT_NS[unit1 ?? unit2 ?? ''];
    if (unitNs === undefined) return Number.NaN;
    const digits = leadFraction ?? fraction;
    ns += BigInt(whole) * unitNs;
    // Truncated below a nanosecond, as Go does.
    if (digits !== '') ns += (BigInt(digits) * unitNs) / 10n ** BigInt(digits.length);
  }
  return Number(ns / NS_PER_MS) + Number(ns % NS_PER_MS) / 1e6;
}

/**
 * Milliseconds in Go's `time.Duration.String()` form, which {@link toMs} reads back:
 * `0s`, `250ms`, `1.5s`, `1m30s`, `2h45m30s` (hours are not folded into days).
 * @example
 * ```ts
 * formatDuration(5_400_000); // '1h30m0s'
 * ```
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? '-' : '';
  const ns = BigInt(Math.round(Math.abs(ms) * 1e6));
  if (ns === 0n) return '0s';
  if (ns < 1_000n) return `${sign}${ns}ns`;
  if (ns < NS_PER_MS) return `${sign}${decimal(ns, 1_000n)}µs`;
  if (ns < UNIT_NS.s!) return `${sign}${decimal(ns, NS_PER_MS)}ms`;
  const hours = ns / UNIT_NS.h!;
  const minutes = (ns % UNIT_NS.h!) / UNIT_NS.m!;
  const seconds = decimal(ns % UNIT_NS.m!, UNIT_NS.s!);
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0n) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

/** `value / unit` as a decimal without trailing zeros: 1500n, 1000n gives `1.5`. */
function decimal(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const rest = value % unit;
  if (rest === 0n) return String(whole);
  const width = String(unit).length - 1;
  return `${whole}.${String(rest).padStart(width, '0').replace(/0+$/, '')}`;
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
