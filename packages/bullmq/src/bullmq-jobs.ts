import { Queue, type IRedisClient, type JobsOptions } from 'bullmq';
import {
  KeelError,
  type FleetConnectionSnapshot,
  type FleetConsumer,
  type FleetConsumerSpec,
  type FleetEnqueueOptions,
  type FleetJobHandler,
  type FleetTaskHandle,
  type FleetTaskRun,
  type FleetTaskSpec,
} from '@keel/core';
import { WatchedRedis } from '@keel/redis';
import type { RedisOptions as IORedisOptions } from 'ioredis';
import { bounded, describe } from './bounded.js';
import { FleetTasks, type TaskCoordinator } from './fleet-tasks.js';
import { JobConsumer } from './job-consumer.js';
import {
  checkName,
  checkPolicy,
  resolveOptions,
  type BullmqJobsOptions,
  type ResolvedOptions,
  type RetryPolicy,
} from './options.js';
import { QueueStats } from './queue-stats.js';
import { RetryPolicies } from './retry-policies.js';

/** Queue names starting with this are Keel's own (fleet tasks, the admin handle). */
const RESERVED = 'keel-';
/** BullMQ's largest priority; 1 runs first, 0 (or none) means no priority. */
const MAX_PRIORITY = 2_097_152;

type AdminClient = IRedisClient;

/** What BullMQ gives a client it creates from options without a `retryStrategy`: 1 s to 20 s. */
function bullmqRetryStrategy(times: number): number {
  return Math.max(Math.min(Math.exp(times), 20_000), 1_000);
}

/**
 * Durable jobs and fleet tasks on BullMQ for one replica: the `enqueue`, `consume`,
 * `scheduleTask` and `snapshot().queues/tasks` parts of a Keel `FleetConnection`.
 * `bullmqFleet()` wires it into a `@keel/redis` connection; it can also be used alone.
 */
export class BullmqJobs {
  private readonly options: ResolvedOptions;
  private readonly producers = new Map<string, Queue>();
  /** Each queue's client: given to BullMQ, which does not close a client it did not create. */
  private readonly clients = new Map<Queue, WatchedRedis>();
  private readonly consumers = new Map<string, JobConsumer>();
  private readonly policies: RetryPolicies;
  private readonly optionsOf = new WeakMap<RetryPolicy, JobsOptions>();
  private readonly stats: QueueStats;
  private readonly tasks: FleetTasks | undefined;
  private admin: Queue | undefined;
  private started = false;
  private closing: Promise<void> | undefined;

  constructor(options: BullmqJobsOptions & { readonly coordinator?: TaskCoordinator }) {
    this.options = resolveOptions(options);
    const client = (): Promise<AdminClient> => this.adminQueue().getBackend().client;
    this.policies = new RetryPolicies(this.options, client);
    this.tasks =
      options.coordinator === undefined
        ? undefined
        : new FleetTasks(
            this.options,
            options.coordinator,
            (name) => this.queue(name),
            client,
            () => this.stats.touch(),
          );
    this.stats = new QueueStats(
      this.options,
      () => this.userQueues(),
      () => this.tasks?.refresh() ?? Promise.resolve(),
    );
  }

  /** BullMQ's key prefix of this service (`<prefix>:<service>`). */
  get prefix(): string {
    return this.options.prefix;
  }

  private adminQueue(): Queue {
    this.admin ??= this.newQueue(`${RESERVED}admin`);
    return this.admin;
  }

  private newQueue(name: string): Queue {
    // Our own client, not options: BullMQ's would arm ioredis' timer per command for the
    // connection's `commandTimeout`; a WatchedRedis keeps that bound with one per client.
    const client = new WatchedRedis(
      {
        retryStrategy: bullmqRetryStrategy,
        ...(this.options.connection as IORedisOptions),
        enableOfflineQueue: false,
      },
      this.options.clock,
    );
    const logError = (err: unknown): void =>
      this.options.logger.debug(
        { queue: name, err: describe(err) },
        'BullMQ queue connection error',
      );
    // BullMQ stops listening when the queue closes; the client lives a little longer.
    client.on('error', () => undefined);
    const queue = new Queue(name, { connection: client, prefix: this.options.prefix });
    queue.on('error', logError);
    this.clients.set(queue, client);
    return queue;
  }

  private queue(name: string): Queue {
    let queue = this.producers.get(name);
    if (queue === undefined) {
      queue = this.newQueue(name);
      this.producers.set(name, queue);
    }
    return queue;
  }

  private userQueues(): ReadonlyMap<string, Queue> {
    const out = new Map<string, Queue>();
    for (const [name, queue] of this.producers)
      if (!name.startsWith(RESERVED)) out.set(name, queue);
    return out;
  }

  private checkQueue(queue: string): string {
    checkName('queue name', queue);
    if (queue.startsWith(RESERVED)) {
      throw new KeelError(
        'E_INVALID_OPTION',
        `@keel/bullmq: queue "${queue}" starts with "${RESERVED}", which Keel keeps for its own queues. Rename the queue.`,
        { details: { queue } },
      );
    }
    return queue;
  }

  /**
   * Checks the link, warns when Redis may evict BullMQ's keys, and starts refreshing counts.
   * Never throws for an unreachable Redis (the fleet connection reports the link).
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stats.start();
    try {
      const client = await bounded(
        this.adminQueue().getBackend().client,
        this.options.closeCallTimeoutMs,
        this.options.clock,
        'Redis connection',
      );
      const reply: unknown = await client.runCommand('config', ['GET', 'maxmemory-policy']);
      const policy = Array.isArray(reply) ? String(reply[1]) : undefined;
      if (policy !== undefined && policy !== 'noeviction') {
        this.options.logger.warn(
          { maxmemoryPolicy: policy },
          `Redis maxmemory-policy is "${policy}": under memory pressure Redis may evict BullMQ's keys and lose jobs. Set maxmemory-policy noeviction.`,
        );
      }
    } catch (err) {
      this.options.logger.warn({ err: describe(err) }, 'could not read Redis maxmemory-policy');
    }
  }

  /**
   * Declares a queue's retry policy without consuming it (a producer-only replica may call
   * it so its enqueues need no Redis read). `consume()` declares it too.
   */
  async declareQueue(queue: string, policy: RetryPolicy): Promise<void> {
    await this.policies.declare(this.checkQueue(queue), checkPolicy(`queue "${queue}"`, policy));
  }

  /**
   * Adds a job; resolves with its id. The job carries the queue's retry policy (see
   * {@link RetryPolicies}); `jobId` makes it idempotent while BullMQ keeps the job.
   */
  async enqueue(
    queue: string,
    data: string,
    opts: FleetEnqueueOptions = {},
    value?: unknown,
  ): Promise<string> {
    this.checkQueue(queue);
    // A known policy (a queue consumed here, a fresh cache entry) needs no await, so BullMQ
    // serialises the caller's value before this returns: it may take `value` as is instead of
    // `data` parsed again. After an await the caller may have changed it: parse `data`.
    const known = this.policies.known(queue);
    let parsed: unknown = known === undefined ? undefined : value;
    if (parsed === undefined) {
      try {
        parsed = JSON.parse(data);
      } catch (err) {
        throw new KeelError('E_JOB_DATA', `Job data for queue "${queue}" is not JSON text.`, {
          cause: err,
        });
      }
    }
    const { priority, delayMs, jobId } = opts;
    if (
      priority !== undefined &&
      (!Number.isInteger(priority) || priority < 0 || priority > MAX_PRIORITY)
    ) {
      throw new KeelError(
        'E_INVALID_OPTION',
        `enqueue("${queue}"): priority must be an integer from 0 to ${MAX_PRIORITY} (1 runs first); got ${String(priority)}.`,
        { details: { queue, option: 'priority' } },
      );
    }
    if (delayMs !== undefined && (!Number.isFinite(delayMs) || delayMs < 0)) {
      throw new KeelError(
        'E_INVALID_OPTION',
        `enqueue("${queue}"): delay must be >= 0 ms; got ${String(delayMs)}.`,
        { details: { queue, option: 'delay' } },
      );
    }
    if (
      jobId !== undefined &&
      (jobId.length === 0 || jobId.includes(':') || /^-?\d+$/.test(jobId))
    ) {
      throw new KeelError(
        'E_INVALID_OPTION',
        `enqueue("${queue}"): jobId "${jobId}" is not allowed by BullMQ (empty, contains ':' or is an integer). Use a prefix, e.g. "invoice-${jobId}".`,
        { details: { queue, option: 'jobId' } },
      );
    }
    const base = this.jobOptions(known ?? (await this.policies.policyOf(queue)));
    const plain =
      jobId === undefined &&
      (priority === undefined || priority === 0) &&
      (delayMs === undefined || delayMs === 0);
    const job = await this.queue(queue).add(
      queue,
      parsed,
      plain
        ? base
        : {
            ...base,
            ...(jobId === undefined ? {} : { jobId }),
            ...(priority === undefined || priority === 0 ? {} : { priority }),
            ...(delayMs === undefined || delayMs === 0 ? {} : { delay: delayMs }),
          },
    );
    return job.id ?? '';
  }

  /**
   * BullMQ job options of a policy, built once per policy object: BullMQ copies the options
   * it is given into each job (and does not write to the nested ones), so one object serves
   * every enqueue of the queue.
   */
  private jobOptions(policy: RetryPolicy): JobsOptions {
    let opts = this.optionsOf.get(policy);
    if (opts === undefined) {
      opts = {
        attempts: policy.attempts,
        backoff: { type: policy.backoff.type, delay: policy.backoff.delayMs },
        removeOnComplete: { count: this.options.keepCompleted },
        removeOnFail: { count: this.options.keepFailed },
      };
      this.optionsOf.set(policy, opts);
    }
    return opts;
  }

  /** Starts one BullMQ worker for `queue` on this replica (one consumer per queue). */
  consume(queue: string, spec: FleetConsumerSpec, handler: FleetJobHandler): FleetConsumer {
    this.checkQueue(queue);
    if (!Number.isInteger(spec.concurrency) || spec.concurrency < 1) {
      throw new KeelError(
        'E_INVALID_OPTION',
        `consume("${queue}"): concurrency must be an integer >= 1; got ${String(spec.concurrency)}.`,
        { details: { queue, option: 'concurrency' } },
      );
    }
    if (spec.timeoutMs !== undefined && (!Number.isFinite(spec.timeoutMs) || spec.timeoutMs <= 0)) {
      throw new KeelError(
        'E_INVALID_OPTION',
        `consume("${queue}"): timeout must be > 0 ms; got ${String(spec.timeoutMs)}.`,
        { details: { queue, option: 'timeout' } },
      );
    }
    if (this.consumers.has(queue)) {
      throw new KeelError(
        'E_INVALID_OPTION',
        `consume("${queue}"): this replica already consumes the queue; one @Job handler per queue.`,
        { details: { queue } },
      );
    }
    const policy = checkPolicy(`consume("${queue}")`, {
      attempts: spec.attempts,
      backoff: spec.backoff,
    });
    this.policies
      .declare(queue, policy)
      .catch((err: unknown) =>
        this.options.logger.warn(
          { queue, err: describe(err) },
          'could not store the retry policy in Redis; producers elsewhere use the default until it is',
        ),
      );
    this.queue(queue); // counted in snapshot() from now on
    const consumer = new JobConsumer(this.options, queue, spec, handler, () => {
      if (this.consumers.get(queue) === consumer) this.consumers.delete(queue);
    });
    this.consumers.set(queue, consumer);
    return consumer;
  }

  /** Schedules a `fleet: 'once'` task (needs a `coordinator`). */
  scheduleTask(spec: FleetTaskSpec, run: FleetTaskRun): FleetTaskHandle {
    if (this.tasks === undefined) {
      throw new KeelError(
        'E_INVALID_OPTION',
        `Fleet task "${spec.key}": this BullmqJobs has no coordinator (leases and replicas); use bullmqFleet() or pass { coordinator }.`,
        { details: { task: spec.key } },
      );
    }
    return this.tasks.schedule(spec, run);
  }

  /** One fleet-task reconciliation pass now (the loop runs one every `reconcileIntervalMs`). */
  reconcileTasks(): Promise<void> {
    return this.tasks?.reconcileOnce() ?? Promise.resolve();
  }

  /** True while this replica holds the `scheduler-leader` lease and reconciles fleet tasks. */
  get leadingTasks(): boolean {
    return this.tasks?.leading ?? false;
  }

  /**
   * Refreshes the cached counts now (while `snapshot()` is read, the periodic refresh does it
   * every `statsIntervalMs`).
   */
  refresh(): Promise<void> {
    return this.stats.refresh();
  }

  /**
   * The `queues` and `tasks` parts of `FleetConnection.snapshot()` (cached, no I/O). A read
   * keeps the cache refreshed for `statsIdleMs`; `countsAt` of a queue is when its counts were read.
   */
  snapshot(): Pick<FleetConnectionSnapshot, 'queues' | 'tasks'> {
    return { queues: this.stats.view(), tasks: this.tasks?.view() ?? {} };
  }

  /**
   * Closes consumers still open (no grace: their jobs are handed back), fleet tasks, then
   * queues, releasing every connection. Safe to call twice.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await this.stats.stop();
    await Promise.all([...this.consumers.values()].map((c) => c.close(0)));
    await this.tasks?.close();
    const { clock, closeCallTimeoutMs } = this.options;
    const queues = [...this.producers.values(), ...(this.admin === undefined ? [] : [this.admin])];
    await Promise.all(
      queues.map(async (q) => {
        const client = this.clients.get(q);
        await bounded(q.close(), closeCallTimeoutMs, clock, 'queue close').catch(() =>
          q.disconnect(),
        );
        if (client === undefined) return;
        this.clients.delete(q);
        await bounded(client.quit(), closeCallTimeoutMs, clock, 'queue client quit').catch(() =>
          client.disconnect(),
        );
        // Its 'end' (which stops the watchdog too) may come a turn later: no timer left now.
        client.watchdog?.stop();
      }),
    );
  }
}
