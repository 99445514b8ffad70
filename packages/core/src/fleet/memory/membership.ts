import type { Clock } from '../../time/clock.js';
import type { FleetReplica, ReplicaState } from '../../specs/fleet-provider.js';

interface Entry {
  since: number;
  lastSeen: number;
  expiresAt: number;
  leaderOf: readonly string[];
}

/** Heartbeats with a TTL, as keys with `PX` on Redis: a replica is live until its entry expires. */
export class Membership {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly clock: Clock) {}

  heartbeat(replicaId: string, state: ReplicaState, ttlMs: number): void {
    const now = this.clock.now();
    this.entries.set(replicaId, {
      since: state.since,
      lastSeen: now,
      expiresAt: now + ttlMs,
      leaderOf: [...state.leaderOf],
    });
  }

  /** A graceful leave: the others see it gone at once. */
  leave(replicaId: string): void {
    this.entries.delete(replicaId);
  }

  /** Live replicas, by id. Expired entries are dropped on the way. */
  live(): FleetReplica[] {
    const now = this.clock.now();
    const out: FleetReplica[] = [];
    for (const [replicaId, e] of this.entries) {
      if (e.expiresAt <= now) {
        this.entries.delete(replicaId);
        continue;
      }
      out.push({ replicaId, since: e.since, lastSeen: e.lastSeen, leaderOf: [...e.leaderOf] });
    }
    return out.sort((a, b) => (a.replicaId < b.replicaId ? -1 : a.replicaId > b.replicaId ? 1 : 0));
  }
}
