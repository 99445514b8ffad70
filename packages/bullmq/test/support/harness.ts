import { pino, type Logger } from 'pino';
import { systemClock } from '@keel/core';
import {
  BullmqJobs,
  type BullmqJobsOptions,
  type TaskCoordinator,
  type TaskReplica,
} from '@keel/bullmq';

/** One captured log line. */
export type Line = Record<string, unknown>;

/** A pino logger that keeps its lines in memory (nothing on stdout). */
export function memoryLogger(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const logger = pino(
    { level: 'debug', base: undefined, formatters: { level: (label) => ({ level: label }) } },
    {
      write(chunk: string) {
        for (const l of chunk.split('\n')) if (l !== '') lines.push(JSON.parse(l) as Line);
      },
    },
  );
  return { logger, lines };
}

let services = 0;
/** A service name of its own per call, so tests in one Redis never share keys. */
export function freshService(label: string): string {
  services += 1;
  return `${label}-${process.pid}-${services}`;
}

/** Fast lock/stall settings so a vanished consumer's job comes back within ~2 s. */
export const FAST = { lockDurationMs: 1500, stalledIntervalMs: 500, statsIntervalMs: 200 } as const;

export function makeJobs(
  port: number,
  service: string,
  extra: Partial<BullmqJobsOptions> & { coordinator?: TaskCoordinator; replicaId?: string } = {},
): { jobs: BullmqJobs; lines: Line[] } {
  const { logger, lines } = memoryLogger();
  const jobs = new BullmqJobs({
    connection: { host: '127.0.0.1', port },
    service,
    replicaId: extra.replicaId ?? 'r1',
    clock: systemClock,
    logger,
    ...FAST,
    ...extra,
  });
  return { jobs, lines };
}

/**
 * Polls `probe` every 20 ms (real time: these tests run against a real Redis) until it is
 * truthy; rejects naming `what` after `timeoutMs`. Bounded.
 */
export async function until<T>(
  what: string,
  probe: () => T | Promise<T>,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`until: ${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A promise opened from outside. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/**
 * Leases and replicas in memory, for fleet-task tests without @keel/redis: tokens strictly
 * increase per lease; a lease expires `ttlMs` after its last acquire/renew (real time).
 */
export class MemoryCoordinator {
  private readonly leases = new Map<string, { token: number; until: number; holder: string }>();
  private readonly tokens = new Map<string, number>();
  /** Live replicas and the task keys they declare; `undefined`: a replica that does not say. */
  readonly declared = new Map<string, string[] | undefined>();

  for(replicaId: string): TaskCoordinator {
    return {
      acquire: (lease, ttlMs) => {
        const now = Date.now();
        const held = this.leases.get(lease);
        if (held !== undefined && held.until > now) return Promise.resolve(undefined);
        const token = (this.tokens.get(lease) ?? 0) + 1;
        this.tokens.set(lease, token);
        this.leases.set(lease, { token, until: now + ttlMs, holder: replicaId });
        return Promise.resolve(token);
      },
      renew: (lease, token, ttlMs) => {
        const held = this.leases.get(lease);
        if (held === undefined || held.token !== token || held.until <= Date.now()) {
          return Promise.resolve(false);
        }
        held.until = Date.now() + ttlMs;
        return Promise.resolve(true);
      },
      release: (lease, token) => {
        if (this.leases.get(lease)?.token === token) this.leases.delete(lease);
        return Promise.resolve();
      },
      replicas: (): Promise<TaskReplica[]> =>
        Promise.resolve(
          [...this.declared].map(([id, tasks]) =>
            tasks === undefined ? { replicaId: id } : { replicaId: id, declares: { tasks } },
          ),
        ),
    };
  }

  holder(lease: string): string | undefined {
    const held = this.leases.get(lease);
    return held !== undefined && held.until > Date.now() ? held.holder : undefined;
  }
}
