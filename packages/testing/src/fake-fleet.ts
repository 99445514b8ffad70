import {
  MemoryFleet,
  toMs,
  type Duration,
  type FleetConnectionSnapshot,
  type FleetProvider,
} from '@keel/core';
import { FakeClock, DEFAULT_FAKE_NOW } from './fake-clock.js';

/** Options of a {@link FakeFleet}. */
export interface FakeFleetOptions {
  /** Start time of the shared fake clock; default 2026-01-01T00:00:00Z. */
  now?: Date | number;
  /** The service name its connections report; default `'test'`. */
  service?: string;
  /**
   * How long a killed or cut-off replica's running job (or fleet task run) stays active
   * before it is free again, as BullMQ's stall check; default `'30s'`.
   */
  stalledAfter?: Duration;
  /** Lease and heartbeat TTL of every replica (the kernel renews every ttl/3); default `'10s'`. */
  leaseTtl?: Duration;
}

/**
 * An in-memory fleet for tests: several test kernels share it, and one {@link FakeClock},
 * as replicas of one service. Leases (with fencing tokens), heartbeats, fleet events,
 * jobs and `fleet: 'once'` tasks behave as on Redis and BullMQ, and faults are one call:
 * {@link partition}, {@link heal}, {@link kill}.
 * @example
 * ```ts
 * const fleet = new FakeFleet();
 * const a = createTestKernel({ modules, fleet: fleet.replica('a'), clock: fleet.clock });
 * const b = createTestKernel({ modules, fleet: fleet.replica('b'), clock: fleet.clock });
 * await Promise.all([a.start(), b.start()]);
 * fleet.kill('a'); // b takes the singleton lease once a's runs out
 * await fleet.clock.advance('15s');
 * ```
 */
export class FakeFleet {
  /** The clock every replica's kernel must use (pass it as `clock` to `createTestKernel`). */
  readonly clock: FakeClock;
  private readonly hub: MemoryFleet;

  constructor(options: FakeFleetOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('new FakeFleet(options): options must be an object.');
    }
    this.clock = new FakeClock(options.now ?? DEFAULT_FAKE_NOW);
    const stalledMs =
      options.stalledAfter === undefined
        ? undefined
        : toMs(options.stalledAfter, 'new FakeFleet({ stalledAfter })');
    const leaseTtlMs =
      options.leaseTtl === undefined
        ? undefined
        : toMs(options.leaseTtl, 'new FakeFleet({ leaseTtl })');
    this.hub = new MemoryFleet({
      clock: this.clock,
      service: options.service ?? 'test',
      kind: 'fake',
      ...(stalledMs === undefined ? {} : { stalledMs }),
      ...(leaseTtlMs === undefined ? {} : { leaseTtlMs }),
    });
  }

  /** A fresh provider (kind `'fake'`) for one kernel, as replica `replicaId` of this fleet. */
  replica(replicaId: string): FleetProvider {
    return this.hub.provider(replicaId);
  }

  /**
   * Cuts replica `replicaId` off: its calls reject with `E_FLEET_UNAVAILABLE`, nothing is
   * delivered to it, its kernel is told `connectionChanged(false)`, so its renewals fail
   * and its leases and heartbeat run out. Before it connects: its connect fails.
   */
  partition(replicaId: string): void {
    this.hub.partition(replicaId);
  }

  /** Ends a partition: calls work again and its kernel is told `connectionChanged(true)`. */
  heal(replicaId: string): void {
    this.hub.heal(replicaId);
  }

  /**
   * Makes a connected replica vanish without a shutdown (a `SIGKILL`): its calls never
   * settle, its handlers get nothing more; its leases and heartbeat stay until their TTL,
   * its unacknowledged `'one'` events are claimed by others after `minIdleMs`, its running
   * jobs go back to waiting after `stalledAfter`. Its kernel can still be shut down (its
   * fleet calls then reject) to leave no timer behind.
   * @throws KeelError `E_INVALID_OPTION` when no replica of that id is connected.
   */
  kill(replicaId: string): void {
    this.hub.kill(replicaId);
  }

  /** The fleet as every replica sees it (replicas, queues, events, tasks). */
  snapshot(): FleetConnectionSnapshot {
    return this.hub.snapshot();
  }
}
