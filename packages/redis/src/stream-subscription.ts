import type {
  Clock,
  FleetDeliver,
  FleetDelivery,
  FleetHost,
  FleetSubscription,
  FleetSubscriptionHandle,
} from '@keel/core';
import type { Redis } from 'ioredis';
import { abandon } from './abandon.js';
import { describeError } from './describe-error.js';
import type { FleetKeys } from './keys.js';

/** What a subscription needs from its connection. */
export interface SubscriptionContext {
  readonly keys: FleetKeys;
  readonly replicaId: string;
  readonly clock: Clock;
  readonly logger: FleetHost['logger'];
  readonly blockMs: number;
  readonly commandTimeoutMs: number;
  /** A fresh blocking client (closed by the subscription). */
  createReader(name: string): Redis;
  /** The shared command client (for commands that must not queue behind a blocked read). */
  readonly command: Redis;
  /** Redis server time in ms, estimated locally (the stream position at subscribe time). */
  serverNow(): number;
}

/** Counts of one subscription, read by the connection's `snapshot()`. */
export interface SubscriptionStats {
  readonly hookId: string;
  delivered: number;
  pending: number;
  deadLettered: number;
  deadLetters: { id: string; error: string; at: number }[];
}

type StreamEntry = [id: string, fields: string[]];
type ReadReply = [stream: string, entries: StreamEntry[]][] | null;

const READ_COUNT = 100;
const CLAIM_COUNT = 50;
const DEAD_LETTERS_SHOWN = 20;
const DEAD_STREAM_MAXLEN = 1_000;
const ERROR_TTL_MS = 86_400_000;
/** How far before subscribe() a new group starts (covers Redis's cached command time). */
const START_MARGIN_MS = 2;
/** The error of reader commands still waiting when the subscription closes. */
const CLOSED = 'fleet event subscription closed';

function noop(): void {}

function isNoGroup(error: unknown): boolean {
  return describeError(error).includes('NOGROUP');
}

function fieldOf(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/**
 * One fleet hook's reader: a loop on its own blocking connection doing
 * `XREADGROUP … BLOCK blockMs` (bounded, so a watchdog can tell a wedged socket from a quiet
 * stream), delivering entries one at a time (trigger order), `XACK` after `deliver` resolves,
 * and every `claimEveryMs` an `XAUTOCLAIM` of entries idle ≥ `minIdleMs` (a dead consumer's,
 * or its own failed ones), dead-lettering those delivered `maxDeliveries` times.
 */
export class StreamSubscription implements FleetSubscriptionHandle {
  readonly stats: SubscriptionStats;
  /** Where a new group starts: the stream position when subscribe() was called. */
  private startId: string;
  private readonly blockMs: number;
  private readonly stream: string;
  private readonly group: string;
  private readonly reader: Redis;
  private readonly claimEveryMs: number;
  private readonly watchdogMs: number;
  private stopping = false;
  private groupReady = false;
  private lastClaimAt = Number.NEGATIVE_INFINITY;
  private claimCursor = '0-0';
  private readyAt: number;
  private wake: (() => void) | undefined;
  private closed: Promise<void> | undefined;
  private loop: Promise<void> | undefined;
  private deadSeen = -1;
  /** The hook call in flight, if any (close() lets it settle first). */
  private running: Promise<void> | undefined;
  /** Ids whose hook settled, not yet sent in an XACK (sent together: see ack()). */
  private acks: string[] = [];
  private ackFlush: NodeJS.Immediate | undefined;
  private acking: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: SubscriptionContext,
    private readonly spec: FleetSubscription,
    private readonly deliver: FleetDeliver,
  ) {
    this.stream = ctx.keys.events(spec.topic);
    this.group = spec.mode === 'one' ? spec.hookId : `${spec.hookId}@${ctx.replicaId}`;
    this.reader = ctx.createReader(`${spec.mode}:${spec.hookId}`);
    this.claimEveryMs = Math.min(Math.max(Math.floor(spec.minIdleMs / 2), 50), 5_000);
    // A read never outlasts a claim turn, so claims are not late by a whole block.
    this.blockMs = Math.min(ctx.blockMs, this.claimEveryMs);
    this.watchdogMs = this.blockMs + Math.max(1_000, ctx.commandTimeoutMs);
    // Events published after subscribe() returns are delivered even if the group is created
    // a few ms later: it starts from an ID (server time, estimated low), not from '$'.
    this.startId = `${Math.max(0, Math.floor(ctx.serverNow()) - START_MARGIN_MS)}-0`;
    this.readyAt = ctx.clock.now();
    this.reader.on('ready', () => (this.readyAt = this.ctx.clock.now()));
    this.stats = {
      hookId: spec.hookId,
      delivered: 0,
      pending: 0,
      deadLettered: 0,
      deadLetters: [],
    };
  }

  /** Starts the read loop (once). */
  start(): void {
    this.loop ??= this.run();
  }

  async close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  /** Stops at once without waiting or cleaning up, as a crash would (fault tests). */
  destroy(): void {
    this.stopping = true;
    this.closed ??= Promise.resolve();
    this.dropAcks();
    this.wake?.();
    abandon(this.reader, CLOSED);
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    // A delivery in flight settles first (and is acknowledged if the link is up). Only the
    // hook is waited for here: a command queued during an outage would never answer.
    if (this.running !== undefined) await Promise.resolve(this.running).then(noop, noop);
    const acked = this.flushAcks();
    if (this.reader.status === 'ready') {
      await this.within(Promise.all([this.loop, acked]), this.ctx.commandTimeoutMs);
    }
    // Ends whatever still waits on this connection (a command queued during an outage, such
    // as a failed hook's error being recorded): it rejects, and the loop sees `stopping`.
    abandon(this.reader, CLOSED);
    // Bounded all the same: close() never waits on Redis longer than one command timeout.
    await this.within(this.loop ?? Promise.resolve(), this.ctx.commandTimeoutMs);
    if (this.spec.mode === 'all') {
      // Broadcast groups belong to this replica alone: drop them so they do not pile up.
      // (The command client fails fast while down and times out after commandTimeout.)
      await this.ctx.command.xgroup('DESTROY', this.stream, this.group).catch(() => undefined);
    }
    abandon(this.reader, CLOSED);
  }

  private async run(): Promise<void> {
    let failures = 0;
    // Bounded: each turn blocks at most watchdogMs, and `stopping` ends it.
    while (!this.stopping) {
      try {
        if (!this.groupReady) await this.createGroup();
        // Acknowledgements go out before a claim (which would take those entries back) and
        // before a blocking read (which would hold them back).
        void this.flushAcks();
        if (this.ctx.clock.now() - this.lastClaimAt >= this.claimEveryMs) {
          this.lastClaimAt = this.ctx.clock.now();
          await this.claim();
          void this.flushAcks();
        }
        const entries = await this.read();
        if (entries.length > 0) await this.handleAll(entries, this.ctx.clock.now());
        failures = 0;
      } catch (error) {
        if (this.stopping) break;
        if (isNoGroup(error)) {
          // Redis restarted empty (or the stream was deleted): everything in it now is new.
          this.groupReady = false;
          this.startId = '0';
          continue;
        }
        failures += 1;
        if (failures === 1) {
          this.ctx.logger.warn(
            { hook: this.spec.hookId, err: describeError(error) },
            'fleet event reader failed; retrying',
          );
        }
        await this.pause(Math.min(50 * 2 ** Math.min(failures - 1, 5), 1_000));
      }
    }
  }

  private async createGroup(): Promise<void> {
    try {
      await this.reader.xgroup('CREATE', this.stream, this.group, this.startId, 'MKSTREAM');
    } catch (error) {
      if (!describeError(error).includes('BUSYGROUP')) throw error;
    }
    this.groupReady = true;
  }

  /** One bounded read; [] when it timed out, was abandoned by the watchdog or by close. */
  private async read(): Promise<StreamEntry[]> {
    if (this.stopping) return [];
    const reply = this.reader.xreadgroup(
      'GROUP',
      this.group,
      this.ctx.replicaId,
      'COUNT',
      READ_COUNT,
      'BLOCK',
      this.blockMs,
      'STREAMS',
      this.stream,
      '>',
    ) as Promise<ReadReply>;
    let timer: unknown;
    const watchdog = new Promise<'abandon'>((resolve) => {
      const arm = (ms: number): void => {
        timer = this.ctx.clock.setTimeout(() => {
          const quietFor = this.ctx.clock.now() - this.readyAt;
          // Not ready: ioredis is reconnecting and will send the read; wait on.
          if (this.reader.status !== 'ready' || quietFor < this.watchdogMs) {
            arm(this.watchdogMs);
            return;
          }
          this.ctx.logger.warn(
            { hook: this.spec.hookId },
            `fleet event read got no reply within ${this.watchdogMs} ms; reconnecting its connection`,
          );
          this.reader.disconnect(true);
          resolve('abandon');
        }, ms);
      };
      arm(this.watchdogMs);
    });
    const stopped = new Promise<'abandon'>((resolve) => (this.wake = () => resolve('abandon')));
    try {
      const outcome = await Promise.race([reply, watchdog, stopped]);
      if (outcome === 'abandon') {
        // Entries it may still bring stay pending and are claimed after minIdleMs.
        reply.catch(() => undefined);
        return [];
      }
      return outcome?.[0]?.[1] ?? [];
    } finally {
      this.ctx.clock.clearTimeout(timer);
      this.wake = undefined;
    }
  }

  /**
   * Delivers a read's entries one at a time, in stream order, until close. Entries still
   * waiting when minIdle has passed since the read are left pending: by now another reader
   * may have claimed them, and running them here too would be a second run. They are claimed
   * again (here or elsewhere) like a failed delivery.
   */
  private async handleAll(entries: readonly StreamEntry[], readAt: number): Promise<void> {
    const topic = this.spec.topic;
    for (const [id, fields] of entries) {
      if (this.stopping || this.ctx.clock.now() - readAt >= this.spec.minIdleMs) break;
      const payload = fieldOf(fields, 'payload') ?? 'null';
      // The first delivery's success path inline: no promise of its own per entry.
      const running = this.call({ id, topic, payload, attempt: 1 });
      this.running = running;
      try {
        await running;
      } catch (error) {
        this.running = undefined;
        await this.failed(id, payload, 1, error);
        continue;
      }
      this.running = undefined;
      this.ack(id);
    }
  }

  /** `deliver`, with a synchronous throw turned into a rejection. */
  private call(delivery: FleetDelivery): Promise<void> {
    try {
      return this.deliver(delivery);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(describeError(error)));
    }
  }

  /** One (re)delivery of a claimed entry. */
  private async handle([id, fields]: StreamEntry, attempt: number): Promise<void> {
    const payload = fieldOf(fields, 'payload') ?? 'null';
    const running = this.call({ id, topic: this.spec.topic, payload, attempt });
    this.running = running;
    try {
      await running;
    } catch (error) {
      this.running = undefined;
      await this.failed(id, payload, attempt, error);
      return;
    }
    this.running = undefined;
    // A redelivery may have a recorded error to drop with it.
    await this.reader
      .multi()
      .xack(this.stream, this.group, id)
      .hdel(this.ctx.keys.errors(this.spec.topic, this.group), id)
      .exec();
    this.stats.delivered += 1;
  }

  /**
   * A delivery whose hook threw: dead-lettered after its last attempt, else left pending
   * (claimed again, here or elsewhere, once idle for minIdleMs) with its error recorded.
   */
  private async failed(
    id: string,
    payload: string,
    attempt: number,
    error: unknown,
  ): Promise<void> {
    const text = describeError(error);
    if (attempt >= this.spec.maxDeliveries) {
      await this.deadLetter(id, payload, attempt, text);
      return;
    }
    const errors = this.ctx.keys.errors(this.spec.topic, this.group);
    await this.reader
      .multi()
      .hset(errors, id, text)
      .pexpire(errors, ERROR_TTL_MS)
      .exec()
      .catch(() => undefined);
  }

  /**
   * Queues the acknowledgement of a settled first delivery. Sent with the others of its
   * event-loop turn as one `XACK` (a batch of quick hooks costs one command, not one round
   * trip each), at the latest before the next blocking read or claim: a slow or awaiting hook
   * lets the turn end, so its predecessors' acknowledgements are not held back by it. Until
   * sent, the entry stays pending (at least once: a crash now means a redelivery).
   */
  private ack(id: string): void {
    this.acks.push(id);
    this.ackFlush ??= setImmediate(() => void this.flushAcks());
  }

  /** Sends the queued acknowledgements as one XACK; never rejects (a lost ack means a redelivery). */
  private flushAcks(): Promise<void> {
    if (this.ackFlush !== undefined) clearImmediate(this.ackFlush);
    this.ackFlush = undefined;
    if (this.acks.length === 0) return this.acking;
    const ids = this.acks;
    this.acks = [];
    this.stats.delivered += ids.length;
    const sent = this.reader.xack(this.stream, this.group, ...ids).then(
      () => undefined,
      (error: unknown) =>
        this.ctx.logger.debug(
          { hook: this.spec.hookId, err: describeError(error), entries: ids.length },
          'fleet event acknowledgement failed; the entries are redelivered after minIdle',
        ),
    );
    // Replies on one connection come in order: the last XACK settles after the earlier ones.
    this.acking = sent;
    return sent;
  }

  /** A crash acknowledges nothing: queued acknowledgements are dropped unsent. */
  private dropAcks(): void {
    if (this.ackFlush !== undefined) clearImmediate(this.ackFlush);
    this.ackFlush = undefined;
    this.acks = [];
  }

  private async claim(): Promise<void> {
    const [cursor, entries] = (await this.reader.xautoclaim(
      this.stream,
      this.group,
      this.ctx.replicaId,
      this.spec.minIdleMs,
      this.claimCursor,
      'COUNT',
      CLAIM_COUNT,
    )) as [string, (StreamEntry | null)[]];
    this.claimCursor = cursor;
    const claimedAt = this.ctx.clock.now();
    for (const entry of entries) {
      // As in handleAll: past minIdle, the rest may be someone else's by now.
      if (this.stopping || this.ctx.clock.now() - claimedAt >= this.spec.minIdleMs) break;
      if (entry === null) continue;
      const info = (await this.reader.xpending(this.stream, this.group, entry[0], entry[0], 1)) as [
        string,
        string,
        number,
        number,
      ][];
      // XAUTOCLAIM counted this claim as a delivery.
      const count = info[0]?.[3] ?? 1;
      if (count > this.spec.maxDeliveries) {
        const payload = fieldOf(entry[1], 'payload') ?? 'null';
        await this.deadLetter(entry[0], payload, count - 1, undefined);
      } else {
        await this.handle(entry, count);
      }
    }
    await this.refreshStats();
  }

  private async deadLetter(
    id: string,
    payload: string,
    attempts: number,
    lastError: string | undefined,
  ): Promise<void> {
    const errors = this.ctx.keys.errors(this.spec.topic, this.group);
    const recorded = lastError ?? (await this.reader.hget(errors, id));
    const error =
      recorded ??
      `not acknowledged after ${attempts} deliveries (its replica stopped or died while handling it)`;
    const at = this.ctx.clock.now();
    await this.reader
      .multi()
      .xadd(
        this.ctx.keys.deadLetters(this.spec.topic, this.spec.hookId),
        'MAXLEN',
        '~',
        DEAD_STREAM_MAXLEN,
        '*',
        'id',
        id,
        'hook',
        this.spec.hookId,
        'payload',
        payload,
        'error',
        error,
        'attempts',
        String(attempts),
        'at',
        String(at),
      )
      .xack(this.stream, this.group, id)
      .hdel(errors, id)
      .exec();
    this.ctx.logger.warn(
      { hook: this.spec.hookId, id, attempts, error },
      'fleet event dead-lettered after its last delivery',
    );
    this.stats.deadLettered += 1;
    this.stats.deadLetters = [{ id, error, at }, ...this.stats.deadLetters].slice(
      0,
      DEAD_LETTERS_SHOWN,
    );
  }

  /** Pending (group-wide) and dead letters (topic-wide), cached for `snapshot()`. */
  private async refreshStats(): Promise<void> {
    const dead = this.ctx.keys.deadLetters(this.spec.topic, this.spec.hookId);
    const replies = await this.reader.multi().xpending(this.stream, this.group).xlen(dead).exec();
    const summary = replies?.[0]?.[1] as [number, ...unknown[]] | undefined;
    const deadCount = replies?.[1]?.[1];
    if (Array.isArray(summary) && typeof summary[0] === 'number') this.stats.pending = summary[0];
    if (typeof deadCount !== 'number' || deadCount === this.deadSeen) return;
    this.deadSeen = deadCount;
    this.stats.deadLettered = deadCount;
    const recent = (await this.reader.xrevrange(dead, '+', '-', 'COUNT', DEAD_LETTERS_SHOWN)) as [
      string,
      string[],
    ][];
    this.stats.deadLetters = recent.map(([, fields]) => ({
      id: fieldOf(fields, 'id') ?? '',
      error: fieldOf(fields, 'error') ?? '',
      at: Number(fieldOf(fields, 'at') ?? 0),
    }));
  }

  /** Waits for `work` (its outcome ignored), at most `ms` on the clock. */
  private async within(work: Promise<unknown>, ms: number): Promise<void> {
    let timer: unknown;
    const timeout = new Promise<void>(
      (resolve) => (timer = this.ctx.clock.setTimeout(resolve, ms)),
    );
    try {
      await Promise.race([work.then(noop, noop), timeout]);
    } finally {
      this.ctx.clock.clearTimeout(timer);
    }
  }

  /** Waits `ms` on the clock, or until close. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.ctx.clock.setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        this.ctx.clock.clearTimeout(handle);
        this.wake = undefined;
        resolve();
      };
    });
  }
}
