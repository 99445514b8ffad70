import { KeelError } from '../../errors/keel-error.js';
import type { Clock } from '../../time/clock.js';
import type {
  FleetConnection,
  FleetConnectionSnapshot,
  FleetHost,
  FleetProvider,
} from '../../specs/fleet-provider.js';
import { MemoryConnection } from './connection.js';
import { EventHub } from './events.js';
import type { FleetState } from './fleet-state.js';
import { JobHub } from './jobs.js';
import { Leases } from './leases.js';
import { ReplicaLink } from './link.js';
import { Membership } from './membership.js';
import { TaskHub } from './tasks.js';

/** Options of a {@link MemoryFleet}. */
export interface MemoryFleetOptions {
  /** The fleet's clock: leases, heartbeats, redelivery, backoff and schedules read it. */
  readonly clock: Clock;
  /** The service name every connection reports; default `'local'`. */
  readonly service?: string;
  /** `FleetProvider.kind` of its providers; default `'memory'`. */
  readonly kind?: string;
  /**
   * How long a job (or fleet task run) of a killed or cut-off replica stays active before
   * it goes back to waiting, as BullMQ's stalled-job check; default 30 s.
   */
  readonly stalledMs?: number;
  /** `leaseTtlMs` its providers tell the kernel (lease and heartbeat TTL); default: the kernel's 10 s. */
  readonly leaseTtlMs?: number;
}

/**
 * A fleet held in one process's memory: the engine behind `localFleet()` (a fleet of one)
 * and `FakeFleet` (several test kernels on one fake clock). It mirrors what the Redis and
 * BullMQ engines do — leases with fencing tokens, heartbeats with a TTL, broadcast events
 * and consumer groups with claim and dead letters, job queues with retries, once-per-fleet
 * tasks — and is not durable: it ends with the process.
 *
 * Its timers exist only while some live replica needs them, so once every replica closed
 * (or was killed) the clock has none left from it.
 * @example
 * ```ts
 * const hub = new MemoryFleet({ clock, service: 'billing' });
 * const a = Kernel.create({ modules, clock, fleet: hub.provider('a') });
 * ```
 */
export class MemoryFleet implements FleetState {
  readonly clock: Clock;
  readonly service: string;
  readonly kind: string;
  readonly stalledMs: number;
  readonly leaseTtlMs: number | undefined;
  /** @internal */
  readonly membership: Membership;
  /** @internal */
  readonly leases: Leases;
  /** @internal */
  readonly events: EventHub;
  /** @internal */
  readonly jobs: JobHub;
  /** @internal */
  readonly tasks: TaskHub;
  private readonly links = new Map<string, ReplicaLink>();
  private readonly cutOff = new Set<string>();

  constructor(options: MemoryFleetOptions) {
    if (
      options === null ||
      typeof options !== 'object' ||
      typeof options.clock?.now !== 'function'
    ) {
      throw new KeelError(
        'E_INVALID_OPTION',
        'new MemoryFleet(options): options.clock must be a Clock (the kernel clock, or a FakeClock in tests).',
        { details: { option: 'clock' } },
      );
    }
    const stalledMs = options.stalledMs ?? 30_000;
    if (!(Number.isFinite(stalledMs) && stalledMs > 0)) {
      throw new KeelError(
        'E_INVALID_OPTION',
        `new MemoryFleet(options): stalledMs must be a positive number of milliseconds, got ${String(stalledMs)}.`,
        { details: { option: 'stalledMs' } },
      );
    }
    this.clock = options.clock;
    this.service = options.service ?? 'local';
    this.kind = options.kind ?? 'memory';
    this.stalledMs = stalledMs;
    const ttl = options.leaseTtlMs;
    if (ttl !== undefined && !(Number.isFinite(ttl) && ttl >= 30)) {
      throw new KeelError(
        'E_INVALID_OPTION',
        `new MemoryFleet(options): leaseTtlMs must be at least 30 ms, got ${String(ttl)}.`,
        { details: { option: 'leaseTtlMs' } },
      );
    }
    this.leaseTtlMs = ttl;
    this.membership = new Membership(this.clock);
    this.leases = new Leases(this.clock);
    this.events = new EventHub(this.clock);
    this.jobs = new JobHub(this.clock, stalledMs);
    this.tasks = new TaskHub(this.clock, stalledMs);
  }

  /** A provider that connects a kernel to this fleet as replica `replicaId`. */
  provider(replicaId: string): FleetProvider {
    if (typeof replicaId !== 'string' || replicaId === '') {
      throw new KeelError(
        'E_INVALID_OPTION',
        `MemoryFleet.provider(replicaId): replicaId must be a non-empty string, got ${String(replicaId)}.`,
        { details: { option: 'replicaId' } },
      );
    }
    return {
      kind: this.kind,
      ...(this.leaseTtlMs === undefined ? {} : { leaseTtlMs: this.leaseTtlMs }),
      connect: (host, signal) => this.connect(replicaId, host, signal),
    };
  }

  /**
   * Cuts replica `replicaId` off: its calls reject with `E_FLEET_UNAVAILABLE`, nothing is
   * delivered to it, and its kernel is told `connectionChanged(false)`. Its heartbeat and
   * leases then run out as on a real engine. May be called before it connects.
   */
  partition(replicaId: string): void {
    this.cutOff.add(replicaId);
    const link = this.links.get(replicaId);
    if (link?.state !== 'up') return;
    link.state = 'partitioned';
    link.tell(false, 'partitioned from the in-memory fleet');
    this.lost(link);
  }

  /** Ends a {@link partition}: calls work again and the kernel is told `connectionChanged(true)`. */
  heal(replicaId: string): void {
    this.cutOff.delete(replicaId);
    const link = this.links.get(replicaId);
    if (link?.state !== 'partitioned') return;
    link.state = 'up';
    link.tell(true);
    this.jobs.healed(link);
    this.tasks.healed(link);
    this.events.linkChanged();
  }

  /**
   * Makes replica `replicaId` vanish without a shutdown, like a `SIGKILL`: its calls never
   * settle, its handlers get nothing more, its timers are gone. Its heartbeat and leases
   * stay until their TTL, its unacknowledged `'one'` deliveries are claimed after
   * `minIdleMs`, its running jobs and task runs are freed after `stalledMs`.
   */
  kill(replicaId: string): void {
    const link = this.links.get(replicaId);
    if (link === undefined || link.state === 'dead' || link.state === 'closed') {
      throw new KeelError(
        'E_INVALID_OPTION',
        `MemoryFleet.kill("${replicaId}"): no replica of that id is connected ` +
          `(connected: ${[...this.links.keys()].map((id) => `"${id}"`).join(', ') || 'none'}).`,
        { details: { replicaId } },
      );
    }
    link.state = 'dead';
    link.timers.clearAll();
    this.events.dropReplica(link);
    this.jobs.drop(link);
    this.tasks.drop(link);
  }

  /** The fleet-wide view every connection's `snapshot()` shows. */
  snapshot(): FleetConnectionSnapshot {
    return {
      replicas: this.membership.live(),
      queues: this.jobs.stats(),
      events: this.events.stats(),
      tasks: this.tasks.stats(),
    };
  }

  /** @internal Called by a connection's `close()`. */
  disconnect(link: ReplicaLink): void {
    const reachable = link.state === 'up';
    link.state = 'closed';
    link.timers.clearAll();
    link.endHung();
    // A graceful leave needs the fleet: a killed or cut-off replica's heartbeat runs out.
    if (reachable) this.membership.leave(link.replicaId);
    this.events.dropReplica(link);
    this.jobs.drop(link);
    this.tasks.drop(link);
    if (this.links.get(link.replicaId) === link) this.links.delete(link.replicaId);
  }

  private lost(link: ReplicaLink): void {
    this.events.linkChanged();
    this.jobs.lost(link);
    this.tasks.lost(link);
  }

  private connect(
    replicaId: string,
    host: FleetHost,
    signal: AbortSignal,
  ): Promise<FleetConnection> {
    if (signal.aborted) {
      return Promise.reject(
        new KeelError(
          'E_FLEET_UNAVAILABLE',
          `Connecting replica "${replicaId}" to the in-memory fleet was aborted.`,
          {
            cause: signal.reason,
            details: { replicaId },
          },
        ),
      );
    }
    if (this.cutOff.has(replicaId)) {
      return Promise.reject(
        new KeelError(
          'E_FLEET_UNAVAILABLE',
          `Replica "${replicaId}" cannot reach the in-memory fleet of service "${this.service}": it is partitioned. Heal it first.`,
          { details: { replicaId } },
        ),
      );
    }
    const existing = this.links.get(replicaId);
    if (existing !== undefined && existing.state !== 'dead' && existing.state !== 'closed') {
      return Promise.reject(
        new KeelError(
          'E_INVALID_OPTION',
          `Replica "${replicaId}" is already connected to this in-memory fleet; give each kernel its own replica id.`,
          { details: { replicaId } },
        ),
      );
    }
    const link = new ReplicaLink(replicaId, host, this.clock);
    this.links.set(replicaId, link);
    return Promise.resolve(new MemoryConnection(this, link));
  }
}
