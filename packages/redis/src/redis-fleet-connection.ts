import {
  KeelError,
  type FleetConnection,
  type FleetConnectionSnapshot,
  type FleetConsumer,
  type FleetConsumerSpec,
  type FleetEnqueueOptions,
  type FleetJobHandler,
  type FleetTaskRun,
  type FleetTaskSpec,
  type FleetDeliver,
  type FleetHost,
  type FleetReplica,
  type FleetSubscription,
  type FleetSubscriptionHandle,
  type FleetTaskHandle,
  type ReplicaState,
} from '@keel/core';
import { Redis, type RedisOptions } from 'ioredis';
import { abandon } from './abandon.js';
import { WatchedRedis } from './command-watchdog.js';
import { describeError } from './describe-error.js';
import { FleetKeys } from './keys.js';
import { maskUrl, type ResolvedRedisFleetOptions } from './options.js';
import { ioredisOptions, type ClientKind } from './redis-options.js';
import { defineScripts, type FleetScripts } from './scripts.js';
import { StreamSubscription } from './stream-subscription.js';

/** A replica as its heartbeat says, with what it declares (for task/queue reconciliation). */
export interface RedisFleetReplica extends FleetReplica {
  readonly declares?: ReplicaState['declares'];
}

const NO_JOBS =
  "jobs and fleet tasks need @keel/bullmq's bullmqFleet(): redisFleet() offers membership, " +
  'leases and fleet events only. Use bullmqFleet(options) from @keel/bullmq as the fleet option.';

function noop(): void {}

/** The error of commands still waiting when the fleet connection closes. */
const CLOSED = 'fleet connection closed';

/** Waits for `client` to become ready, failing on its first error or close, or on abort. */
function waitReady(client: Redis, signal: AbortSignal, host: FleetHost, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let lastError: Error | undefined;
    const cleanup = (): void => {
      client.off('ready', onReady);
      client.off('error', onError);
      client.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
      host.clock.clearTimeout(timer);
    };
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const onError = (error: unknown): void => {
      lastError = error instanceof Error ? error : new Error(describeError(error));
    };
    const onClose = (): void => {
      cleanup();
      reject(lastError ?? new Error('connection closed before it was ready'));
    };
    const onAbort = (): void => {
      cleanup();
      reject(new Error('gave up: the kernel aborted the connect (startTimeout)'));
    };
    const timer = host.clock.setTimeout(() => {
      cleanup();
      reject(new Error(`no answer within connectTimeout (${ms} ms)`));
    }, ms);
    client.on('ready', onReady);
    client.on('error', onError);
    client.on('close', onClose);
    signal.addEventListener('abort', onAbort);
    if (signal.aborted) onAbort();
  });
}

/** Resolves when `client` has ended (its socket closed), or after `ms` on the clock. */
function ended(client: Redis, host: FleetHost, ms: number): Promise<void> {
  if (client.status === 'end') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      host.clock.clearTimeout(timer);
      client.off('end', done);
      resolve();
    };
    const timer = host.clock.setTimeout(done, ms);
    client.once('end', done);
  });
}

/**
 * One replica's live connection to its fleet on Redis: membership by heartbeat keys,
 * fenced leases by Lua scripts, fleet events on Streams. `@keel/bullmq` composes it (it
 * adds jobs and fleet tasks) through {@link RedisFleetConnection.redisOptions} and
 * {@link RedisFleetConnection.createClient}, which share this connection's settings and are
 * closed with it.
 */
export class RedisFleetConnection implements FleetConnection {
  readonly service: string;
  readonly replicaId: string;
  /** The URL with its password masked, for messages and logs. */
  readonly target: string;
  /** The key layout of this service. */
  readonly keys: FleetKeys;
  private linkUp = true;
  private closing = false;
  private closed: Promise<void> | undefined;
  private lastError = '';
  private cachedReplicas: readonly RedisFleetReplica[] = [];
  private readonly highestToken = new Map<string, number>();
  private readonly subscriptions = new Set<StreamSubscription>();
  private readonly clients = new Set<Redis>();
  private readonly command: Redis & FleetScripts;
  /** Redis server time minus local wall time (measured at connect; engine-side positions only). */
  private serverOffsetMs = 0;

  private constructor(
    readonly options: ResolvedRedisFleetOptions,
    private readonly host: FleetHost,
    command: Redis,
  ) {
    this.service = options.service;
    this.replicaId = options.replicaId;
    this.target = maskUrl(options.url);
    this.keys = new FleetKeys(options.prefix, options.service);
    this.command = defineScripts(command);
    command.on('ready', () => this.setLink(true));
    command.on('close', () => this.setLink(false, this.lastError || 'connection closed'));
  }

  /**
   * Connects the command client and resolves once Redis answered, or rejects with
   * `E_FLEET_UNAVAILABLE` naming the masked URL; a failed connect leaves no socket behind.
   */
  static async open(
    options: ResolvedRedisFleetOptions,
    host: FleetHost,
    signal: AbortSignal,
  ): Promise<RedisFleetConnection> {
    const target = maskUrl(options.url);
    const command = new WatchedRedis(ioredisOptions(options, 'command'), host.clock);
    let lastError = '';
    command.on('error', (error: unknown) => (lastError = describeError(error)));
    try {
      const ready = waitReady(command, signal, host, options.connectTimeoutMs);
      command.connect().catch(() => undefined);
      await ready;
    } catch (error) {
      abandon(command, CLOSED);
      const why = lastError || describeError(error);
      throw new KeelError(
        'E_FLEET_UNAVAILABLE',
        `The fleet of service "${options.service}" cannot reach Redis at ${target}: ${why}. ` +
          'Start Redis there or fix the url option of redisFleet().',
        { details: { url: target, service: options.service }, cause: error },
      );
    }
    const connection = new RedisFleetConnection(options, host, command);
    connection.serverOffsetMs = await serverOffset(command).catch(() => 0);
    command.on('error', (error: unknown) => (connection.lastError = describeError(error)));
    host.logger.info({ url: target, replicaId: options.replicaId }, 'fleet connected to Redis');
    return connection;
  }

  get connected(): boolean {
    return this.linkUp && !this.closing;
  }

  /** ioredis options for one more client with this connection's settings (for BullMQ). */
  redisOptions(kind: ClientKind): RedisOptions {
    const options = ioredisOptions(this.options, kind);
    return { ...options, lazyConnect: false };
  }

  /** One more ioredis client with this connection's settings, disconnected by `close()`. */
  createClient(kind: ClientKind, name?: string): Redis {
    const options = this.redisOptions(kind);
    const client = new WatchedRedis(
      {
        ...options,
        // CLIENT SETNAME refuses spaces: keep names to a safe alphabet.
        ...(name === undefined
          ? {}
          : { connectionName: `${options.connectionName}:${name.replace(/[^\w.:>@-]/g, '_')}` }),
      },
      this.host.clock,
    );
    // An error event without a listener would be printed by ioredis; the link state shows it.
    client.on('error', (error: unknown) =>
      this.host.logger.debug({ err: describeError(error) }, 'fleet client error'),
    );
    this.clients.add(client);
    client.once('end', () => this.clients.delete(client));
    return client;
  }

  // ----- membership -------------------------------------------------------------------

  /** Writes the heartbeat and resolves with the live replicas (one script, one round trip). */
  async heartbeat(state: ReplicaState, ttlMs: number): Promise<RedisFleetReplica[]> {
    const json = JSON.stringify({
      since: state.since,
      lastSeen: this.host.clock.now(),
      leaderOf: state.leaderOf,
      ...(state.declares === undefined ? {} : { declares: state.declares }),
    });
    const list = await this.command.keelHeartbeat(
      this.keys.replica(this.replicaId),
      this.keys.replicaIndex,
      json,
      Math.max(1, Math.ceil(ttlMs)),
      this.replicaId,
      this.keys.replicaPrefix,
    );
    // The script's first element is the server time: keep the offset fresh (clocks drift).
    const [serverMs, ...rest] = list;
    this.serverOffsetMs = Number(serverMs) - Date.now();
    this.cachedReplicas = parseReplicas(rest);
    return [...this.cachedReplicas];
  }

  async replicas(): Promise<RedisFleetReplica[]> {
    const list = await this.command.keelReplicas(this.keys.replicaIndex, this.keys.replicaPrefix);
    const replicas = parseReplicas(list);
    this.cachedReplicas = replicas;
    return [...replicas];
  }

  // ----- leases -----------------------------------------------------------------------

  async acquire(lease: string, ttlMs: number): Promise<number | undefined> {
    const token = await this.command.keelAcquire(
      this.keys.lease(lease),
      this.keys.fence(lease),
      Math.max(1, Math.ceil(ttlMs)),
      this.replicaId,
      this.highestToken.get(lease) ?? 0,
    );
    if (token === null) return undefined;
    const value = Number(token);
    this.seen(lease, value);
    return value;
  }

  async renew(lease: string, token: number, ttlMs: number): Promise<boolean> {
    const held = await this.command.keelRenew(
      this.keys.lease(lease),
      this.holder(token),
      Math.max(1, Math.ceil(ttlMs)),
    );
    return held === 1;
  }

  async release(lease: string, token: number): Promise<void> {
    await this.command.keelRelease(this.keys.lease(lease), this.holder(token));
  }

  async currentToken(lease: string): Promise<number> {
    const raw = await this.command.get(this.keys.fence(lease));
    const value = raw === null ? 0 : Number(raw);
    // A Redis without persistence may have lost the counter; never report going back.
    return Math.max(Number.isFinite(value) ? value : 0, this.highestToken.get(lease) ?? 0);
  }

  // ----- fleet events -----------------------------------------------------------------

  publish(topic: string, payload: string): Promise<void> {
    return this.command
      .xadd(
        this.keys.events(topic),
        'MAXLEN',
        '~',
        this.options.eventsMaxLen,
        '*',
        'payload',
        payload,
      )
      .then(noop);
  }

  subscribe(spec: FleetSubscription, deliver: FleetDeliver): FleetSubscriptionHandle {
    if (this.closing) {
      throw new KeelError(
        'E_KERNEL_STATE',
        `fleet subscribe("${spec.hookId}") after the fleet connection was closed.`,
      );
    }
    const subscription = new StreamSubscription(
      {
        keys: this.keys,
        replicaId: this.replicaId,
        clock: this.host.clock,
        logger: this.host.logger,
        blockMs: this.options.blockMs,
        commandTimeoutMs: this.options.commandTimeoutMs,
        command: this.command,
        createReader: (name) => this.createClient('blocking', name),
        serverNow: () => Date.now() + this.serverOffsetMs,
      },
      spec,
      deliver,
    );
    this.subscriptions.add(subscription);
    subscription.start();
    return {
      close: async () => {
        await subscription.close();
        this.subscriptions.delete(subscription);
      },
    };
  }

  // ----- jobs and fleet tasks: @keel/bullmq ---------------------------------------------

  enqueue(queue: string, _data?: string, _opts?: FleetEnqueueOptions): Promise<string> {
    return Promise.reject(
      new KeelError('E_FLEET_UNAVAILABLE', `enqueue("${queue}"): ${NO_JOBS}`, {
        details: { queue },
      }),
    );
  }

  consume(queue: string, _spec?: FleetConsumerSpec, _handler?: FleetJobHandler): FleetConsumer {
    throw new KeelError('E_FLEET_UNAVAILABLE', `consume("${queue}"): ${NO_JOBS}`, {
      details: { queue },
    });
  }

  scheduleTask(spec: FleetTaskSpec, _run?: FleetTaskRun): FleetTaskHandle {
    throw new KeelError('E_FLEET_UNAVAILABLE', `scheduleTask("${spec.key}"): ${NO_JOBS}`, {
      details: { task: spec.key },
    });
  }

  // ----- view -------------------------------------------------------------------------

  snapshot(): FleetConnectionSnapshot {
    const events: Record<string, FleetConnectionSnapshot['events'][string]> = {};
    for (const { stats } of this.subscriptions) {
      const prev = events[stats.hookId];
      events[stats.hookId] = {
        delivered: (prev?.delivered ?? 0) + stats.delivered,
        pending: (prev?.pending ?? 0) + stats.pending,
        deadLettered: (prev?.deadLettered ?? 0) + stats.deadLettered,
        deadLetters: [...(prev?.deadLetters ?? []), ...stats.deadLetters],
      };
    }
    return {
      replicas: this.cachedReplicas.map(({ replicaId, since, lastSeen, leaderOf }) => ({
        replicaId,
        since,
        lastSeen,
        leaderOf: [...leaderOf],
      })),
      queues: {},
      events,
      tasks: {},
    };
  }

  async close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  /**
   * Drops every socket at once, without leaving the fleet, releasing leases or
   * acknowledging deliveries in flight: what a crashed replica leaves behind. For fault
   * tests; `close()` afterwards resolves at once.
   */
  destroy(): void {
    this.closing = true;
    this.closed ??= Promise.resolve();
    for (const subscription of this.subscriptions) subscription.destroy();
    this.subscriptions.clear();
    abandon(this.command, CLOSED);
    for (const client of this.clients) abandon(client, CLOSED);
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    this.subscriptions.clear();
    if (this.command.status === 'ready') {
      // Leave at once so others stop listing this replica (its heartbeat would expire anyway).
      await this.command
        .keelLeave(this.keys.replica(this.replicaId), this.keys.replicaIndex, this.replicaId)
        .catch(() => undefined);
    }
    const all = [this.command, ...this.clients];
    // abandon(): a client waiting to reconnect (Redis down) would otherwise keep its queued
    // commands, and never end.
    for (const client of all) abandon(client, CLOSED);
    await Promise.all(all.map((client) => ended(client, this.host, 1_000)));
    this.host.logger.info({ replicaId: this.replicaId }, 'fleet disconnected from Redis');
  }

  private holder(token: number): string {
    return `${token}:${this.replicaId}`;
  }

  private seen(lease: string, token: number): void {
    if (token > (this.highestToken.get(lease) ?? 0)) this.highestToken.set(lease, token);
  }

  private setLink(up: boolean, reason?: string): void {
    if (this.closing || up === this.linkUp) return;
    this.linkUp = up;
    try {
      this.host.connectionChanged(up, up ? undefined : reason);
    } catch (error) {
      this.host.logger.error({ err: describeError(error) }, 'fleet connectionChanged threw');
    }
  }
}

/**
 * Redis `TIME` minus `Date.now()` after the reply, the least of three: an underestimate by
 * about the latency, so a group started from it never skips an event published after it.
 */
async function serverOffset(client: Redis): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i += 1) {
    const [seconds, micros] = await client.time();
    best = Math.min(best, Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - Date.now());
  }
  return best;
}

function parseReplicas(list: readonly string[]): RedisFleetReplica[] {
  const out: RedisFleetReplica[] = [];
  for (let i = 0; i + 1 < list.length; i += 2) {
    try {
      const state = JSON.parse(list[i + 1]!) as Partial<RedisFleetReplica>;
      out.push({
        replicaId: list[i]!,
        since: Number(state.since ?? 0),
        lastSeen: Number(state.lastSeen ?? 0),
        leaderOf: Array.isArray(state.leaderOf) ? state.leaderOf.map(String) : [],
        ...(state.declares === undefined ? {} : { declares: state.declares }),
      });
    } catch {
      // Someone else's key under our prefix: not a replica.
    }
  }
  return out.sort((a, b) => a.replicaId.localeCompare(b.replicaId));
}
