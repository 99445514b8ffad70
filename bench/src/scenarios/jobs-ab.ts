/**
 * Jobs A/B in one process: a kernel on `bullmqFleet()` with one `@Job` module against a raw
 * BullMQ `Queue` + `Worker` with the same options (`raw-bullmq.ts`), each on its
 * own key prefix of one private redis-server. Rounds of `jobs` jobs (enqueued `batch` at a
 * time while the consumer runs) alternate the contenders (ABBA); CPU per job is this
 * process's `process.cpuUsage()` over a round, and the Keel ÷ raw ratio is taken per pair of
 * rounds. One process and no IPC: the sharpest CPU comparison on a shared machine (the
 * replica scenario adds fork, IPC and scheduling noise), and the loop to profile:
 * `node --cpu-prof bench/dist/scenarios/jobs-ab.js [rounds] [jobs] [concurrency]`.
 */
import { pino } from 'pino';
import { Job, Kernel, Module, ModuleContext } from '@keel/core';
import { bullmqFleet } from '@keel/bullmq';
import { startRedisServer } from '@keel/testing';
import { Redis } from 'ioredis';
import { quantile } from '../stats.js';
import { rawJobs, type Payload } from './raw-bullmq.js';

export interface JobsAbArgs {
  /** Pairs of rounds. Default 8. */
  rounds?: number;
  /** Jobs per round. Default 2000. */
  jobs?: number;
  /** Handler concurrency of both. Default 10. */
  concurrency?: number;
  /** Jobs enqueued at a time. Default 100. */
  batch?: number;
}

export interface JobsAbResult {
  readonly skipped?: string;
  readonly concurrency: number;
  readonly jobs: number;
  /** CPU µs per job of each round, in round order. */
  readonly keelUs: number[];
  readonly rawUs: number[];
  /** Keel ÷ raw per pair of rounds. */
  readonly ratios: number[];
}

/** Counts handler starts; resolves `done` when `target` is reached. */
class Starts {
  private count = 0;
  private target = Infinity;
  private resolve: (() => void) | undefined;

  expect(target: number): Promise<void> {
    this.count = 0;
    this.target = target;
    return new Promise<void>((resolve) => (this.resolve = resolve));
  }

  started(): void {
    if (++this.count === this.target) this.resolve?.();
  }
}

interface Contender {
  readonly name: 'keel' | 'raw';
  readonly starts: Starts;
  enqueue(data: Payload): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * `KEEL_BENCH_SLOW=1` (for runs under valgrind, ~50× slower): a 60 s command timeout, so a
 * reply late only because of the instrumentation does not fail the run, and queue counts
 * refreshed hourly, not each second (that work is per second, not per job, and would be
 * counted 50× over). Neither changes the work per job.
 */
const SLOW =
  process.env.KEEL_BENCH_SLOW === '1' ? { commandTimeout: '60s', statsInterval: '1h' } : {};

async function keel(port: number, concurrency: number): Promise<Contender> {
  const starts = new Starts();
  let ctx: ModuleContext | undefined;
  @Module({ name: 'bench' })
  class BenchJobs {
    constructor(c: ModuleContext) {
      ctx = c;
    }
    @Job({ queue: 'q', concurrency })
    run(_data: Payload): void {
      starts.started();
    }
  }
  const kernel = Kernel.create({
    modules: [BenchJobs],
    logger: pino({ level: 'silent' }),
    fleet: bullmqFleet({ url: `redis://127.0.0.1:${port}`, service: 'ab-keel', ...SLOW }),
  });
  await kernel.start();
  const context = ctx;
  if (context === undefined) throw new Error('the bench module was not constructed');
  return {
    name: 'keel',
    starts,
    enqueue: (data) => context.fleet.enqueue('q', data),
    close: () => kernel.shutdown(),
  };
}

async function raw(port: number, concurrency: number): Promise<Contender> {
  const starts = new Starts();
  const jobs = await rawJobs(port, 'keel:ab-raw:bull', concurrency, () => starts.started());
  return { name: 'raw', starts, enqueue: (data) => jobs.enqueue(data), close: () => jobs.close() };
}

/** One round: CPU µs per job of this process while `jobs` jobs are enqueued and started. */
async function round(c: Contender, jobs: number, batch: number, phase: number): Promise<number> {
  const done = c.starts.expect(jobs);
  const before = process.cpuUsage();
  for (let i = 0; i < jobs; i += batch) {
    const adds: Promise<unknown>[] = [];
    for (let k = i; k < Math.min(jobs, i + batch); k++)
      adds.push(c.enqueue({ p: phase, t: performance.now() }));
    await Promise.all(adds);
  }
  await done;
  const used = process.cpuUsage(before);
  return (used.user + used.system) / jobs;
}

/** Runs the A/B loop; skipped (with the reason) when no redis-server can start. */
export async function runJobsAb(args: JobsAbArgs = {}): Promise<JobsAbResult> {
  const rounds = args.rounds ?? 8;
  const jobs = args.jobs ?? 2000;
  const concurrency = args.concurrency ?? 10;
  const batch = args.batch ?? 100;
  const empty = { concurrency, jobs, keelUs: [], rawUs: [], ratios: [] };
  let server;
  try {
    server = await startRedisServer();
  } catch (err) {
    return { ...empty, skipped: `no redis-server: ${(err as Error).message.split('\n')[0]}` };
  }
  const contenders: Contender[] = [];
  try {
    contenders.push(await keel(server.port, concurrency), await raw(server.port, concurrency));
    const [k, r] = contenders as [Contender, Contender];
    // Warm-up (JIT, scripts loaded, connections settled): dropped.
    await round(k, Math.min(jobs, 500), batch, -1);
    await round(r, Math.min(jobs, 500), batch, -1);
    const keelUs: number[] = [];
    const rawUs: number[] = [];
    for (let i = 0; i < rounds; i++) {
      // ABBA: who goes first alternates, so drift within a pair hits both.
      const order = i % 2 === 0 ? [k, r] : [r, k];
      for (const c of order) (c === k ? keelUs : rawUs).push(await round(c, jobs, batch, i));
    }
    return { concurrency, jobs, keelUs, rawUs, ratios: keelUs.map((us, i) => us / rawUs[i]!) };
  } finally {
    for (const c of contenders) await c.close();
    await server.stop();
  }
}

const median = (xs: readonly number[]): number =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

/** One line of figures: medians and the ratio's range. */
export function describeJobsAb(result: JobsAbResult): string {
  if (result.skipped !== undefined) return `jobs-ab skipped: ${result.skipped}`;
  const { ratios } = result;
  return (
    `jobs-ab c=${result.concurrency}, ${result.jobs} jobs/round, ${ratios.length} pairs: ` +
    `CPU µs/job keel ${median(result.keelUs).toFixed(1)} / raw ${median(result.rawUs).toFixed(1)}; ` +
    `keel ÷ raw per pair ${median(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`
  );
}

/**
 * One contender alone: 500 warm-up jobs, then `jobs` jobs; for instruction counts that do not
 * depend on machine load (`valgrind --tool=callgrind node jobs-ab.js single keel 1000`, and
 * again with more jobs: the difference over the difference in jobs is per job).
 */
export async function runJobsAbSingle(
  which: 'keel' | 'raw',
  jobs: number,
  concurrency = 10,
): Promise<number> {
  const server = await startRedisServer();
  try {
    const c = await (which === 'keel' ? keel : raw)(server.port, concurrency);
    const admin = new Redis(server.port, '127.0.0.1');
    try {
      await round(c, 500, 100, -1);
      await admin.config('RESETSTAT');
      const us = await round(c, jobs, 100, 0);
      // Redis commands per job: both contenders should send the same ones.
      const stats = String(await admin.info('commandstats'));
      const perJob = [...stats.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)]
        .filter(([, name]) => name !== 'info' && name !== 'config')
        .map(([, name, calls]) => `${name} ${(Number(calls) / jobs).toFixed(2)}`);
      console.log(`${which}: Redis commands per job: ${perJob.join(', ')}`);
      return us;
    } finally {
      admin.disconnect();
      await c.close();
    }
  } finally {
    await server.stop();
  }
}

/**
 * One contender idle: 500 warm-up jobs, 10 s to settle, then this process's CPU over
 * `seconds` with no jobs, in ms per second: the timers' cost, charged to every job
 * (`node jobs-ab.js idle keel 20`; with `--cpu-prof` to see what runs).
 */
export async function runJobsAbIdle(which: 'keel' | 'raw', seconds: number): Promise<number> {
  const server = await startRedisServer();
  try {
    const c = await (which === 'keel' ? keel : raw)(server.port, 10);
    const admin = new Redis(server.port, '127.0.0.1');
    try {
      await round(c, 500, 100, -1);
      // Past the GCs V8's memory reducer runs after a burst: they are not the idle cost.
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      await admin.config('RESETSTAT');
      const before = process.cpuUsage();
      const t0 = performance.now();
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      const used = process.cpuUsage(before);
      const elapsedMs = performance.now() - t0;
      // What it asks Redis while idle, per second.
      const stats = String(await admin.info('commandstats'));
      const perS = [...stats.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)]
        .filter(([, name]) => name !== 'info' && name !== 'config')
        .map(([, name, calls]) => `${name} ${((Number(calls) * 1000) / elapsedMs).toFixed(2)}`);
      console.log(`${which} idle: Redis commands per s: ${perS.join(', ')}`);
      return (used.user + used.system) / elapsedMs;
    } finally {
      admin.disconnect();
      await c.close();
    }
  } finally {
    await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv[2] === 'single') {
  const [which, jobs, concurrency] = process.argv.slice(3);
  const us = await runJobsAbSingle(
    which === 'raw' ? 'raw' : 'keel',
    Number(jobs ?? 1000),
    Number(concurrency ?? 10),
  );
  console.log(`${which}: ${us.toFixed(1)} CPU µs/job`);
} else if (import.meta.url === `file://${process.argv[1]}` && process.argv[2] === 'idle') {
  const [which, seconds] = process.argv.slice(3);
  const msPerS = await runJobsAbIdle(which === 'raw' ? 'raw' : 'keel', Number(seconds ?? 20));
  console.log(`${which} idle: ${msPerS.toFixed(2)} CPU ms/s`);
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const [rounds, jobs, concurrency] = process.argv.slice(2).map(Number);
  const result = await runJobsAb({
    ...(rounds ? { rounds } : {}),
    ...(jobs ? { jobs } : {}),
    ...(concurrency ? { concurrency } : {}),
  });
  console.log(describeJobsAb(result));
  console.log(JSON.stringify(result));
}
