import type { LimitFunction } from 'p-limit';

/** How one phase walks the graph. */
export interface Phase<N> {
  /** The nodes this phase handles. */
  readonly nodes: readonly N[];
  /** Nodes of this phase that must finish before `node` may begin. */
  readonly waitsFor: (node: N) => readonly N[];
  /** Nodes of this phase that wait for `node`. */
  readonly unblocks: (node: N) => readonly N[];
  /**
   * A distinct integer in [0, `slots`) per node of the graph: the run keeps its counts in
   * typed arrays indexed by it instead of maps keyed by node (no hashing, little garbage).
   * `nodes` holds each node once.
   */
  readonly slot: (node: N) => number;
  readonly slots: number;
  /**
   * Runs one node: `undefined` when it finished synchronously, a promise when it goes on
   * asynchronously. A synchronous throw is a failure of the node, like a rejection.
   */
  readonly run: (node: N) => Promise<void> | undefined;
  /** Bounded fan-out for nodes whose run goes on asynchronously. */
  readonly limit: LimitFunction;
  /** Stop launching after the first failure (prep, start); a stop phase goes on. */
  readonly haltOnError: boolean;
  /** Checked before each launch: true stops launching (a shutdown began). */
  readonly halted?: () => boolean;
  /** Told when a synchronous pass of launches begins (true) and ends (false). */
  readonly pass?: (inside: boolean) => void;
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
  return new PhaseRun(phase).result;
}

/**
 * One run of a phase. A node that finishes synchronously releases its dependents in the
 * same loop: a graph of synchronous lifecycle methods completes without a promise per
 * node. A node that goes on asynchronously holds a slot of `limit` (p-limit) until it
 * settles; while every slot is taken, ready nodes wait in p-limit's queue.
 */
class PhaseRun<N> {
  readonly result: Promise<PhaseResult<N>>;
  private resolve!: (result: PhaseResult<N>) => void;
  /** Per slot: how many of the nodes it waits for have not finished yet; -1: not in the phase. */
  private readonly pending: Int32Array;
  /** Per slot: 1 once the node was launched. */
  private readonly launched: Uint8Array;
  private readonly done: N[] = [];
  private readonly failed: Array<{ node: N; error: unknown }> = [];
  /** Nodes whose turn came, not launched yet (a FIFO: `next` is its head). */
  private readonly ready: N[] = [];
  private next = 0;
  private draining = false;
  private inFlight = 0;
  private stopped = false;

  constructor(private readonly phase: Phase<N>) {
    this.result = new Promise((resolve) => (this.resolve = resolve));
    const { nodes, waitsFor, slot } = phase;
    this.launched = new Uint8Array(phase.slots);
    // Every node of the graph takes part (a boot, a whole shutdown): each counts all it waits
    // for, without looking at them (on a large graph, touching each edge's far node is most
    // of the setup's cost).
    const whole = nodes.length === phase.slots;
    this.pending = whole ? new Int32Array(phase.slots) : new Int32Array(phase.slots).fill(-1);
    if (!whole) for (const node of nodes) this.pending[slot(node)] = 0;
    for (const node of nodes) {
      let count = 0;
      if (whole) count = waitsFor(node).length;
      else for (const before of waitsFor(node)) if (this.pending[slot(before)]! >= 0) count++;
      this.pending[slot(node)] = count;
      if (count === 0) this.ready.push(node);
    }
    this.drain();
  }

  /** Launches ready nodes until none is left; resolves the phase once nothing runs. */
  private drain(): void {
    if (this.draining) return; // a synchronous finish inside the loop: the loop goes on
    this.draining = true;
    const { pass } = this.phase;
    pass?.(true);
    try {
      while (this.next < this.ready.length) this.launch(this.ready[this.next++]!);
    } finally {
      pass?.(false);
      this.draining = false;
    }
    if (this.inFlight === 0) this.finish();
  }

  private launch(node: N): void {
    if (this.isHalted()) return;
    this.launched[this.phase.slot(node)] = 1;
    const { limit } = this.phase;
    if (limit.activeCount >= limit.concurrency || limit.pendingCount > 0) {
      // Every slot is taken: wait for one, then run (unless the phase halted meanwhile).
      this.inFlight++;
      this.settleLater(
        node,
        limit(() => {
          if (!this.isHalted()) return this.phase.run(node);
          this.launched[this.phase.slot(node)] = 0; // halted while queued for a slot: never ran
          return undefined;
        }),
      );
      return;
    }
    let running: Promise<void> | undefined;
    try {
      running = this.phase.run(node);
    } catch (error) {
      this.fail(node, error);
      return;
    }
    if (running === undefined) {
      this.succeed(node);
      return;
    }
    // Holds a free slot (p-limit counts it at once) until the node settles.
    this.inFlight++;
    this.settleLater(
      node,
      limit(() => running),
    );
  }

  private settleLater(node: N, running: Promise<void | undefined>): void {
    running.then(
      () => {
        this.inFlight--;
        if (this.launched[this.phase.slot(node)] === 1) this.succeed(node);
        this.drain();
      },
      (error: unknown) => {
        this.inFlight--;
        this.fail(node, error);
        this.drain();
      },
    );
  }

  private succeed(node: N): void {
    this.done.push(node);
    this.release(node);
  }

  private fail(node: N, error: unknown): void {
    this.failed.push({ node, error });
    if (this.phase.haltOnError) this.stopped = true;
    else this.release(node);
  }

  /** The nodes waiting for `node` count it as finished; those with none left are ready. */
  private release(node: N): void {
    const { pending } = this;
    const { slot } = this.phase;
    const unblocked = this.phase.unblocks(node);
    for (let i = 0; i < unblocked.length; i++) {
      const next = unblocked[i]!;
      const at = slot(next);
      const left = pending[at]!;
      if (left < 0) continue; // not in this phase
      pending[at] = left - 1;
      if (left === 1) this.ready.push(next);
    }
  }

  private isHalted(): boolean {
    if (!this.stopped && this.phase.halted?.() === true) this.stopped = true;
    return this.stopped;
  }

  private finish(): void {
    const { launched } = this;
    const { slot } = this.phase;
    const skipped = this.phase.nodes.filter((n) => launched[slot(n)] !== 1);
    this.resolve({ done: this.done, failed: this.failed, skipped });
  }
}
