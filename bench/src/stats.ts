/** A summary of repeated measurements of one figure. */
export interface Summary {
  /** Number of samples. */
  readonly n: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Median absolute deviation. */
  readonly mad: number;
  /** `mad / median`, the spread printed as ±%. */
  readonly spread: number;
}

/** Median, extremes and median absolute deviation of `samples`. */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('summarize: no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  const deviations = sorted.map((x) => Math.abs(x - median)).sort((a, b) => a - b);
  const mad = quantile(deviations, 0.5);
  return {
    n: sorted.length,
    median,
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    mad,
    spread: median === 0 ? 0 : mad / median,
  };
}

/** Linear-interpolated quantile of sorted samples. */
export function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Forces a full GC when node runs with --expose-gc; a no-op otherwise. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
    gc();
  }
}

/** True when `--expose-gc` is on, so retained-heap figures mean something. */
export function canCollectGarbage(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === 'function';
}

/** Heap in use after a full GC, in bytes. */
export function retainedHeap(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/**
 * Heap in use after full GCs on a quiet event loop, in bytes: the lowest of three rounds, each
 * after a macrotask turn. A single GC right after big work sometimes keeps the previous round's
 * garbage alive (objects allocated during incremental marking survive that cycle).
 */
export async function settledHeap(): Promise<number> {
  let lowest = Infinity;
  for (let round = 0; round < 3; round++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    lowest = Math.min(lowest, retainedHeap());
  }
  return lowest;
}
