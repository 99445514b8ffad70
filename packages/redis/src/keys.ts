/**
 * The key layout of one service, in one place (docs/redis.md shows the same table). Every
 * key starts with `{prefix}:{service}:`, so services and test suites never collide.
 */
export class FleetKeys {
  private readonly base: string;

  constructor(prefix: string, service: string) {
    this.base = `${prefix}:${service}`;
  }

  /** Prefix of the heartbeat keys: `{base}:replica:` + replicaId. */
  get replicaPrefix(): string {
    return `${this.base}:replica:`;
  }

  /** Heartbeat of one replica (JSON, PX ttl). */
  replica(replicaId: string): string {
    return `${this.replicaPrefix}${replicaId}`;
  }

  /** Sorted set of replica ids scored by heartbeat expiry (server ms), so nothing SCANs. */
  get replicaIndex(): string {
    return `${this.base}:replicas`;
  }

  /** The lease itself: `"<token>:<replicaId>"`, PX ttl. */
  lease(lease: string): string {
    return `${this.base}:lease:${lease}`;
  }

  /** The lease's fencing counter (INCR; never expires). */
  fence(lease: string): string {
    return `${this.base}:lease:${lease}:fence`;
  }

  /** The stream of one fleet event topic. */
  events(topic: string): string {
    return `${this.base}:ev:${topic}`;
  }

  /** Dead letters of one hook of a topic (a stream). */
  deadLetters(topic: string, hookId: string): string {
    return `${this.base}:ev:${topic}:dead:${hookId}`;
  }

  /** Last delivery error per pending entry of one consumer group (a hash). */
  errors(topic: string, group: string): string {
    return `${this.base}:ev:${topic}:errors:${group}`;
  }
}
