import { pino } from 'pino';
import type { Clock, FleetConnection, FleetHost, FleetProvider } from '@keel/core';

/**
 * Scenario timings, in ms. Memory fleets run them on a fake clock; real engines wait for
 * real, so they pass small values (a 300 ms TTL) and a step of at most 50 ms.
 */
export interface ContractTimings {
  /** Lease and heartbeat TTL. */
  readonly ttlMs: number;
  /** `minIdleMs` of `'one'` subscriptions. */
  readonly minIdleMs: number;
  /** How long a killed replica's active job stays active (the engine's stall interval). */
  readonly stalledMs: number;
  /** Job retry backoff. */
  readonly backoffMs: number;
  /** `everyMs` of fleet tasks. */
  readonly everyMs: number;
  /** One polling step of `waitUntil` (real engines: ≤ 50 ms). */
  readonly stepMs: number;
  /** Extra time allowed on top of each expected wait (real engines: scheduling latency). */
  readonly slackMs: number;
}

export const DEFAULT_TIMINGS: ContractTimings = {
  ttlMs: 300,
  minIdleMs: 200,
  stalledMs: 500,
  backoffMs: 100,
  everyMs: 1000,
  stepMs: 10,
  slackMs: 100,
};

/** What an engine gives the contract suite: one fresh fleet per scenario. */
export interface ContractFleet {
  /** The clock every replica's `FleetHost` gets (fake for memory, `systemClock` for Redis). */
  readonly clock: Clock;
  /** A provider for replica `replicaId` of this fleet. */
  provider(replicaId: string): FleetProvider;
  /** Lets `ms` of fleet time pass (fake: advance the clock; real: bounded real waiting). */
  advance(ms: number): Promise<void>;
  /** Makes a replica vanish without a shutdown (see `FakeFleet.kill`). */
  kill(replicaId: string): void | Promise<void>;
  /** Ends the fleet after every connection of the scenario was closed. */
  close(): Promise<void>;
  /** Optional check after `close()`, e.g. that no timer is left on a fake clock. */
  checkClean?(): void;
}

export type MakeFleet = (timings: ContractTimings) => ContractFleet | Promise<ContractFleet>;

/** A connected replica and what its host was told. */
export interface Replica {
  readonly id: string;
  readonly conn: FleetConnection;
  readonly changes: { connected: boolean; reason?: string | undefined }[];
  readonly reports: { error: unknown; taskName: string }[];
}

/** Connects replica `id` to `fleet` with a recording host. */
export async function connectReplica(fleet: ContractFleet, id: string): Promise<Replica> {
  const changes: Replica['changes'] = [];
  const reports: Replica['reports'] = [];
  const host: FleetHost = {
    clock: fleet.clock,
    logger: pino({ level: 'silent' }),
    connectionChanged: (connected, reason) => void changes.push({ connected, reason }),
    report: (error, taskName) => void reports.push({ error, taskName }),
  };
  const conn = await fleet.provider(id).connect(host, new AbortController().signal);
  return { id, conn, changes, reports };
}

/**
 * Advances the fleet in steps until `cond()` holds; throws after `withinMs` of fleet time.
 * Bounded, so a broken engine fails the scenario instead of hanging it.
 */
export async function waitUntil(
  fleet: ContractFleet,
  timings: ContractTimings,
  cond: () => boolean,
  withinMs: number,
  what: string,
): Promise<void> {
  const budget = withinMs + timings.slackMs;
  for (let waited = 0; ; waited += timings.stepMs) {
    if (cond()) return;
    if (waited >= budget) throw new Error(`waitUntil: ${what} did not happen within ${budget} ms`);
    await fleet.advance(timings.stepMs);
  }
}

/** A promise with its resolve function, to hold a handler at a point. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A name no earlier scenario used, so engines with shared state start clean. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}
