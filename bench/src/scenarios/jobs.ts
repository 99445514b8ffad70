import { pino } from 'pino';
import { Queue, Worker } from 'bullmq';
import { systemClock } from '@keel/core';
import { BullmqJobs } from '@keel/bullmq';
import { startRedisServer } from '@keel/testing';
import type { Row } from '../harness/result.js';
import { quantile, summarize } from '../stats.js';

/**
 * Scenario 6: durable jobs through `BullmqJobs` (what `@Job` runs on) against a raw BullMQ
 * `Worker` + `Queue.add` with the same job options, on a private redis-server. Per round and
 * contender: `jobs` trivial jobs enqueued 100 at a time while the consumer runs; throughput
 * is jobs ÷ (last job done − first enqueue), latency is enqueue call → handler start.
 * Contenders alternate within each round so drift of a shared machine hits both.
 */
export interface JobsArgs {
  jobs?: number;
  rounds?: number;
  concurrencies?: number[];
}

export const JOBS_CONTENDERS = ['keel', 'raw bullmq'] as const;
export type JobsContender = (typeof JOBS_CONTENDERS)[number];

interface Sample {
  readonly jobsPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Samples per concurrency and contender; `skipped` when no redis-server could start. */
export interface JobsResult {
  readonly skipped?: string;
  readonly samples: Record<string, Record<JobsContender, Sample[]>>;
}

const BATCH = 100;
const JOB_OPTS = { attempts: 1, backoff: { type: 'exponential', delay: 1000 } } as const;

async function drive(
  n: number,
  add: (i: number) => Promise<unknown>,
  startedAt: Float64Array,
  done: Promise<void>,
): Promise<Sample> {
  const enqueuedAt = new Float64Array(n);
  const t0 = performance.now();
  for (let i = 0; i < n; i += BATCH) {
    const adds: Promise<unknown>[] = [];
    for (let k = i; k < Math.min(n, i + BATCH); k++) {
      enqueuedAt[k] = performance.now();
      adds.push(add(k));
    }
    await Promise.all(adds);
  }
  await done;
  const elapsed = performance.now() - t0;
  const latencies = Array.from(startedAt, (s, i) => s - enqueuedAt[i]!).sort((a, b) => a - b);
  return {
    jobsPerS: (n * 1000) / elapsed,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
  };
}

function counter(n: number): {
  startedAt: Float64Array;
  done: Promise<void>;
  start(i: number): void;
} {
  const startedAt = new Float64Array(n);
  let left = n;
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  return {
    startedAt,
    done,
    start(i: number) {
      startedAt[i] = performance.now();
      if (--left === 0) finish();
    },
  };
}

export async function jobsScenario(args: JobsArgs = {}): Promise<JobsResult> {
  const n = args.jobs ?? 2000;
  const rounds = args.rounds ?? 3;
  const concurrencies = args.concurrencies ?? [1, 10, 50];
  let redis;
  try {
    redis = await startRedisServer();
  } catch (err) {
    return { skipped: `no redis-server: ${String(err)}`, samples: {} };
  }
  const connection = { host: '127.0.0.1', port: redis.port };
  const logger = pino({ level: 'silent' });
  const samples: JobsResult['samples'] = {};
  let seq = 0;
  try {
    for (const c of concurrencies) {
      const perC = (samples[String(c)] = { keel: [], 'raw bullmq': [] } as Record<
        JobsContender,
        Sample[]
      >);
      // Round 0 warms up (JIT, Lua script loading) and is dropped.
      for (let round = 0; round <= rounds; round++) {
        const order = round % 2 === 0 ? JOBS_CONTENDERS : [...JOBS_CONTENDERS].reverse();
        for (const contender of order) {
          seq += 1;
          const service = `bench${seq}`;
          const track = counter(n);
          let sample: Sample;
          if (contender === 'keel') {
            const jobs = new BullmqJobs({
              connection,
              service,
              replicaId: 'bench',
              clock: systemClock,
              logger,
            });
            const consumer = jobs.consume(
              'q',
              {
                concurrency: c,
                attempts: 1,
                backoff: { type: 'exponential', delayMs: 1000 },
                timeoutMs: undefined,
              },
              (job) => {
                track.start(Number(job.data));
                return Promise.resolve();
              },
            );
            await jobs.declareQueue('q', {
              attempts: 1,
              backoff: { type: 'exponential', delayMs: 1000 },
            });
            sample = await drive(
              n,
              (i) => jobs.enqueue('q', String(i)),
              track.startedAt,
              track.done,
            );
            await consumer.close(1000);
            await jobs.close();
          } else {
            const prefix = `keel:${service}:bull`;
            const queue = new Queue('q', {
              connection: { ...connection, enableOfflineQueue: false },
              prefix,
            });
            const worker = new Worker(
              'q',
              (job) => {
                track.start(job.data as number);
                return Promise.resolve();
              },
              {
                connection: { ...connection, maxRetriesPerRequest: null },
                prefix,
                concurrency: c,
                removeOnComplete: { count: 1000 },
                removeOnFail: { count: 5000 },
              },
            );
            await queue.waitUntilReady();
            sample = await drive(
              n,
              (i) =>
                queue.add('q', i, {
                  ...JOB_OPTS,
                  removeOnComplete: { count: 1000 },
                  removeOnFail: { count: 5000 },
                }),
              track.startedAt,
              track.done,
            );
            await worker.close();
            await queue.close();
          }
          if (round > 0) perC[contender].push(sample);
        }
      }
    }
  } finally {
    await redis.stop();
  }
  return { samples };
}

/** Rows: jobs/s (higher is better), p50 and p99 enqueue→start per concurrency. */
export function jobsRows(n: number, result: JobsResult): Row[] {
  const rows: Row[] = [];
  for (const [c, perC] of Object.entries(result.samples)) {
    for (const contender of JOBS_CONTENDERS) {
      const s = perC[contender];
      if (s.length === 0) continue;
      const base = `jobs c=${c}, ${n.toLocaleString('en-US')} jobs`;
      rows.push(
        {
          scenario: `${base}, throughput`,
          contender,
          unit: 'ops/s',
          higherIsBetter: true,
          summary: summarize(s.map((x) => x.jobsPerS)),
        },
        {
          scenario: `${base}, enqueue→start p50`,
          contender,
          unit: 'ms',
          summary: summarize(s.map((x) => x.p50Ms)),
        },
        {
          scenario: `${base}, enqueue→start p99`,
          contender,
          unit: 'ms',
          summary: summarize(s.map((x) => x.p99Ms)),
        },
      );
    }
  }
  return rows;
}
