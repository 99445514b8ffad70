import type {
  FleetConnection,
  FleetConnectionSnapshot,
  FleetConsumer,
  FleetConsumerSpec,
  FleetDeliver,
  FleetEnqueueOptions,
  FleetJobHandler,
  FleetReplica,
  FleetSubscription,
  FleetSubscriptionHandle,
  FleetTaskHandle,
  FleetTaskRun,
  FleetTaskSpec,
  ReplicaState,
} from '../../specs/fleet-provider.js';
import { KeelError } from '../../errors/keel-error.js';
import type { FleetState } from './fleet-state.js';
import type { ReplicaLink } from './link.js';

/**
 * One replica's connection to an in-memory fleet (`MemoryFleet`). Every engine call passes the link's
 * gate (partitioned: rejects; killed: never settles); the fleet's state lives in the hub.
 */
export class MemoryConnection implements FleetConnection {
  private readonly subscriptions = new Set<FleetSubscriptionHandle>();
  private readonly consumers = new Set<FleetConsumer>();
  private readonly tasks = new Set<FleetTaskHandle>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly hub: FleetState,
    private readonly link: ReplicaLink,
  ) {}

  get service(): string {
    return this.hub.service;
  }

  get replicaId(): string {
    return this.link.replicaId;
  }

  get connected(): boolean {
    return this.link.live;
  }

  heartbeat(state: ReplicaState, ttlMs: number): Promise<void> {
    return this.link.call('heartbeat', () => {
      checkTtl('heartbeat', ttlMs);
      this.hub.membership.heartbeat(this.replicaId, state, ttlMs);
    });
  }

  replicas(): Promise<FleetReplica[]> {
    return this.link.call('replicas', () => this.hub.membership.live());
  }

  acquire(lease: string, ttlMs: number): Promise<number | undefined> {
    return this.link.call(`acquire of lease "${lease}"`, () => {
      checkTtl(`acquire("${lease}")`, ttlMs);
      return this.hub.leases.acquire(lease, ttlMs);
    });
  }

  renew(lease: string, token: number, ttlMs: number): Promise<boolean> {
    return this.link.call(`renew of lease "${lease}"`, () => {
      checkTtl(`renew("${lease}")`, ttlMs);
      return this.hub.leases.renew(lease, token, ttlMs);
    });
  }

  release(lease: string, token: number): Promise<void> {
    return this.link.call(`release of lease "${lease}"`, () =>
      this.hub.leases.release(lease, token),
    );
  }

  currentToken(lease: string): Promise<number> {
    return this.link.call(`token of lease "${lease}"`, () => this.hub.leases.currentToken(lease));
  }

  publish(topic: string, payload: string): Promise<void> {
    return this.link.call(`publish to "${topic}"`, () => this.hub.events.publish(topic, payload));
  }

  subscribe(spec: FleetSubscription, deliver: FleetDeliver): FleetSubscriptionHandle {
    const inner = this.hub.events.subscribe(this.link, spec, deliver);
    const handle: FleetSubscriptionHandle = {
      close: () => {
        this.subscriptions.delete(handle);
        return inner.close();
      },
    };
    this.subscriptions.add(handle);
    return handle;
  }

  enqueue(queue: string, data: string, opts: FleetEnqueueOptions): Promise<string> {
    return this.link.call(`enqueue to "${queue}"`, () => this.hub.jobs.enqueue(queue, data, opts));
  }

  consume(queue: string, spec: FleetConsumerSpec, handler: FleetJobHandler): FleetConsumer {
    const inner = this.hub.jobs.consume(this.link, queue, spec, handler);
    const consumer: FleetConsumer = {
      close: (graceMs) => {
        this.consumers.delete(consumer);
        return inner.close(graceMs);
      },
    };
    this.consumers.add(consumer);
    return consumer;
  }

  scheduleTask(spec: FleetTaskSpec, run: FleetTaskRun): FleetTaskHandle {
    const inner = this.hub.tasks.schedule(this.link, spec, run);
    const handle: FleetTaskHandle = {
      get nextRunAt() {
        return inner.nextRunAt;
      },
      close: () => {
        this.tasks.delete(handle);
        return inner.close();
      },
    };
    this.tasks.add(handle);
    return handle;
  }

  snapshot(): FleetConnectionSnapshot {
    return this.hub.snapshot();
  }

  /** Ends what this replica still has open (hooks, consumers, tasks), then leaves the fleet. */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    const open = [
      ...[...this.subscriptions].map((s) => s.close()),
      ...[...this.consumers].map((c) => c.close(0)),
      ...[...this.tasks].map((t) => t.close()),
    ];
    await Promise.allSettled(open);
    this.hub.disconnect(this.link);
  }
}

function checkTtl(what: string, ttlMs: number): void {
  if (Number.isFinite(ttlMs) && ttlMs > 0) return;
  throw new KeelError(
    'E_INVALID_OPTION',
    `Fleet ${what}: the TTL must be a positive number of milliseconds, got ${String(ttlMs)}.`,
    { details: { option: 'ttlMs' } },
  );
}
