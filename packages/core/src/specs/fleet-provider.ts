import type { Logger } from 'pino';
import type { Clock } from '../time/clock.js';

/**
 * The engine-neutral contract between the kernel and a fleet engine (Redis, BullMQ, an
 * in-memory fake). The kernel owns every policy that must behave the same on every engine
 * (when to renew a lease, when to step down, which hooks run where, how failures are
 * reported); a connection only offers primitives that an engine can do atomically.
 *
 * A provider object belongs to one kernel: `redisFleet(options)` / `fakeFleet.replica(id)`
 * return a fresh one each call, so two kernels share nothing.
 */
export interface FleetProvider {
  /** Shown as `inspect().fleet.provider`: `'local'`, `'redis'`, `'fake'`, … */
  readonly kind: string;
  /**
   * Lease and heartbeat TTL in ms (`leaseTtl` of the provider's options); default 10 000.
   * The kernel renews every ttl/3 and steps down before a lease it cannot renew expires.
   */
  readonly leaseTtlMs?: number;
  /**
   * True for a fleet of one by construction (the in-process default): nobody else can take
   * a lease, so the kernel keeps no heartbeat or renewal timer when there is no singleton.
   */
  readonly alone?: boolean;
  /**
   * Connects; called once per kernel before the first `prep()`. Rejects with a `KeelError`
   * `E_FLEET_UNAVAILABLE` naming the target without secrets when the engine cannot be
   * reached; gives up when `signal` aborts (the kernel aborts it at `startTimeout`).
   */
  connect(host: FleetHost, signal: AbortSignal): Promise<FleetConnection>;
}

/** What the kernel offers its fleet connection. */
export interface FleetHost {
  /** The kernel's clock: a connection's own timers and timestamps use it (fake in tests). */
  readonly clock: Clock;
  /** A child logger of the kernel's (`{ module: 'fleet' }`); already redacts secrets. */
  readonly logger: Logger;
  /**
   * The connection reports its link state here; the kernel mirrors it into the built-in
   * `fleet` failure status (a warning while disconnected, resolved on reconnect).
   */
  connectionChanged(connected: boolean, reason?: string): void;
  /** An error no caller is waiting for (a reader loop failing); reported as a `ModuleError` of `fleet`. */
  report(error: unknown, taskName: string): void;
}

/** A replica as the fleet sees it. Times are epoch ms (wall time, for display). */
export interface FleetReplica {
  readonly replicaId: string;
  /** When this replica joined. */
  readonly since: number;
  /** Its last heartbeat. */
  readonly lastSeen: number;
  /** Names of the singleton modules it leads. */
  readonly leaderOf: readonly string[];
}

/** What a replica publishes about itself with each heartbeat. */
export interface ReplicaState {
  readonly since: number;
  readonly leaderOf: readonly string[];
  /** Fleet task keys and job queues this replica declares (for reconciliation). */
  readonly declares?: { readonly tasks: readonly string[]; readonly queues: readonly string[] };
}

/** One live connection of one replica to its fleet. */
export interface FleetConnection {
  readonly service: string;
  readonly replicaId: string;
  /** The current link state (also reported through `FleetHost.connectionChanged`). */
  readonly connected: boolean;

  // ----- membership -------------------------------------------------------------------
  /**
   * Writes this replica's heartbeat, alive for `ttlMs`. May resolve with the live replicas
   * (as {@link replicas} would, this one included) when the engine returns them in the same
   * round trip: the kernel then skips its `replicas()` call. Resolving with nothing is fine
   * too; the kernel asks `replicas()` then.
   */
  heartbeat(state: ReplicaState, ttlMs: number): Promise<void | FleetReplica[]>;
  /** The live replicas of the service (heartbeat not yet expired), this one included. */
  replicas(): Promise<FleetReplica[]>;

  // ----- leases (singleton modules, fleet leader, per-task run leases) ----------------
  /**
   * Takes `lease` if nobody holds it (`SET NX PX`), for `ttlMs`. Resolves with a new
   * fencing token, strictly greater than every token issued for this lease before, or
   * `undefined` when another replica holds it. Rejects when the engine is unreachable.
   */
  acquire(lease: string, ttlMs: number): Promise<number | undefined>;
  /** Extends `lease` for `ttlMs` if it is still held with `token`; false if it was lost. */
  renew(lease: string, token: number, ttlMs: number): Promise<boolean>;
  /** Gives `lease` up if it is still held with `token` (no-op otherwise). */
  release(lease: string, token: number): Promise<void>;
  /** The highest token issued for `lease` so far (0 if none): what a fenced resource checks. */
  currentToken(lease: string): Promise<number>;

  // ----- fleet events -----------------------------------------------------------------
  /** Appends one event to the fleet (`XADD` on Redis). `payload` is JSON text. */
  publish(topic: string, payload: string): Promise<void>;
  /**
   * Delivers the events of `spec.topic` to `deliver` as the delivery mode says. An event is
   * acknowledged when the promise `deliver` returns resolves; a rejection leaves it for
   * redelivery (`'one'`) up to `maxDeliveries`, then dead-lettered with the error.
   */
  subscribe(spec: FleetSubscription, deliver: FleetDeliver): FleetSubscriptionHandle;

  // ----- jobs -------------------------------------------------------------------------
  /**
   * Adds a job; resolves with its id (`opts.jobId` makes it idempotent). `data` is JSON text.
   * `value`, when given, is the caller's value that `data` is the JSON text of: an engine that
   * serialises data itself may take it instead of parsing `data` again, but only if it reads
   * it before `enqueue` returns (the caller may change it afterwards).
   */
  enqueue(queue: string, data: string, opts: FleetEnqueueOptions, value?: unknown): Promise<string>;
  /** Starts taking jobs of `queue` on this replica until the returned consumer is closed. */
  consume(queue: string, spec: FleetConsumerSpec, handler: FleetJobHandler): FleetConsumer;

  // ----- fleet tasks ------------------------------------------------------------------
  /**
   * Schedules a `fleet: 'once'` task: at each due time exactly one live replica that
   * declares `spec.key` gets `run` called; `run` resolves when that replica's run ended.
   */
  scheduleTask(spec: FleetTaskSpec, run: FleetTaskRun): FleetTaskHandle;

  // ----- view -------------------------------------------------------------------------
  /** A synchronous, JSON-serialisable view for `inspect()` (cached, never does I/O). */
  snapshot(): FleetConnectionSnapshot;
  /** Disconnects; pending waits end. Called once, after the last module stopped. */
  close(): Promise<void>;
}

/** How a fleet hook receives events. */
export interface FleetSubscription {
  /** `${sourceModule}.${event}` */
  readonly topic: string;
  /** A stable id of the hook, e.g. `catalog.price-changed->search.reindex` (the group for `'one'`). */
  readonly hookId: string;
  /** `'all'`: every live replica once; `'one'`: exactly one replica. */
  readonly mode: 'all' | 'one';
  /** `'one'`: deliveries before an event is dead-lettered. Default 5. */
  readonly maxDeliveries: number;
  /** `'one'`: how long an unacknowledged delivery waits before another replica claims it. */
  readonly minIdleMs: number;
}

/** One delivery of a fleet event. */
export interface FleetDelivery {
  readonly id: string;
  readonly topic: string;
  /** JSON text as published. */
  readonly payload: string;
  /** 1 for the first delivery. */
  readonly attempt: number;
}

export type FleetDeliver = (delivery: FleetDelivery) => Promise<void>;

export interface FleetSubscriptionHandle {
  /** Stops reading (no blocked read left behind); waits for deliveries in flight to settle. */
  close(): Promise<void>;
}

export interface FleetEnqueueOptions {
  readonly jobId?: string;
  readonly priority?: number;
  readonly delayMs?: number;
}

/** Retry spacing of a job: fixed or exponential from `delayMs`. */
export interface FleetBackoff {
  readonly type: 'fixed' | 'exponential';
  readonly delayMs: number;
}

export interface FleetConsumerSpec {
  readonly concurrency: number;
  readonly attempts: number;
  readonly backoff: FleetBackoff;
  /** Per attempt; the handler's signal aborts when it passes. */
  readonly timeoutMs: number | undefined;
  /**
   * The consuming module's signal (aborts when it begins to stop). A consumer that aborts
   * every running attempt's signal with it (with its reason) says so with
   * {@link FleetConsumer.abortsWithSignal}; otherwise the kernel links the two per attempt.
   */
  readonly signal?: AbortSignal;
  /**
   * False when the handler never hands its signal on (the `@Job` method declares only
   * `data`): the engine may then skip creating an AbortSignal per attempt and pass `signal`
   * (or any signal) instead. A timeout still fails the attempt. Default: true.
   */
  readonly handlerReadsSignal?: boolean;
}

/** What a job handler is told about its job. */
export interface FleetJob {
  readonly id: string;
  readonly queue: string;
  /** JSON text as enqueued. */
  readonly data: string;
  /**
   * The data already parsed (`JSON.parse(data)`), from an engine that has it: the handler gets
   * it as is, so it must be this attempt's own copy. Absent: the kernel parses `data`.
   */
  readonly value?: unknown;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Epoch ms. */
  readonly enqueuedAt: number;
}

/** Runs one attempt; a rejection fails the attempt (retried with backoff until `attempts`). */
export type FleetJobHandler = (job: FleetJob, signal: AbortSignal) => Promise<void>;

export interface FleetConsumer {
  /** Stops taking jobs, waits up to `graceMs` for running ones, then hands the rest back. */
  close(graceMs: number): Promise<void>;
  /**
   * True when each attempt's signal also aborts with the spec's `signal`: the handler then
   * gets it as is (saves a second AbortController and two listeners per job).
   */
  readonly abortsWithSignal?: boolean;
}

export interface FleetTaskSpec {
  /** `${module}.${task}`, the same on every replica. */
  readonly key: string;
  readonly everyMs?: number;
  readonly cron?: string;
  readonly timezone?: string;
}

/** Runs one due time on this replica; resolves when the run ended. */
export type FleetTaskRun = (dueAt: number) => Promise<void>;

export interface FleetTaskHandle {
  /** Epoch ms of the next due time, when known. */
  readonly nextRunAt: number | undefined;
  /** Stops taking due times on this replica. */
  close(): Promise<void>;
}

/** Counts of one job queue. */
export interface FleetQueueCounts {
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly completed: number;
  readonly failed: number;
}

/** The connection's view for `inspect().fleet`. */
export interface FleetConnectionSnapshot {
  readonly replicas: readonly FleetReplica[];
  readonly queues: Readonly<
    Record<
      string,
      FleetQueueCounts & {
        readonly lastFailures: readonly { id: string; error: string; at: number }[];
        /**
         * Clock ms when an engine that caches counts read these (their age); absent when
         * they are live (the in-process fleet) or were not read yet (then all zeros).
         */
        readonly countsAt?: number;
      }
    >
  >;
  readonly events: Readonly<
    Record<
      string,
      {
        readonly delivered: number;
        readonly pending: number;
        readonly deadLettered: number;
        readonly deadLetters: readonly { id: string; error: string; at: number }[];
      }
    >
  >;
  readonly tasks: Readonly<
    Record<string, { readonly nextRunAt: number | undefined; readonly lastRunBy?: string }>
  >;
}
