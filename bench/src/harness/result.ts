import type { Summary } from '../stats.js';

/** Units the table knows how to print. */
export type Unit = 'ms' | 'us' | 'ns' | 'MB' | 'B' | 'ops/s' | '%';

/** One measured figure of one contender. */
export interface Row {
  /** Groups the rows that are compared with each other, e.g. `boot warm N=1000`. */
  readonly scenario: string;
  readonly contender: string;
  readonly unit: Unit;
  readonly summary: Summary;
  /** Higher is better (throughput); the ratio is then still Keel ÷ contender. */
  readonly higherIsBetter?: boolean;
  /** Anything worth keeping next to the figure (breakdowns, counts). */
  readonly details?: Record<string, unknown>;
}

/** The contender every ratio is computed for. */
export const KEEL = 'keel';
