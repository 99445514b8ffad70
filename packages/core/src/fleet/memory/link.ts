import { KeelError } from '../../errors/keel-error.js';
import type { Clock } from '../../time/clock.js';
import type { FleetHost } from '../../specs/fleet-provider.js';
import { OwnedTimers } from './timers.js';

/**
 * How a replica reaches the in-memory fleet: `up`; `partitioned` (its calls reject, as
 * with Redis unreachable); `dead` (killed: its calls never settle, nothing reaches it);
 * `closed` (it disconnected).
 */
export type LinkState = 'up' | 'partitioned' | 'dead' | 'closed';

/** One replica's connection state inside a {@link MemoryFleet}; the gate of every call. */
export class ReplicaLink {
  state: LinkState = 'up';
  readonly timers: OwnedTimers;
  /** Rejecters of calls a dead replica made, ended by `close()` so its kernel can stop. */
  private readonly hung = new Set<(err: unknown) => void>();

  constructor(
    readonly replicaId: string,
    readonly host: FleetHost,
    clock: Clock,
  ) {
    this.timers = new OwnedTimers(clock, (err) => this.report(err, 'fleet timer'));
  }

  /** True while the replica can reach the fleet and the fleet can reach it. */
  get live(): boolean {
    return this.state === 'up';
  }

  /** Runs one engine operation as the link allows (the operation itself is synchronous). */
  call<T>(what: string, op: () => T): Promise<T> {
    switch (this.state) {
      case 'up':
        return new Promise<T>((resolve) => resolve(op()));
      case 'partitioned':
        return Promise.reject(
          new KeelError(
            'E_FLEET_UNAVAILABLE',
            `Fleet ${what} failed: replica "${this.replicaId}" is cut off from the in-memory fleet ` +
              `(partitioned). It reconnects when the partition heals.`,
            { details: { replicaId: this.replicaId } },
          ),
        );
      case 'closed':
        return Promise.reject(
          new KeelError(
            'E_FLEET_UNAVAILABLE',
            `Fleet ${what} failed: the connection of replica "${this.replicaId}" is closed.`,
            { details: { replicaId: this.replicaId } },
          ),
        );
      case 'dead':
        return new Promise<T>((_resolve, reject) => {
          this.hung.add(reject);
        });
    }
  }

  /** Ends the calls a dead replica left hanging (they reject: the connection closed). */
  endHung(): void {
    const err = new KeelError(
      'E_FLEET_UNAVAILABLE',
      `The connection of replica "${this.replicaId}" was closed while the replica was killed.`,
      { details: { replicaId: this.replicaId } },
    );
    for (const reject of this.hung) reject(err);
    this.hung.clear();
  }

  /** Tells the kernel; a host that throws cannot break the fleet. */
  tell(connected: boolean, reason?: string): void {
    try {
      this.host.connectionChanged(connected, reason);
    } catch (err) {
      this.report(err, 'connectionChanged');
    }
  }

  report(err: unknown, taskName: string): void {
    if (this.state === 'dead') return;
    try {
      this.host.report(err, taskName);
    } catch {
      // the kernel's reporter failed; nothing is left to tell
    }
  }
}
