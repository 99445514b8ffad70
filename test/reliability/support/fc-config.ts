import fc from 'fast-check';

/** The seed CI uses unless `KEEL_FC_SEED` says otherwise: runs are reproducible by default. */
export const DEFAULT_SEED = 20_260_101;

/**
 * fast-check parameters for one property: a fixed seed (printed, so a CI failure can be
 * replayed with `KEEL_FC_SEED=<seed>`, and straight to the shrunk counterexample with
 * `KEEL_FC_PATH=<path>` from the failure report), and `runs` scaled by `KEEL_FC_RUNS_SCALE`
 * (e.g. 10 for a long local hunt, 0.1 for a quick check).
 */
export function propertyParameters<T>(property: string, runs: number): fc.Parameters<T> {
  const seed = Number(process.env.KEEL_FC_SEED ?? DEFAULT_SEED);
  const scale = Number(process.env.KEEL_FC_RUNS_SCALE ?? 1);
  const path = process.env.KEEL_FC_PATH;
  const numRuns = Math.max(1, Math.round(runs * scale));
  process.stdout.write(
    `[reliability] ${property}: seed=${seed} runs=${numRuns}${path === undefined ? '' : ` path=${path}`}\n`,
  );
  return path === undefined ? { seed, numRuns } : { seed, numRuns, path };
}
