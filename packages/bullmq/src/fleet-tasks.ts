import { WaitingError, Worker, type Job, type Queue } from 'bullmq';
import {
  KeelError,
  type FleetConnectionSnapshot,
  type FleetTaskHandle,
  type FleetTaskRun,
  type FleetTaskSpec,
} from '@keel/core';
import { bounded, describe } from './bounded.js';
import type { ResolvedOptions } from './options.js';

/** A replica as the scheduler leader sees it; `declares` absent: unknown (nothing is removed). */
export interface TaskReplica {
  readonly replicaId: string;
  readonly declares?: { readonly tasks: readonly string[] } | undefined;
}

/**
 * What fleet tasks need from the fleet: leases with fencing tokens and the live replicas
 * with the task keys they declare. A `FleetConnection` of `@keel/redis` is one.
 */
export interface TaskCoordinator {
  acquire(lease: string, ttlMs: number): Promise<number | undefined>;
  renew(lease: string, token: number, ttlMs: number): Promise<boolean>;
  release(lease: string, token: number): Promise<void>;
  replicas(): Promise<readonly TaskReplica[]>;
}

/** The hash commands fleet tasks keep their definitions and last runners in. */
export interface TaskClient {
  hset(key: string, data: Record<string, string>): Promise<unknown>;
  hgetall(key: string): Promise<Record<string, string>>;
  hdel(key: string, ...fields: string[]): Promise<unknown>;
}

/** The lease only the reconciling replica holds. */
export const SCHEDULER_LEADER_LEASE = 'scheduler-leader';

/** The queue a fleet task's scheduler lives in (one per key, so only declaring replicas take it). */
export function taskQueueName(key: string): string {
  return `keel-task.${key}`;
}

interface Definition {
  readonly everyMs?: number;
  readonly cron?: string;
  readonly timezone?: string;
}

interface Declared {
  readonly spec: Definition;
  readonly worker: Worker;
  nextRunAt: number | undefined;
  lastRunBy: string | undefined;
  running: Promise<void> | undefined;
  closed: boolean;
}

function definitionOf(spec: FleetTaskSpec): Definition {
  const hasEvery = spec.everyMs !== undefined;
  const hasCron = spec.cron !== undefined;
  if (hasEvery === hasCron) {
    throw new KeelError(
      'E_TASK_OPTIONS',
      `Fleet task "${spec.key}" needs exactly one of everyMs or cron.`,
      { details: { task: spec.key } },
    );
  }
  if (hasEvery && (!Number.isFinite(spec.everyMs) || (spec.everyMs ?? 0) <= 0)) {
    throw new KeelError(
      'E_TASK_OPTIONS',
      `Fleet task "${spec.key}": everyMs must be a positive number; got ${String(spec.everyMs)}.`,
      { details: { task: spec.key } },
    );
  }
  return hasEvery
    ? { everyMs: spec.everyMs }
    : {
        cron: spec.cron,
        ...(spec.timezone === undefined ? {} : { timezone: spec.timezone }),
      };
}

function sameDefinition(
  a: Definition,
  scheduler: { every?: number | string; pattern?: string | null; tz?: string | null },
): boolean {
  const every = scheduler.every === undefined ? undefined : Number(scheduler.every);
  return (
    a.everyMs === every &&
    (a.cron ?? undefined) === (scheduler.pattern ?? undefined) &&
    (a.timezone ?? undefined) === (scheduler.tz ?? undefined)
  );
}

/**
 * Fleet tasks on BullMQ job schedulers. Only the holder of the `scheduler-leader` lease
 * upserts or removes schedulers (BullMQ's concurrent upserts are fragile: bullmq#2876,
 * #3085, #3272); it upserts only a definition that differs and removes one only when no
 * live replica declares it. Each due time is one job, taken by one declaring replica,
 * which runs it only while holding the per-task lease `task:<key>` (a slow run is never
 * overlapped by the next due time on another replica: that one is skipped).
 */
export class FleetTasks {
  private readonly declared = new Map<string, Declared>();
  private leaderToken: number | undefined;
  private timer: unknown;
  private reconciling: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly coordinator: TaskCoordinator,
    private readonly queue: (name: string) => Queue,
    private readonly client: () => Promise<TaskClient>,
    /** A handle's `nextRunAt` was read: the cached next-run times are wanted fresh. */
    private readonly onRead: () => void = () => undefined,
  ) {}

  private get defsKey(): string {
    return `${this.options.prefix}:keel-tasks`;
  }

  private get lastKey(): string {
    return `${this.options.prefix}:keel-task-last`;
  }

  /** True while this replica holds the scheduler-leader lease. */
  get leading(): boolean {
    return this.leaderToken !== undefined;
  }

  schedule(spec: FleetTaskSpec, run: FleetTaskRun): FleetTaskHandle {
    if (this.declared.has(spec.key)) {
      throw new KeelError(
        'E_TASK_OPTIONS',
        `Fleet task "${spec.key}" is scheduled twice on this replica; close the first handle before scheduling it again.`,
        { details: { task: spec.key } },
      );
    }
    const definition = definitionOf(spec);
    const { options } = this;
    const worker = new Worker(
      taskQueueName(spec.key),
      (job: Job, token?: string) => this.runDue(spec.key, job, token ?? '', run),
      {
        connection: options.workerConnection,
        prefix: options.prefix,
        concurrency: 1,
        lockDuration: options.lockDurationMs,
        stalledInterval: options.stalledIntervalMs,
        removeOnComplete: { count: 100 },
        removeOnFail: { count: 100 },
      },
    );
    worker.on('error', (err) =>
      options.logger.warn({ task: spec.key, err: describe(err) }, 'BullMQ task worker error'),
    );
    const entry: Declared = {
      spec: definition,
      worker,
      nextRunAt: undefined,
      lastRunBy: undefined,
      running: undefined,
      closed: false,
    };
    this.declared.set(spec.key, entry);
    void this.client()
      .then((c) => c.hset(this.defsKey, { [spec.key]: JSON.stringify(definition) }))
      .catch((err: unknown) =>
        options.logger.warn(
          { task: spec.key, err: describe(err) },
          'could not record the task definition',
        ),
      )
      .finally(() => this.kick());
    const onRead = this.onRead;
    return {
      get nextRunAt() {
        onRead();
        return entry.nextRunAt;
      },
      close: () => this.unschedule(spec.key, entry),
    };
  }

  private async runDue(key: string, job: Job, token: string, run: FleetTaskRun): Promise<void> {
    const entry = this.declared.get(key);
    if (entry === undefined || entry.closed) {
      // Closing here: the due time goes back for another declaring replica.
      await job.moveToWait(token).catch(() => undefined);
      throw new WaitingError();
    }
    const { clock, leaseTtlMs, logger, replicaId } = this.options;
    const dueAt =
      typeof job.opts.prevMillis === 'number'
        ? job.opts.prevMillis
        : job.timestamp + (job.opts.delay ?? 0);
    const lease = `task:${key}`;
    const leaseToken = await this.coordinator.acquire(lease, leaseTtlMs);
    if (leaseToken === undefined) {
      logger.debug({ task: key, dueAt }, 'fleet task skipped: its previous run is still going');
      return;
    }
    let renewTimer: unknown;
    const renew = (): void => {
      renewTimer = clock.setTimeout(() => {
        this.coordinator.renew(lease, leaseToken, leaseTtlMs).then(
          (held) => (held ? renew() : logger.warn({ task: key }, 'fleet task lease lost mid-run')),
          (err: unknown) => {
            logger.warn({ task: key, err: describe(err) }, 'fleet task lease not renewed');
            renew();
          },
        );
      }, leaseTtlMs / 3);
    };
    renew();
    const running = (async () => {
      try {
        await run(dueAt);
      } finally {
        clock.clearTimeout(renewTimer);
        renewTimer = undefined;
        entry.lastRunBy = replicaId;
        await this.client()
          .then((c) => c.hset(this.lastKey, { [key]: replicaId }))
          .catch(() => undefined);
        await this.coordinator.release(lease, leaseToken).catch(() => undefined);
      }
    })();
    entry.running = running.catch(() => undefined);
    try {
      await running;
    } finally {
      entry.running = undefined;
    }
  }

  private async unschedule(key: string, entry: Declared): Promise<void> {
    if (entry.closed) return;
    entry.closed = true;
    const { clock, closeCallTimeoutMs, leaseTtlMs, logger } = this.options;
    await bounded(entry.worker.pause(true), closeCallTimeoutMs, clock, 'task worker pause').catch(
      () => undefined,
    );
    if (entry.running !== undefined) {
      await bounded(entry.running, leaseTtlMs, clock, 'task run').catch((err: unknown) =>
        logger.warn({ task: key, err: describe(err) }, 'fleet task run still going at close'),
      );
    }
    await bounded(entry.worker.close(true), closeCallTimeoutMs, clock, 'task worker close').catch(
      () => undefined,
    );
    if (this.declared.get(key) === entry) this.declared.delete(key);
  }

  /** Starts the reconcile loop (at once, then every `reconcileIntervalMs`). */
  private kick(): void {
    if (this.closed || this.timer !== undefined || this.reconciling !== undefined) return;
    this.timer = this.options.clock.setTimeout(() => this.tick(), 0);
  }

  private tick(): void {
    this.timer = undefined;
    this.reconciling = this.reconcileOnce()
      .catch((err: unknown) =>
        this.options.logger.warn(
          { err: describe(err) },
          'fleet task reconciliation failed; retrying',
        ),
      )
      .finally(() => {
        this.reconciling = undefined;
        if (!this.closed) {
          this.timer = this.options.clock.setTimeout(
            () => this.tick(),
            this.options.reconcileIntervalMs,
          );
        }
      });
  }

  /** One pass: take or keep the leader lease; if held, make schedulers match declarations. */
  async reconcileOnce(): Promise<void> {
    const { leaseTtlMs } = this.options;
    if (this.declared.size > 0) {
      // Every pass, on every replica: definitions survive a Redis that came back empty.
      const defs: Record<string, string> = {};
      for (const [key, entry] of this.declared) defs[key] = JSON.stringify(entry.spec);
      await (await this.client()).hset(this.defsKey, defs);
    }
    if (this.leaderToken !== undefined) {
      const held = await this.coordinator.renew(
        SCHEDULER_LEADER_LEASE,
        this.leaderToken,
        leaseTtlMs,
      );
      if (!held) this.leaderToken = undefined;
    }
    this.leaderToken ??= await this.coordinator.acquire(SCHEDULER_LEADER_LEASE, leaseTtlMs);
    if (this.leaderToken === undefined || this.closed) return;

    const client = await this.client();
    const [replicas, stored] = await Promise.all([
      this.coordinator.replicas(),
      client.hgetall(this.defsKey),
    ]);
    const wanted = new Set(this.declared.keys());
    let everyoneKnown = true;
    for (const replica of replicas) {
      if (replica.declares === undefined) everyoneKnown = false;
      else for (const key of replica.declares.tasks) wanted.add(key);
    }
    // A replica that does not say what it declares may declare any stored task: keep them all.
    if (!everyoneKnown) for (const key of Object.keys(stored)) wanted.add(key);
    for (const key of wanted) {
      let def: Definition | undefined = this.declared.get(key)?.spec;
      if (def === undefined && stored[key] !== undefined)
        def = JSON.parse(stored[key]) as Definition;
      if (def === undefined) continue;
      const queue = this.queue(taskQueueName(key));
      const existing = await queue.getJobScheduler(key);
      if (existing !== undefined && sameDefinition(def, existing)) continue;
      await queue.upsertJobScheduler(
        key,
        def.everyMs !== undefined
          ? { every: def.everyMs }
          : {
              pattern: def.cron,
              ...(def.timezone === undefined ? {} : { tz: def.timezone }),
            },
        {
          name: key,
          data: {},
          opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
        },
      );
      this.options.logger.info({ task: key, ...def }, 'fleet task scheduler upserted');
    }
    if (!everyoneKnown) return;
    for (const key of Object.keys(stored)) {
      if (wanted.has(key)) continue;
      await this.queue(taskQueueName(key)).removeJobScheduler(key);
      await client.hdel(this.defsKey, key);
      this.options.logger.info(
        { task: key },
        'fleet task scheduler removed: no live replica declares it',
      );
    }
  }

  /** Refreshes next run times and last runners of the declared tasks (for snapshot). */
  async refresh(): Promise<void> {
    if (this.declared.size === 0) return;
    const last = await (await this.client()).hgetall(this.lastKey);
    await Promise.all(
      [...this.declared].map(async ([key, entry]) => {
        const scheduler = await this.queue(taskQueueName(key)).getJobScheduler(key);
        entry.nextRunAt = scheduler?.next === undefined ? undefined : Number(scheduler.next);
        entry.lastRunBy = last[key] ?? entry.lastRunBy;
      }),
    );
  }

  view(): FleetConnectionSnapshot['tasks'] {
    const out: Record<string, { nextRunAt: number | undefined; lastRunBy?: string }> = {};
    for (const [key, entry] of this.declared) {
      out[key] =
        entry.lastRunBy === undefined
          ? { nextRunAt: entry.nextRunAt }
          : { nextRunAt: entry.nextRunAt, lastRunBy: entry.lastRunBy };
    }
    return out;
  }

  /** Closes every task worker and gives the leader lease up. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.reconciling !== undefined) {
      await bounded(
        this.reconciling,
        this.options.closeCallTimeoutMs,
        this.options.clock,
        'reconcile',
      ).catch(() => undefined);
    }
    await Promise.all([...this.declared].map(([key, entry]) => this.unschedule(key, entry)));
    const token = this.leaderToken;
    this.leaderToken = undefined;
    if (token !== undefined) {
      await bounded(
        this.coordinator.release(SCHEDULER_LEADER_LEASE, token),
        this.options.closeCallTimeoutMs,
        this.options.clock,
        'leader release',
      ).catch(() => undefined);
    }
  }
}
