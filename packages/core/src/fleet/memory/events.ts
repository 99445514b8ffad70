import { KeelError } from '../../errors/keel-error.js';
import type { Clock } from '../../time/clock.js';
import type {
  FleetConnectionSnapshot,
  FleetDeliver,
  FleetDelivery,
  FleetSubscription,
  FleetSubscriptionHandle,
} from '../../specs/fleet-provider.js';
import type { ReplicaLink } from './link.js';
import { Alarm, errorText } from './timers.js';

/** Events a group keeps for consumers that are not there yet (a stream's MAXLEN). */
const MAX_BACKLOG = 10_000;
/** Dead letters kept per hook, newest last. */
const MAX_DEAD_LETTERS = 100;

interface StoredEvent {
  readonly id: string;
  readonly topic: string;
  readonly payload: string;
}

/** One subscription of one replica. */
interface Subscriber {
  readonly link: ReplicaLink;
  readonly spec: FleetSubscription;
  readonly deliver: FleetDeliver;
  readonly inFlight: Set<Promise<void>>;
  closed: boolean;
}

/** An unacknowledged `'one'` delivery (an entry of the group's pending list). */
interface Pending {
  readonly event: StoredEvent;
  owner: Subscriber;
  deliveredAt: number;
  deliveries: number;
  lastError: string | undefined;
}

type EventStats = FleetConnectionSnapshot['events'][string];

/** `'all'`: every subscribed live replica gets each event once; nothing is kept. */
class Broadcast {
  readonly subscribers = new Set<Subscriber>();
  delivered = 0;
  inFlight = 0;

  constructor(readonly topic: string) {}

  publish(event: StoredEvent): void {
    for (const sub of this.subscribers) {
      if (sub.closed || !sub.link.live) continue;
      this.inFlight++;
      run(sub, { ...event, attempt: 1 }, (error) => {
        this.inFlight--;
        if (error === undefined && sub.link.live) this.delivered++;
      });
    }
  }

  stats(): EventStats {
    return { delivered: this.delivered, pending: this.inFlight, deadLettered: 0, deadLetters: [] };
  }
}

/**
 * `'one'`: a consumer group, as `XREADGROUP` / `XACK` / `XAUTOCLAIM` on a Redis stream.
 * The group starts at the time it is first subscribed (`$`) and keeps events while no
 * consumer is live; each goes to one consumer, round-robin.
 */
class Group {
  readonly consumers: Subscriber[] = [];
  private readonly backlog: StoredEvent[] = [];
  private readonly pending = new Map<string, Pending>();
  private readonly deadLetters: { id: string; error: string; at: number }[] = [];
  private readonly alarm: Alarm;
  private next = 0;
  private delivered = 0;
  private deadLettered = 0;

  constructor(
    readonly topic: string,
    private readonly spec: FleetSubscription,
    private readonly clock: Clock,
  ) {
    this.alarm = new Alarm(
      clock,
      () => this.pump(),
      (err) => this.liveConsumer()?.link.report(err, `fleet event ${spec.hookId}`),
    );
  }

  publish(event: StoredEvent): void {
    if (this.backlog.length >= MAX_BACKLOG) this.backlog.shift();
    this.backlog.push(event);
    this.pump();
  }

  /** Hands out new events, claims idle ones, dead-letters the exhausted, re-arms the alarm. */
  pump(): void {
    const now = this.clock.now();
    let wake: number | undefined;
    // Pending entries are kept in delivery order, so the idle ones come first.
    const idle: Pending[] = [];
    for (const entry of this.pending.values()) {
      if (entry.deliveredAt + this.spec.minIdleMs > now) {
        wake = entry.deliveredAt + this.spec.minIdleMs;
        break;
      }
      idle.push(entry);
    }
    for (const entry of idle) {
      const claimer = this.liveConsumer();
      if (claimer === undefined) break;
      if (entry.deliveries >= this.spec.maxDeliveries) {
        this.deadLetter(entry);
        continue;
      }
      this.send(entry, claimer);
      wake ??= now + this.spec.minIdleMs;
    }
    while (this.backlog.length > 0) {
      const consumer = this.liveConsumer();
      if (consumer === undefined) break;
      const event = this.backlog.shift()!;
      const entry: Pending = {
        event,
        owner: consumer,
        deliveredAt: now,
        deliveries: 0,
        lastError: undefined,
      };
      this.send(entry, consumer);
      wake ??= now + this.spec.minIdleMs;
    }
    this.alarm.arm(this.consumers.some((c) => !c.closed && c.link.live) ? wake : undefined);
  }

  stats(): EventStats {
    return {
      delivered: this.delivered,
      pending: this.pending.size + this.backlog.length,
      deadLettered: this.deadLettered,
      deadLetters: this.deadLetters.map((d) => ({ ...d })),
    };
  }

  close(): void {
    this.alarm.clear();
  }

  /** The next live consumer, round-robin. */
  private liveConsumer(): Subscriber | undefined {
    for (let i = 0; i < this.consumers.length; i++) {
      const c = this.consumers[(this.next + i) % this.consumers.length]!;
      if (!c.closed && c.link.live) {
        this.next = (this.next + i + 1) % this.consumers.length;
        return c;
      }
    }
    return undefined;
  }

  private send(entry: Pending, consumer: Subscriber): void {
    // Re-inserted at the end: the pending list stays ordered by delivery time.
    this.pending.delete(entry.event.id);
    this.pending.set(entry.event.id, entry);
    entry.owner = consumer;
    entry.deliveredAt = this.clock.now();
    entry.deliveries++;
    const deliveries = entry.deliveries;
    run(consumer, { ...entry.event, attempt: deliveries }, (error) =>
      this.settled(entry, consumer, deliveries, error),
    );
  }

  private settled(entry: Pending, consumer: Subscriber, deliveries: number, error: unknown): void {
    // Claimed by another consumer meanwhile, or the ack cannot reach the fleet.
    if (this.pending.get(entry.event.id) !== entry || entry.owner !== consumer) return;
    if (entry.deliveries !== deliveries || !consumer.link.live) return;
    if (error === undefined) {
      this.pending.delete(entry.event.id);
      this.delivered++;
    } else {
      entry.lastError = errorText(error);
      if (entry.deliveries >= this.spec.maxDeliveries) this.deadLetter(entry);
    }
    this.pump();
  }

  private deadLetter(entry: Pending): void {
    this.pending.delete(entry.event.id);
    this.deadLettered++;
    this.deadLetters.push({
      id: entry.event.id,
      error:
        entry.lastError ?? `not acknowledged after ${entry.deliveries} deliveries (replica gone)`,
      at: this.clock.now(),
    });
    if (this.deadLetters.length > MAX_DEAD_LETTERS) this.deadLetters.shift();
  }
}

/** Calls `deliver` on a later microtask (never inside `publish`), then `done` once it settled. */
function run(sub: Subscriber, delivery: FleetDelivery, done: (error: unknown) => void): void {
  const settled = Promise.resolve()
    .then(() => sub.deliver(delivery))
    .then(
      () => done(undefined),
      (err: unknown) => done(err ?? new Error('delivery rejected')),
    )
    .catch((err: unknown) => sub.link.report(err, `fleet event ${sub.spec.hookId}`))
    .finally(() => sub.inFlight.delete(settled));
  sub.inFlight.add(settled);
}

/** Fleet events of one in-memory fleet: broadcasts and consumer groups by hook id. */
export class EventHub {
  private readonly broadcasts = new Map<string, Broadcast>();
  private readonly groups = new Map<string, Group>();
  private seq = 0;

  constructor(private readonly clock: Clock) {}

  publish(topic: string, payload: string): void {
    const event: StoredEvent = { id: `${this.clock.now()}-${this.seq++}`, topic, payload };
    for (const b of this.broadcasts.values()) if (b.topic === topic) b.publish(event);
    for (const g of this.groups.values()) if (g.topic === topic) g.publish(event);
  }

  subscribe(
    link: ReplicaLink,
    spec: FleetSubscription,
    deliver: FleetDeliver,
  ): FleetSubscriptionHandle {
    checkSubscription(spec);
    const sub: Subscriber = { link, spec, deliver, inFlight: new Set(), closed: false };
    if (spec.mode === 'all') {
      let b = this.broadcasts.get(spec.hookId);
      if (b === undefined) this.broadcasts.set(spec.hookId, (b = new Broadcast(spec.topic)));
      b.subscribers.add(sub);
    } else {
      let g = this.groups.get(spec.hookId);
      if (g === undefined)
        this.groups.set(spec.hookId, (g = new Group(spec.topic, spec, this.clock)));
      g.consumers.push(sub);
      g.pump();
    }
    let closing: Promise<void> | undefined;
    return {
      close: () => (closing ??= this.unsubscribe(sub)),
    };
  }

  /** A replica's link changed (partition, heal, kill, close): groups re-balance. */
  linkChanged(): void {
    for (const g of this.groups.values()) g.pump();
  }

  /** Drops every subscription of a replica that is gone (killed or closed). */
  dropReplica(link: ReplicaLink): void {
    for (const b of this.broadcasts.values())
      for (const sub of b.subscribers) if (sub.link === link) b.subscribers.delete(sub);
    for (const g of this.groups.values()) {
      for (let i = g.consumers.length - 1; i >= 0; i--) {
        const sub = g.consumers[i]!;
        if (sub.link !== link) continue;
        sub.closed = true;
        g.consumers.splice(i, 1);
      }
    }
    this.linkChanged();
  }

  stats(): Record<string, EventStats> {
    const out: Record<string, EventStats> = {};
    for (const [hookId, b] of this.broadcasts) out[hookId] = b.stats();
    for (const [hookId, g] of this.groups) out[hookId] = g.stats();
    return out;
  }

  /** Disarms every alarm (the fleet itself goes away). */
  close(): void {
    for (const g of this.groups.values()) g.close();
  }

  private async unsubscribe(sub: Subscriber): Promise<void> {
    sub.closed = true;
    this.broadcasts.get(sub.spec.hookId)?.subscribers.delete(sub);
    const g = this.groups.get(sub.spec.hookId);
    if (g !== undefined) {
      const i = g.consumers.indexOf(sub);
      if (i >= 0) g.consumers.splice(i, 1);
      g.pump();
    }
    // A killed replica's deliveries are nobody's to wait for.
    if (sub.link.state !== 'dead') await Promise.allSettled([...sub.inFlight]);
  }
}

function checkSubscription(spec: FleetSubscription): void {
  const bad = (option: string, value: unknown, want: string): KeelError =>
    new KeelError(
      'E_INVALID_OPTION',
      `subscribe(${JSON.stringify(spec?.hookId)}): ${option} must be ${want}, got ${String(value)}.`,
      { details: { hookId: spec?.hookId, option } },
    );
  if (spec === null || typeof spec !== 'object') throw bad('spec', spec, 'an object');
  if (typeof spec.topic !== 'string' || spec.topic === '')
    throw bad('topic', spec.topic, 'a non-empty string');
  if (typeof spec.hookId !== 'string' || spec.hookId === '')
    throw bad('hookId', spec.hookId, 'a non-empty string');
  if (spec.mode !== 'all' && spec.mode !== 'one') throw bad('mode', spec.mode, "'all' or 'one'");
  if (!(Number.isInteger(spec.maxDeliveries) && spec.maxDeliveries >= 1))
    throw bad('maxDeliveries', spec.maxDeliveries, 'a whole number ≥ 1');
  if (!(Number.isFinite(spec.minIdleMs) && spec.minIdleMs >= 0))
    throw bad('minIdleMs', spec.minIdleMs, 'a finite number of milliseconds ≥ 0');
}
