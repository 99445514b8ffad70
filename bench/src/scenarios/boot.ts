import type { BootContender, CallCounter, DefinedGraph } from '../contenders/contender.js';
import { CALLS_PER_MODULE } from '../contenders/contender.js';
import { dagFingerprint, DEFAULT_SEED, generateDag } from '../dag.js';
import { runInChild } from '../harness/child.js';
import type { Row } from '../harness/result.js';
import { canCollectGarbage, retainedHeap, summarize } from '../stats.js';

/**
 * Scenario 1: boot + shutdown of N modules with trivial lifecycle methods, on the shared
 * seeded DAG. Warm: repeats in one process (classes defined once). Cold: a fresh process per
 * sample, timed from before the framework's import to after shutdown.
 */
export const BOOT_CONTENDERS = ['keel', 'nestjs', 'tsyringe', 'plain'] as const;
export type BootContenderName = (typeof BOOT_CONTENDERS)[number];

/** Imported lazily: a cold sample's clock starts before its framework is imported. */
export async function loadContender(name: BootContenderName): Promise<BootContender> {
  switch (name) {
    case 'keel':
      return (await import('../contenders/keel.js')).keel;
    case 'nestjs':
      return (await import('../contenders/nestjs.js')).nestjs;
    case 'tsyringe':
      return (await import('../contenders/tsyringe.js')).tsyringe;
    case 'plain':
      return (await import('../contenders/plain.js')).plain;
  }
}

/** One boot + shutdown, timed, with a check that every lifecycle method ran exactly once. */
export async function bootAndShutdown(
  graph: DefinedGraph,
  counter: CallCounter,
  n: number,
): Promise<{ bootMs: number; shutdownMs: number }> {
  counter.calls = 0;
  const t0 = performance.now();
  const app = await graph.boot();
  const t1 = performance.now();
  await app.shutdown();
  const t2 = performance.now();
  if (counter.calls !== n * CALLS_PER_MODULE) {
    throw new Error(`expected ${n * CALLS_PER_MODULE} lifecycle calls, got ${counter.calls}`);
  }
  return { bootMs: t1 - t0, shutdownMs: t2 - t1 };
}

export interface WarmArgs {
  contender: BootContenderName;
  n: number;
  iterations: number;
  warmup: number;
  seed?: number;
}

export interface WarmResult {
  /** boot + shutdown, ms, one per iteration. */
  totalMs: number[];
  bootMs: number[];
  shutdownMs: number[];
  /** Heap retained by one booted app (after GC, while online), bytes; null without --expose-gc. */
  onlineHeapBytes: number | null;
  fingerprint: string;
}

/** Warm: define the graph once, then boot + shutdown `iterations` times in this process. */
export async function runWarm(args: WarmArgs): Promise<WarmResult> {
  const dag = generateDag(args.n, args.seed ?? DEFAULT_SEED);
  const contender = await loadContender(args.contender);
  const counter: CallCounter = { calls: 0 };
  const graph = contender.define(dag, counter);
  for (let i = 0; i < args.warmup; i++) await bootAndShutdown(graph, counter, args.n);
  const result: WarmResult = {
    totalMs: [],
    bootMs: [],
    shutdownMs: [],
    onlineHeapBytes: null,
    fingerprint: dagFingerprint(dag),
  };
  for (let i = 0; i < args.iterations; i++) {
    const { bootMs, shutdownMs } = await bootAndShutdown(graph, counter, args.n);
    result.totalMs.push(bootMs + shutdownMs);
    result.bootMs.push(bootMs);
    result.shutdownMs.push(shutdownMs);
  }
  if (canCollectGarbage()) {
    const before = retainedHeap();
    const app = await graph.boot();
    result.onlineHeapBytes = Math.max(0, retainedHeap() - before);
    await app.shutdown();
  }
  return result;
}

export interface ColdArgs {
  contender: BootContenderName;
  n: number;
  seed?: number;
}

export interface ColdResult {
  /** import + define + boot + shutdown, ms. */
  totalMs: number;
  importMs: number;
  defineMs: number;
  bootMs: number;
  shutdownMs: number;
  /** Peak resident set of the whole process, bytes. */
  maxRssBytes: number;
}

/** Cold: meant for a fresh process; the clock starts before the framework is imported. */
export async function runCold(args: ColdArgs): Promise<ColdResult> {
  const dag = generateDag(args.n, args.seed ?? DEFAULT_SEED);
  const t0 = performance.now();
  const contender = await loadContender(args.contender);
  const t1 = performance.now();
  const counter: CallCounter = { calls: 0 };
  const graph = contender.define(dag, counter);
  const t2 = performance.now();
  const { bootMs, shutdownMs } = await bootAndShutdown(graph, counter, args.n);
  const t3 = performance.now();
  return {
    totalMs: t3 - t0,
    importMs: t1 - t0,
    defineMs: t2 - t1,
    bootMs,
    shutdownMs,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

/** How many samples per N; sized so the whole bench stays well under 5 minutes on 2 cores. */
export interface BootPlan {
  sizes: number[];
  contenders: readonly BootContenderName[];
  warmIterations: (n: number, contender: BootContenderName) => number;
  coldSamples: (n: number, contender: BootContenderName) => number;
}

export const DEFAULT_BOOT_PLAN: BootPlan = {
  sizes: [100, 1_000, 10_000],
  contenders: BOOT_CONTENDERS,
  warmIterations: (n, c) => (n <= 100 ? 40 : n <= 1_000 ? 15 : c === 'nestjs' ? 3 : 7),
  coldSamples: (n, c) => (n <= 1_000 ? 5 : c === 'nestjs' ? 2 : 3),
};

/** Runs the whole boot scenario, one child process per warm series and per cold sample. */
export async function bootScenario(
  plan: BootPlan = DEFAULT_BOOT_PLAN,
  log: (line: string) => void = () => {},
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const n of plan.sizes) {
    for (const contender of plan.contenders) {
      const iterations = plan.warmIterations(n, contender);
      const warmup = Math.max(1, Math.min(3, Math.ceil(iterations / 5)));
      const warm = await runInChild<WarmResult>({
        scenario: 'boot-warm',
        args: { contender, n, iterations, warmup },
      });
      const w = warm.result;
      rows.push({
        scenario: `boot+shutdown warm N=${n}`,
        contender,
        unit: 'ms',
        summary: summarize(w.totalMs),
        details: {
          bootMs: summarize(w.bootMs).median,
          shutdownMs: summarize(w.shutdownMs).median,
          onlineHeapBytes: w.onlineHeapBytes,
          graph: w.fingerprint,
        },
      });
      if (w.onlineHeapBytes !== null) {
        rows.push({
          scenario: `heap retained by a booted app N=${n}`,
          contender,
          unit: 'MB',
          summary: summarize([w.onlineHeapBytes / 2 ** 20]),
        });
      }
      log(`  boot warm  N=${n} ${contender}: ${summarize(w.totalMs).median.toFixed(2)} ms`);

      const cold: ColdResult[] = [];
      for (let i = 0; i < plan.coldSamples(n, contender); i++) {
        cold.push((await runInChild<ColdResult>({ scenario: 'boot-cold', args: { contender, n } })).result);
      }
      const pick = (k: keyof ColdResult): number => summarize(cold.map((c) => c[k])).median;
      rows.push({
        scenario: `boot+shutdown cold N=${n}`,
        contender,
        unit: 'ms',
        summary: summarize(cold.map((c) => c.totalMs)),
        details: {
          importMs: pick('importMs'),
          defineMs: pick('defineMs'),
          bootMs: pick('bootMs'),
          shutdownMs: pick('shutdownMs'),
        },
      });
      rows.push({
        scenario: `peak RSS, cold process N=${n}`,
        contender,
        unit: 'MB',
        summary: summarize(cold.map((c) => c.maxRssBytes / 2 ** 20)),
      });
      log(`  boot cold  N=${n} ${contender}: ${pick('totalMs').toFixed(1)} ms (import ${pick('importMs').toFixed(1)} ms)`);
    }
  }
  return rows;
}
