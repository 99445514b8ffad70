import type { ModuleRuntime } from '../lifecycle/module-runtime.js';
import type { EnqueueOptions, FleetWork } from './fleet-work.js';
import type { KernelFleet } from './kernel-fleet.js';

/**
 * `ctx.fleet`: a module's view of the fleet it runs in — its fencing token while it is the
 * active singleton, this replica's identity, and the job queues.
 */
export class FleetContext {
  /** @internal */
  constructor(
    private readonly rt: ModuleRuntime,
    private readonly fleet: KernelFleet,
    private readonly work: FleetWork,
  ) {}

  /**
   * The fencing token of this singleton's lease while the module is active here (strictly
   * increasing per win across the fleet); `undefined` when it is not, and for modules that
   * are not singletons. Pass it to resources that must refuse a stale leader's writes.
   */
  get token(): number | undefined {
    return this.fleet.tokenOf(this.rt);
  }

  /** This replica's id; `undefined` before the fleet connected (in a constructor). */
  get replicaId(): string | undefined {
    return this.fleet.connection?.replicaId;
  }

  /** The service this replica belongs to; `undefined` before the fleet connected. */
  get service(): string | undefined {
    return this.fleet.connection?.service;
  }

  /** True while the fleet engine is reachable. */
  get connected(): boolean {
    return this.fleet.connection?.connected ?? false;
  }

  /**
   * Adds a job to a durable queue that some module takes with `@Job({ queue })`; resolves
   * with the job's id. `jobId` makes it idempotent.
   * @throws KeelError `E_JOB_QUEUE_UNKNOWN` (no `@Job` takes that queue), `E_JOB_DATA` (not
   * JSON-serialisable), `E_INVALID_OPTION` — at the call site.
   */
  enqueue(queue: string, data: unknown, options: EnqueueOptions = {}): Promise<string> {
    return this.work.enqueue(this.rt, queue, data, options);
  }
}
