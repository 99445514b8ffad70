import { KeelError, type Clock, type FleetBackoff, type FleetHost } from '@keel/core';
import type { RedisOptions } from 'bullmq';

type Logger = FleetHost['logger'];

/** Retry policy of a queue: what a job gets at enqueue time. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly backoff: FleetBackoff;
}

/** Options of {@link BullmqJobs}. */
export interface BullmqJobsOptions {
  /**
   * How to reach Redis: `{ url }` or ioredis-style `{ host, port, password, db, tls }`.
   * Each BullMQ queue and worker opens its own connections from it (workers with
   * `maxRetriesPerRequest: null`, producers with `enableOfflineQueue: false`).
   */
  readonly connection: RedisOptions;
  /**
   * Connection of workers (blocking reads). Default: `connection` with
   * `maxRetriesPerRequest: null`, the offline queue on and no command timeout.
   */
  readonly workerConnection?: RedisOptions;
  /** The service: replicas of one service share queues and fleet tasks. */
  readonly service: string;
  /** Key prefix; BullMQ keys are `<prefix>:<service>:bull:<queue>:…`. Default `keel`. */
  readonly prefix?: string;
  /** This replica's id, recorded as `lastRunBy` of the fleet tasks it runs. */
  readonly replicaId: string;
  /** The kernel's clock; every timer of ours uses it. */
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * How often queue counts and task next-run times are refreshed for `snapshot()` while it is
   * read. Default 1000 ms.
   */
  readonly statsIntervalMs?: number;
  /**
   * Refreshing pauses after this long without a `snapshot()` read (the next read resumes it).
   * Default 60 000 ms, or two `statsIntervalMs` if that is longer.
   */
  readonly statsIdleMs?: number;
  /** Policy for a queue no consumer has declared yet. Default 1 attempt, exponential from 1 s. */
  readonly defaultPolicy?: RetryPolicy;
  /** How long an enqueueing replica trusts a policy it read from Redis. Default 5000 ms. */
  readonly policyCacheMs?: number;
  /**
   * BullMQ job lock duration: a job whose replica vanished (SIGKILL) is run again elsewhere
   * after about this long plus `stalledIntervalMs`. Default 30 000 ms (BullMQ's).
   */
  readonly lockDurationMs?: number;
  /** How often each worker looks for stalled jobs. Default 30 000 ms (BullMQ's). */
  readonly stalledIntervalMs?: number;
  /** Completed jobs kept per queue (for counts and idempotent ids). Default 1000. */
  readonly keepCompleted?: number;
  /** Failed jobs kept per queue (visible in the inspector). Default 5000. */
  readonly keepFailed?: number;
  /** Fleet tasks: how long the scheduler-leader lease and per-task run leases live. Default 10 000 ms. */
  readonly leaseTtlMs?: number;
  /** Fleet tasks: how often the leader reconciles job schedulers. Default 5000 ms. */
  readonly reconcileIntervalMs?: number;
  /** Bound on each Redis call made while closing. Default 2000 ms. */
  readonly closeCallTimeoutMs?: number;
}

/** Options with their defaults filled in, checked once. */
export interface ResolvedOptions {
  readonly connection: RedisOptions;
  readonly workerConnection: RedisOptions;
  readonly service: string;
  readonly prefix: string;
  readonly replicaId: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly statsIntervalMs: number;
  readonly statsIdleMs: number;
  readonly defaultPolicy: RetryPolicy;
  readonly policyCacheMs: number;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly keepCompleted: number;
  readonly keepFailed: number;
  readonly leaseTtlMs: number;
  readonly reconcileIntervalMs: number;
  readonly closeCallTimeoutMs: number;
}

/** Refreshing of queue counts pauses after a minute nobody read them. */
const DEFAULT_STATS_IDLE_MS = 60_000;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new KeelError(
      'E_INVALID_OPTION',
      `@keel/bullmq option ${name} must be a positive number of milliseconds; got ${String(value)}.`,
      { details: { option: name } },
    );
  }
  return value;
}

/** BullMQ forbids ':' in queue names; a service and prefix become part of the key prefix. */
export function checkName(what: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.includes(':')) {
    throw new KeelError(
      'E_INVALID_OPTION',
      `@keel/bullmq: ${what} must be a non-empty string without ':'; got ${JSON.stringify(value) ?? String(value)}.`,
      { details: { option: what } },
    );
  }
  return value;
}

/** Checks a retry policy (from a consumer spec or read back from Redis). */
export function checkPolicy(where: string, policy: RetryPolicy): RetryPolicy {
  const { attempts, backoff } = policy;
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new KeelError(
      'E_INVALID_OPTION',
      `${where}: attempts must be an integer >= 1; got ${String(attempts)}.`,
    );
  }
  if (
    (backoff.type !== 'fixed' && backoff.type !== 'exponential') ||
    !Number.isFinite(backoff.delayMs) ||
    backoff.delayMs < 0
  ) {
    throw new KeelError(
      'E_INVALID_OPTION',
      `${where}: backoff must be { type: 'fixed' | 'exponential', delayMs >= 0 }; got ${JSON.stringify(backoff)}.`,
    );
  }
  return { attempts, backoff: { type: backoff.type, delayMs: backoff.delayMs } };
}

export function resolveOptions(options: BullmqJobsOptions): ResolvedOptions {
  const service = checkName('service', options.service);
  const prefix = options.prefix ?? 'keel';
  if (typeof prefix !== 'string' || prefix.length === 0) checkName('prefix', prefix);
  const { commandTimeout: _timeout, ...blocking } = options.connection;
  const statsIntervalMs = positive('statsIntervalMs', options.statsIntervalMs, 1000);
  return {
    connection: options.connection,
    workerConnection: options.workerConnection ?? {
      ...blocking,
      maxRetriesPerRequest: null,
      enableOfflineQueue: true,
    },
    service,
    // Its own segment: the fleet's lease/replica/event keys share `<prefix>:<service>:`.
    prefix: `${prefix}:${service}:bull`,
    replicaId: options.replicaId,
    clock: options.clock,
    logger: options.logger,
    statsIntervalMs,
    statsIdleMs: positive(
      'statsIdleMs',
      options.statsIdleMs,
      Math.max(DEFAULT_STATS_IDLE_MS, 2 * statsIntervalMs),
    ),
    defaultPolicy: checkPolicy(
      '@keel/bullmq option defaultPolicy',
      options.defaultPolicy ?? { attempts: 1, backoff: { type: 'exponential', delayMs: 1000 } },
    ),
    policyCacheMs: positive('policyCacheMs', options.policyCacheMs, 5000),
    lockDurationMs: positive('lockDurationMs', options.lockDurationMs, 30_000),
    stalledIntervalMs: positive('stalledIntervalMs', options.stalledIntervalMs, 30_000),
    keepCompleted: positive('keepCompleted', options.keepCompleted, 1000),
    keepFailed: positive('keepFailed', options.keepFailed, 5000),
    leaseTtlMs: positive('leaseTtlMs', options.leaseTtlMs, 10_000),
    reconcileIntervalMs: positive('reconcileIntervalMs', options.reconcileIntervalMs, 5000),
    closeCallTimeoutMs: positive('closeCallTimeoutMs', options.closeCallTimeoutMs, 2000),
  };
}
