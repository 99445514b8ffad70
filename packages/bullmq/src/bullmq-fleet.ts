import {
  toMs,
  type Duration,
  type FleetConnection,
  type FleetConnectionSnapshot,
  type FleetConsumer,
  type FleetConsumerSpec,
  type FleetDeliver,
  type FleetEnqueueOptions,
  type FleetHost,
  type FleetJobHandler,
  type FleetProvider,
  type FleetSubscription,
  type FleetSubscriptionHandle,
  type FleetTaskHandle,
  type FleetTaskRun,
  type FleetTaskSpec,
  type ReplicaState,
} from '@keel/core';
import {
  redisFleet,
  type RedisFleetConnection,
  type RedisFleetOptions,
  type RedisFleetReplica,
} from '@keel/redis';
import type { RedisOptions as BullRedisOptions } from 'bullmq';
import { BullmqJobs } from './bullmq-jobs.js';

/** Options of {@link bullmqFleet}: those of `redisFleet()` plus the job engine's. */
export interface BullmqFleetOptions extends RedisFleetOptions {
  /** A vanished replica's jobs run again after about this plus `stalledInterval`. Default `'30s'`. */
  readonly lockDuration?: Duration;
  /** How often workers look for stalled jobs. Default `'30s'`. */
  readonly stalledInterval?: Duration;
  /** How often queue counts are refreshed for `inspect()` while it is read. Default `'1s'`. */
  readonly statsInterval?: Duration;
  /**
   * Refreshing of queue counts pauses after this long without an `inspect()` read; the next
   * read resumes it. Default `'60s'`, or two `statsInterval` if that is longer.
   */
  readonly statsIdle?: Duration;
  /** How often the scheduler leader reconciles fleet-task schedulers. Default `'5s'`. */
  readonly reconcileInterval?: Duration;
  /** Completed jobs kept per queue. Default 1000. */
  readonly keepCompleted?: number;
  /** Failed jobs kept per queue. Default 5000. */
  readonly keepFailed?: number;
}

/** The provider `bullmqFleet()` returns. */
export interface BullmqFleetProvider extends FleetProvider {
  readonly kind: 'bullmq';
  readonly leaseTtlMs: number;
  readonly replicaId: string;
  connect(host: FleetHost, signal: AbortSignal): Promise<BullmqFleetConnection>;
}

/**
 * A fleet on Redis with durable jobs and once-per-fleet tasks on BullMQ: membership, leases
 * and events come from `redisFleet()`; `enqueue`, `consume`, `scheduleTask` and the queue and
 * task parts of `snapshot()` from {@link BullmqJobs}. One fresh provider per kernel.
 * @example
 * const kernel = Kernel.create({
 *   modules: [Billing],
 *   fleet: bullmqFleet({ url: 'redis://127.0.0.1:6379', service: 'billing' }),
 * });
 */
export function bullmqFleet(options: BullmqFleetOptions): BullmqFleetProvider {
  const {
    lockDuration,
    stalledInterval,
    statsInterval,
    statsIdle,
    reconcileInterval,
    keepCompleted,
    keepFailed,
    ...redisOptions
  } = options;
  const base = redisFleet(redisOptions);
  const ms = (value: Duration | undefined, name: string): number | undefined =>
    value === undefined ? undefined : toMs(value, `bullmqFleet option ${name}`);
  const tuning = {
    lockDurationMs: ms(lockDuration, 'lockDuration'),
    stalledIntervalMs: ms(stalledInterval, 'stalledInterval'),
    statsIntervalMs: ms(statsInterval, 'statsInterval'),
    statsIdleMs: ms(statsIdle, 'statsIdle'),
    reconcileIntervalMs: ms(reconcileInterval, 'reconcileInterval'),
    keepCompleted,
    keepFailed,
  };
  return Object.freeze({
    kind: 'bullmq' as const,
    leaseTtlMs: base.leaseTtlMs,
    replicaId: base.replicaId,
    async connect(host: FleetHost, signal: AbortSignal): Promise<BullmqFleetConnection> {
      const connection = await base.connect(host, signal);
      const defined = Object.fromEntries(Object.entries(tuning).filter(([, v]) => v !== undefined));
      const jobs = new BullmqJobs({
        ...defined,
        // ioredis options, typed by @keel/redis against ioredis and by BullMQ loosely.
        connection: connection.redisOptions('command') as BullRedisOptions,
        workerConnection: connection.redisOptions('blocking') as BullRedisOptions,
        service: base.options.service,
        prefix: base.options.prefix,
        replicaId: base.replicaId,
        leaseTtlMs: base.leaseTtlMs,
        clock: host.clock,
        logger: host.logger,
        coordinator: connection,
      });
      await jobs.start();
      return new BullmqFleetConnection(connection, jobs);
    },
  });
}

/** A `@keel/redis` connection with jobs and fleet tasks on BullMQ. */
export class BullmqFleetConnection implements FleetConnection {
  private closing: Promise<void> | undefined;

  constructor(
    /** Membership, leases and events. */
    readonly redis: RedisFleetConnection,
    /** Jobs and fleet tasks. */
    readonly jobs: BullmqJobs,
  ) {}

  get service(): string {
    return this.redis.service;
  }
  get replicaId(): string {
    return this.redis.replicaId;
  }
  get connected(): boolean {
    return this.redis.connected;
  }
  heartbeat(state: ReplicaState, ttlMs: number): Promise<RedisFleetReplica[]> {
    return this.redis.heartbeat(state, ttlMs);
  }
  replicas(): Promise<RedisFleetReplica[]> {
    return this.redis.replicas();
  }
  acquire(lease: string, ttlMs: number): Promise<number | undefined> {
    return this.redis.acquire(lease, ttlMs);
  }
  renew(lease: string, token: number, ttlMs: number): Promise<boolean> {
    return this.redis.renew(lease, token, ttlMs);
  }
  release(lease: string, token: number): Promise<void> {
    return this.redis.release(lease, token);
  }
  currentToken(lease: string): Promise<number> {
    return this.redis.currentToken(lease);
  }
  publish(topic: string, payload: string): Promise<void> {
    return this.redis.publish(topic, payload);
  }
  subscribe(spec: FleetSubscription, deliver: FleetDeliver): FleetSubscriptionHandle {
    return this.redis.subscribe(spec, deliver);
  }
  enqueue(
    queue: string,
    data: string,
    opts: FleetEnqueueOptions,
    value?: unknown,
  ): Promise<string> {
    return this.jobs.enqueue(queue, data, opts, value);
  }
  consume(queue: string, spec: FleetConsumerSpec, handler: FleetJobHandler): FleetConsumer {
    return this.jobs.consume(queue, spec, handler);
  }
  scheduleTask(spec: FleetTaskSpec, run: FleetTaskRun): FleetTaskHandle {
    return this.jobs.scheduleTask(spec, run);
  }
  snapshot(): FleetConnectionSnapshot {
    return { ...this.redis.snapshot(), ...this.jobs.snapshot() };
  }
  /** Closes jobs and fleet tasks (workers before queues), then the Redis connection. */
  close(): Promise<void> {
    this.closing ??= this.jobs.close().finally(() => this.redis.close());
    return this.closing;
  }
}
