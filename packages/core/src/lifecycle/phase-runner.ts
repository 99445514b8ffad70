import type { LimitFunction } from 'p-limit';

/** How one phase walks the graph. */
export interface Phase<N> {
  /** The nodes this phase handles. */
  readonly nodes: readonly N[];
  /** Nodes of this phase that must finish before `node` may begin. */
  readonly waitsFor: (node: N) => readonly N[];
  /** Nodes of this phase that wait for `node`. */
  readonly unblocks: (node: N) => readonly N[];
  readonly run: (node: N) => Promise<void>;
  /** Bounded fan-out for independent nodes. */
  readonly limit: LimitFunction;
  /** Stop launching after the first failure (prep, start); a stop phase goes on. */
  readonly haltOnError: boolean;
  /** Checked before each launch: true stops launching (a shutdown began). */
  readonly halted?: () => boolean;
}

/** The outcome of a phase. */
export interface PhaseResult<N> {
  readonly done: N[];
  readonly failed: Array<{ node: N; error: unknown }>;
  /** Nodes never launched (their turn never came, or the phase halted). */
  readonly skipped: N[];
}

/**
 * Runs a phase event-driven: a node begins as soon as the last node it waits for ends
 * (not in rigid waves), independent nodes run concurrently under `limit`.
 */
export function runPhase<N>(phase: Phase<N>): Promise<PhaseResult<N>> {
  const { nodes, waitsFor, unblocks, run, limit, haltOnError, halted } = phase;
  const inPhase = new Set(nodes);
  const pending = new Map<N, number>();
  const done: N[] = [];
  const failed: Array<{ node: N; error: unknown }> = [];
  const launched = new Set<N>();
  let inFlight = 0;
  let stopped = false;

  return new Promise((resolve) => {
    const finish = (): void => {
      if (inFlight > 0) return;
      const skipped = nodes.filter((n) => !launched.has(n));
      resolve({ done, failed, skipped });
    };

    const launch = (node: N): void => {
      if (stopped || halted?.() === true) {
        stopped = true;
        return;
      }
      launched.add(node);
      inFlight++;
      limit(() => {
        if (!stopped && halted?.() !== true) return run(node);
        launched.delete(node); // halted while queued for a slot: never ran
        return Promise.resolve();
      }).then(
        () => {
          if (launched.has(node)) done.push(node);
          settle(node, true);
        },
        (error: unknown) => {
          failed.push({ node, error });
          if (haltOnError) stopped = true;
          settle(node, !haltOnError);
        },
      );
    };

    const settle = (node: N, release: boolean): void => {
      inFlight--;
      if (release) {
        for (const next of unblocks(node)) {
          if (!inPhase.has(next)) continue;
          const left = pending.get(next)! - 1;
          pending.set(next, left);
          if (left === 0) launch(next);
        }
      }
      finish();
    };

    const ready: N[] = [];
    for (const node of nodes) {
      const count = waitsFor(node).filter((n) => inPhase.has(n)).length;
      pending.set(node, count);
      if (count === 0) ready.push(node);
    }
    for (const node of ready) launch(node);
    finish();
  });
}
