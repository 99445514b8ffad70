/**
 * The one module graph every boot contender builds: a seeded random DAG where module `i`
 * depends on up to 3 distinct earlier modules. Same seed, same graph, in every process.
 */
export interface Dag {
  readonly n: number;
  readonly seed: number;
  /** `deps[i]`: indices (all < i) of the modules module `i` depends on. */
  readonly deps: readonly (readonly number[])[];
}

/** The seed used unless a scenario says otherwise ("keel" in ASCII). */
export const DEFAULT_SEED = 0x6b65656c;

/** mulberry32: a tiny, well-known 32-bit PRNG; enough for reproducible graphs. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Module `i` gets 0..min(3, i) distinct dependencies, uniformly among the earlier modules. */
export function generateDag(n: number, seed: number = DEFAULT_SEED): Dag {
  const random = mulberry32(seed);
  const deps: number[][] = [];
  for (let i = 0; i < n; i++) {
    const count = Math.min(i, Math.floor(random() * 4));
    const picked: number[] = [];
    while (picked.length < count) {
      const j = Math.floor(random() * i);
      if (!picked.includes(j)) picked.push(j);
    }
    deps.push(picked);
  }
  return { n, seed, deps };
}

/** Kahn's algorithm over `deps`: what a hand-written start loop must compute. */
export function topologicalOrder(dag: Dag): number[] {
  const { n, deps } = dag;
  const remaining = new Int32Array(n);
  const dependents: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    const own = deps[i]!;
    remaining[i] = own.length;
    for (const j of own) dependents[j]!.push(i);
  }
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (remaining[i] === 0) order.push(i);
  for (let k = 0; k < order.length; k++) {
    for (const d of dependents[order[k]!]!) {
      remaining[d] = remaining[d]! - 1;
      if (remaining[d] === 0) order.push(d);
    }
  }
  if (order.length !== n) throw new Error('generateDag produced a cycle');
  return order;
}

/** A short fingerprint of the graph, printed so runs can be compared. */
export function dagFingerprint(dag: Dag): string {
  let h = 2166136261;
  for (const own of dag.deps) {
    for (const j of own) h = Math.imul(h ^ j, 16777619);
    h = Math.imul(h ^ 0xff, 16777619);
  }
  const edges = dag.deps.reduce((sum, own) => sum + own.length, 0);
  return `n=${dag.n} edges=${edges} hash=${(h >>> 0).toString(16)}`;
}
