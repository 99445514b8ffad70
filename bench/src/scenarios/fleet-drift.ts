import { startRedisServer } from '@keel/testing';
import { Replica } from '../harness/replica.js';
import type { Row } from '../harness/result.js';
import { quantile, summarize } from '../stats.js';
import { now, type DriftRun } from './jobs-protocol.js';

/**
 * Scenario 7: a `@Task({ every: '1s', fleet: 'once' })` on `bullmqFleet()` in `replicas`
 * replica processes for `durationS` seconds, on a private redis-server. Each run records the
 * due time BullMQ's job scheduler gave it, when the replica's connection got it, and when the
 * task's method began (after the hand-off to the replica's own task queue). Reported: due →
 * start drift (p50/p99/max, split into engine and hand-off), duplicates (a due time run twice),
 * missed slots (a due time between the first and the last that never ran), overlaps (a run
 * starting before the previous one ended, on any replica) and runs per replica.
 */
export interface DriftArgs {
  durationS?: number;
  /** Window of the raw BullMQ baseline. Default: min(durationS, 60). */
  rawS?: number;
  replicas?: number;
}

export interface DriftSpread {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** What one window of one contender showed. */
export interface DriftFigures {
  /** Runs whose due time fell in the window (all replicas up). */
  readonly runs: number;
  /** Slots from the first to the last due time of the window. */
  readonly slots: number;
  readonly duplicates: number;
  readonly missed: number;
  readonly overlaps: number;
  /** Due → start of the task's method (raw: of the processor), ms. */
  readonly driftMs: DriftSpread;
  /** Due → BullMQ handed the due time to a replica (Keel: after the task's fleet lease), ms. */
  readonly engineMs: DriftSpread;
  /** That → the method began (the replica's task queue), ms. */
  readonly handoffMs: DriftSpread;
  readonly perReplica: Record<string, number>;
  /** Every drift sample, ms (for the table's median and spread). */
  readonly samples: number[];
}

export const DRIFT_CONTENDERS = ['keel', 'raw bullmq'] as const;
export type DriftContender = (typeof DRIFT_CONTENDERS)[number];

export interface DriftResult {
  readonly skipped?: string;
  readonly replicas: number;
  readonly windows: Partial<Record<DriftContender, DriftFigures & { readonly durationS: number }>>;
}

function spread(values: number[]): DriftSpread {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return { p50: NaN, p99: NaN, max: NaN };
  return {
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1]!,
  };
}

const EVERY_MS = 1000;

/** The figures of a set of runs of an every-1s task within [from, to] (due times). */
export function driftFigures(all: readonly DriftRun[], from: number, to: number): DriftFigures {
  const runs = all.filter((r) => r.dueAt >= from && r.dueAt <= to);
  const dues = [...new Set(runs.map((r) => r.dueAt))].sort((a, b) => a - b);
  const slots =
    dues.length === 0 ? 0 : Math.round((dues[dues.length - 1]! - dues[0]!) / EVERY_MS) + 1;
  const byStart = [...runs].sort((a, b) => a.start - b.start);
  let overlaps = 0;
  for (let i = 1; i < byStart.length; i++)
    if (byStart[i]!.start < byStart[i - 1]!.end) overlaps += 1;
  const perReplica: Record<string, number> = {};
  for (const r of runs) perReplica[r.replicaId] = (perReplica[r.replicaId] ?? 0) + 1;
  const samples = runs.map((r) => r.start - r.dueAt);
  return {
    runs: runs.length,
    slots,
    duplicates: runs.length - dues.length,
    missed: slots - dues.length,
    overlaps,
    driftMs: spread(samples),
    engineMs: spread(runs.map((r) => r.pickedAt - r.dueAt)),
    handoffMs: spread(runs.map((r) => r.start - r.pickedAt)),
    perReplica,
    samples,
  };
}

async function driftWindow(
  port: number,
  contender: DriftContender,
  count: number,
  durationS: number,
  log: (line: string) => void,
): Promise<DriftFigures> {
  const service = contender === 'keel' ? 'drift' : 'drift-raw';
  const replicas = Array.from(
    { length: count },
    (_, i) =>
      new Replica(`${contender} drift replica ${i}`, {
        mode: contender === 'keel' ? 'drift' : 'drift-raw',
        upsert: i === 0,
        port,
        service,
        replicaId: `r${i}`,
      }),
  );
  try {
    await Promise.all(replicas.map((r) => r.next('ready', 60_000)));
    // The window opens with every replica up; the first due time after it is the first slot.
    const from = now();
    log(`drift ${contender}: ${count} replicas up, measuring ${durationS} s`);
    await new Promise((resolve) => setTimeout(resolve, durationS * 1000));
    // Due times up to one period before the stop: the last one may still be starting.
    const to = now() - EVERY_MS;
    await Promise.all(replicas.map((r) => r.stop(30_000)));
    const reports = await Promise.all(replicas.map((r) => r.next('drift', 5_000)));
    return driftFigures(
      reports.flatMap((m) => m.runs),
      from,
      to,
    );
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
  }
}

export async function driftScenario(
  args: DriftArgs = {},
  log: (line: string) => void = () => undefined,
): Promise<DriftResult> {
  const durationS = args.durationS ?? 30;
  const rawS = args.rawS ?? Math.min(durationS, 60);
  const count = args.replicas ?? 3;
  let redis;
  try {
    redis = await startRedisServer();
  } catch (err) {
    return { skipped: `no redis-server: ${String(err)}`, replicas: count, windows: {} };
  }
  try {
    const keel = await driftWindow(redis.port, 'keel', count, durationS, log);
    const raw = await driftWindow(redis.port, 'raw bullmq', count, rawS, log);
    return {
      replicas: count,
      windows: { keel: { durationS, ...keel }, 'raw bullmq': { durationS: rawS, ...raw } },
    };
  } finally {
    await redis.stop();
  }
}

/** Rows per contender: due → start over all runs (median and spread), its p99 and max. */
export function driftRows(result: DriftResult): Row[] {
  const rows: Row[] = [];
  const keel = result.windows.keel;
  if (result.skipped !== undefined || keel === undefined) return rows;
  const base = `fleet task every 1s, ${result.replicas} replicas, ${keel.durationS} s, due→start`;
  for (const contender of DRIFT_CONTENDERS) {
    const w = result.windows[contender];
    if (w === undefined || w.samples.length === 0) continue;
    const { samples, ...details } = w;
    rows.push(
      { scenario: base, contender, unit: 'ms', summary: summarize(samples), details },
      { scenario: `${base} p99`, contender, unit: 'ms', summary: summarize([w.driftMs.p99]) },
      { scenario: `${base} max`, contender, unit: 'ms', summary: summarize([w.driftMs.max]) },
    );
  }
  return rows;
}
