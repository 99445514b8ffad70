import { Queue } from 'bullmq';
import { startRedisServer } from '@keel/testing';
import { Replica } from '../harness/replica.js';
import type { Row } from '../harness/result.js';
import { quantile, summarize } from '../stats.js';
import type { JobsContender, PhaseRecord } from './jobs-protocol.js';

/**
 * Scenario 6: durable jobs through `@Job` + `ctx.fleet.enqueue` on `bullmqFleet()` against a
 * raw BullMQ `Queue.add` + `Worker` with the same payloads, job options (attempts, backoff,
 * removeOnComplete/Fail) and worker settings (concurrency, lockDuration, stalledInterval,
 * maxStalledCount, connection options), on one private redis-server.
 *
 * A trial forks `processes` replica processes of one contender; each replica both enqueues
 * its share and consumes (any replica may run any job). Phases: a warm-up burst (dropped),
 * a **burst** of `jobs` enqueued 100 at a time per replica (throughput = jobs ÷ (last start −
 * first enqueue), over all replicas), then **paced** jobs at `rateHz` in total, well below
 * capacity (enqueue → handler start p50/p99 of a quiet queue). Trials alternate contenders
 * (ABBA order over rounds, the configurations interleaved), so drift of a shared machine hits
 * both; ratios are taken per round and summarised by their median and range.
 */
export interface JobsArgs {
  /** Jobs of the burst phase, in total over the replicas. Default 1000. */
  jobs?: number;
  /** Paced jobs, in total. Default 200. */
  paced?: number;
  /** Rate of the paced phase, jobs/s in total. Default 100. */
  rateHz?: number;
  /** Warm-up jobs per trial (not measured). Default 200. */
  warmup?: number;
  rounds?: number;
  concurrencies?: number[];
  processes?: number[];
}

export const JOBS_CONTENDERS = ['keel', 'raw bullmq'] as const satisfies readonly JobsContender[];

/** One trial of one contender. */
export interface JobsSample {
  readonly jobsPerS: number;
  /** Enqueue → start of the paced phase. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Enqueue → start during the burst (mostly the wait behind the backlog). */
  readonly burstP50Ms: number;
  /**
   * CPU time per job of the burst, µs: of the replica processes (enqueue + consume), and of
   * redis-server. Unlike wall time, barely moved by other load on a shared machine.
   */
  readonly nodeCpuUs: number;
  readonly redisCpuUs: number;
  /** Redis commands per job of the burst (`INFO commandstats`, inside scripts too). */
  readonly redisCallsPerJob: number;
  /** The same per command name (those above 0.005 per job). */
  readonly redisCalls: Record<string, number>;
}

/** redis-server's user + system CPU time so far, µs (`INFO cpu`). */
export type RedisCpu = () => Promise<number>;

/** Calls per Redis command so far (`INFO commandstats`), the probe's own left out. */
export type RedisCalls = () => Promise<Map<string, number>>;

function redisCpuProbe(port: number): {
  read: RedisCpu;
  calls: RedisCalls;
  close(): Promise<void>;
} {
  const probe = new Queue('keel-bench-probe', {
    connection: { host: '127.0.0.1', port, enableOfflineQueue: true },
  });
  return {
    async read() {
      const client = await probe.getBackend().client;
      const info = String(await client.runCommand('info', ['cpu']));
      const field = (name: string): number =>
        Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
      return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
    },
    async calls() {
      const client = await probe.getBackend().client;
      const info = String(await client.runCommand('info', ['commandstats']));
      const out = new Map<string, number>();
      for (const [, name, calls] of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm))
        if (name !== 'info') out.set(name!, Number(calls));
      return out;
    },
    close: () => probe.close(),
  };
}

async function nodeCpu(replicas: readonly Replica[]): Promise<number> {
  for (const r of replicas) r.send({ type: 'cpu' });
  const replies = await Promise.all(replicas.map((r) => r.next('cpu', 30_000)));
  return replies.reduce((sum, m) => sum + m.us, 0);
}

/** Samples per configuration (`c=10, 3 processes`) and contender, in round order. */
export interface JobsResult {
  readonly skipped?: string;
  readonly samples: Record<string, Record<JobsContender, JobsSample[]>>;
}

const BATCH = 100;
const PHASE_WARM = 0;
const PHASE_BURST = 1;
const PHASE_PACED = 2;

export function configName(c: number, processes: number): string {
  return `c=${c}, ${processes} process${processes === 1 ? '' : 'es'}`;
}

/** `n` split over `k` replicas, the remainder to the first ones. */
function shares(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}

async function phase(
  replicas: readonly Replica[],
  phaseNo: number,
  total: number,
  send: (r: Replica, n: number) => void,
  timeoutMs: number,
): Promise<void> {
  shares(total, replicas.length).forEach((n, i) => send(replicas[i]!, n));
  await Replica.until(
    replicas,
    `${total} jobs of phase ${phaseNo} to start`,
    () => replicas.reduce((sum, r) => sum + r.started(phaseNo), 0) >= total,
    timeoutMs,
  );
}

async function trial(
  port: number,
  redisCpu: RedisCpu,
  redisCalls: RedisCalls,
  seq: number,
  contender: JobsContender,
  concurrency: number,
  processes: number,
  a: Required<Omit<JobsArgs, 'rounds' | 'concurrencies' | 'processes'>>,
): Promise<JobsSample> {
  const service = `jobs${seq}`;
  const replicas = Array.from(
    { length: processes },
    (_, i) =>
      new Replica(`${contender} replica ${i}`, {
        mode: 'jobs',
        contender,
        port,
        service,
        replicaId: `r${i}`,
        concurrency,
      }),
  );
  try {
    await Promise.all(replicas.map((r) => r.next('ready', 60_000)));
    const burst = (phaseNo: number) => (r: Replica, n: number) =>
      r.send({ type: 'burst', phase: phaseNo, n, batch: BATCH });
    await phase(replicas, PHASE_WARM, a.warmup, burst(PHASE_WARM), 120_000);
    const [node0, redis0, calls0] = await Promise.all([
      nodeCpu(replicas),
      redisCpu(),
      redisCalls(),
    ]);
    await phase(replicas, PHASE_BURST, a.jobs, burst(PHASE_BURST), 300_000);
    const [node1, redis1, calls1] = await Promise.all([
      nodeCpu(replicas),
      redisCpu(),
      redisCalls(),
    ]);
    const perCommand: Record<string, number> = {};
    let callsPerJob = 0;
    for (const [name, n] of calls1) {
      const perJob = (n - (calls0.get(name) ?? 0)) / a.jobs;
      callsPerJob += perJob;
      if (perJob > 0.005) perCommand[name] = Math.round(perJob * 1000) / 1000;
    }
    const intervalMs = (1000 * processes) / a.rateHz;
    await phase(
      replicas,
      PHASE_PACED,
      a.paced,
      (r, n) => r.send({ type: 'paced', phase: PHASE_PACED, n, intervalMs }),
      60_000 + (a.paced / a.rateHz) * 2000,
    );
    for (const r of replicas) r.send({ type: 'report' });
    const reports = await Promise.all(replicas.map((r) => r.next('report', 30_000)));
    const of = (p: number): PhaseRecord[] => reports.map((m) => m.phases[p]).filter((x) => !!x);
    const burstRecs = of(PHASE_BURST);
    const first = Math.min(...burstRecs.map((x) => x.firstEnqueue).filter((t) => !Number.isNaN(t)));
    const last = Math.max(...burstRecs.map((x) => x.lastStart).filter((t) => !Number.isNaN(t)));
    const sorted = (recs: PhaseRecord[]): number[] =>
      recs.flatMap((x) => x.latencies).sort((x, y) => x - y);
    const paced = sorted(of(PHASE_PACED));
    return {
      jobsPerS: (a.jobs * 1000) / (last - first),
      p50Ms: quantile(paced, 0.5),
      p99Ms: quantile(paced, 0.99),
      burstP50Ms: quantile(sorted(burstRecs), 0.5),
      nodeCpuUs: (node1 - node0) / a.jobs,
      redisCpuUs: (redis1 - redis0) / a.jobs,
      redisCallsPerJob: callsPerJob,
      redisCalls: perCommand,
    };
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
  }
}

export async function jobsScenario(
  args: JobsArgs = {},
  log: (line: string) => void = () => undefined,
): Promise<JobsResult> {
  const a = {
    jobs: args.jobs ?? 1000,
    paced: args.paced ?? 200,
    rateHz: args.rateHz ?? 100,
    warmup: args.warmup ?? 200,
  };
  const rounds = args.rounds ?? 3;
  const configs = (args.concurrencies ?? [1, 10, 50]).flatMap((c) =>
    (args.processes ?? [1, 3]).map((p) => ({ c, p })),
  );
  let redis;
  try {
    redis = await startRedisServer();
  } catch (err) {
    return { skipped: `no redis-server: ${String(err)}`, samples: {} };
  }
  const probe = redisCpuProbe(redis.port);
  const samples: JobsResult['samples'] = {};
  for (const { c, p } of configs) samples[configName(c, p)] = { keel: [], 'raw bullmq': [] };
  let seq = 0;
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [k, { c, p }] of configs.entries()) {
        // ABBA over rounds, shifted per configuration: neither contender always goes first.
        const order = (round + k) % 2 === 0 ? JOBS_CONTENDERS : [...JOBS_CONTENDERS].reverse();
        for (const contender of order) {
          const sample = await trial(
            redis.port,
            probe.read,
            probe.calls,
            ++seq,
            contender,
            c,
            p,
            a,
          );
          samples[configName(c, p)]![contender].push(sample);
          log(
            `jobs round ${round + 1}/${rounds} ${configName(c, p)} ${contender}: ` +
              `${sample.jobsPerS.toFixed(0)} jobs/s, p50 ${sample.p50Ms.toFixed(2)} ms, p99 ${sample.p99Ms.toFixed(2)} ms, ` +
              `CPU/job node ${sample.nodeCpuUs.toFixed(0)} µs + redis ${sample.redisCpuUs.toFixed(0)} µs, ` +
              `Redis calls/job ${sample.redisCallsPerJob.toFixed(2)} ${JSON.stringify(sample.redisCalls)}`,
          );
        }
      }
    }
  } finally {
    await probe.close().catch(() => undefined);
    await redis.stop();
  }
  return { samples };
}

/** Keel ÷ raw per round (paired trials), for a figure of the samples. */
export function pairedRatios(
  perConfig: Record<JobsContender, JobsSample[]>,
  figure: (s: JobsSample) => number,
): number[] {
  const keel = perConfig.keel;
  const raw = perConfig['raw bullmq'];
  const n = Math.min(keel.length, raw.length);
  return Array.from({ length: n }, (_, i) => figure(keel[i]!) / figure(raw[i]!));
}

const FIGURES = [
  { name: 'throughput', unit: 'ops/s', higherIsBetter: true, of: (s: JobsSample) => s.jobsPerS },
  { name: 'enqueue→start p50 (paced)', unit: 'ms', of: (s: JobsSample) => s.p50Ms },
  { name: 'enqueue→start p99 (paced)', unit: 'ms', of: (s: JobsSample) => s.p99Ms },
  { name: 'node CPU per job', unit: 'us', of: (s: JobsSample) => s.nodeCpuUs },
  { name: 'redis CPU per job', unit: 'us', of: (s: JobsSample) => s.redisCpuUs },
] as const;

/**
 * Rows per configuration: throughput of the burst (higher is better) and paced enqueue→start
 * p50/p99. Keel's rows carry the per-round Keel ÷ raw ratios in `details.pairedRatios`.
 */
export function jobsRows(n: number, result: JobsResult): Row[] {
  const rows: Row[] = [];
  for (const [config, perC] of Object.entries(result.samples)) {
    for (const figure of FIGURES) {
      const scenario =
        figure.name === 'throughput'
          ? `jobs ${config}, throughput (${n.toLocaleString('en-US')} jobs)`
          : `jobs ${config}, ${figure.name}`;
      for (const contender of JOBS_CONTENDERS) {
        const s = perC[contender];
        if (s.length === 0) continue;
        rows.push({
          scenario,
          contender,
          unit: figure.unit,
          ...('higherIsBetter' in figure ? { higherIsBetter: true } : {}),
          summary: summarize(s.map(figure.of)),
          ...(contender === 'keel'
            ? { details: { pairedRatios: pairedRatios(perC, figure.of) } }
            : {}),
        });
      }
    }
  }
  return rows;
}
