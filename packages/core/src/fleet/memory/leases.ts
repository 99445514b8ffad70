import type { Clock } from '../../time/clock.js';

interface Held {
  token: number;
  expiresAt: number;
}

/**
 * Leases as on Redis: `SET NX PX` for the holder plus an `INCR` counter per lease for
 * fencing tokens, which never go back, even after the lease expired or was released.
 */
export class Leases {
  private readonly held = new Map<string, Held>();
  private readonly tokens = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  acquire(lease: string, ttlMs: number): number | undefined {
    if (this.current(lease) !== undefined) return undefined;
    const token = (this.tokens.get(lease) ?? 0) + 1;
    this.tokens.set(lease, token);
    this.held.set(lease, { token, expiresAt: this.clock.now() + ttlMs });
    return token;
  }

  renew(lease: string, token: number, ttlMs: number): boolean {
    const held = this.current(lease);
    if (held?.token !== token) return false;
    held.expiresAt = this.clock.now() + ttlMs;
    return true;
  }

  release(lease: string, token: number): void {
    if (this.current(lease)?.token === token) this.held.delete(lease);
  }

  currentToken(lease: string): number {
    return this.tokens.get(lease) ?? 0;
  }

  /** The unexpired holding of `lease`, if any (expired ones are dropped, as Redis does). */
  private current(lease: string): Held | undefined {
    const held = this.held.get(lease);
    if (held === undefined) return undefined;
    if (held.expiresAt > this.clock.now()) return held;
    this.held.delete(lease);
    return undefined;
  }
}
