import type { BootContender, CallCounter, DefinedGraph } from '../contenders/contender.js';
import { CALLS_PER_MODULE } from '../contenders/contender.js';
import { dagFingerprint, DEFAULT_SEED, generateDag } from '../dag.js';
import { runInChild } from '../harness/child.js';
import type { Row } from '../harness/result.js';
import { canCollectGarbage, settledHeap, summarize } from '../stats.js';

/**
 * Scenario 1: boot + shutdown of N modules with trivial lifecycle methods, on the shared
 * seeded DAG. Warm: repeats in one process (classes defined once). Cold: a fresh process per
 * sample, timed from before the framework's import to after shutdown.
 */
export const BOOT_CONTENDERS = ['keel', 'nestjs', 'nestjs-modules', 'tsyringe', 'plain'] as const;
export type BootContenderName = (typeof BOOT_CONTENDERS)[number];

/** Imported lazily: a cold sample's clock starts before its framework is imported. */
export async function loadContender(name: BootContenderName): Promise<BootContender> {
  switch (name) {
    case 'keel':
      return (await import('../contenders/keel.js')).keel;
    case 'nestjs':
      return (await import('../contenders/nestjs.js')).nestjs;
    case 'nestjs-modules':
      return (await import('../contenders/nestjs-modules.js')).nestjsModules;
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
  /** Warm-up boots: at least one, then more until `warmupMs` passed (at most 200). */
  warmupMs: number;
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
  // Until the JIT settled: small graphs need hundreds of boots before their timings do.
  const warmupEnd = performance.now() + args.warmupMs;
  for (let i = 0; i < 200 && (i === 0 || performance.now() < warmupEnd); i++) {
    await bootAndShutdown(graph, counter, args.n);
  }
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
    const before = await settledHeap();
    const app = await graph.boot();
    result.onlineHeapBytes = Math.max(0, (await settledHeap()) - before);
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
  /** Time spent warming up before each warm series. */
  warmupMs: number;
}

export const DEFAULT_BOOT_PLAN: BootPlan = {
  sizes: [100, 1_000, 10_000],
  contenders: BOOT_CONTENDERS,
  warmIterations: (n, c) => {
    const slow = c === 'nestjs-modules' ? 3 : c === 'nestjs' ? 2 : 1;
    if (n <= 100) return Math.round(60 / slow);
    if (n <= 1_000) return Math.round(21 / slow);
    return slow === 3 ? 2 : slow === 2 ? 3 : 7;
  },
  warmupMs: 1_000,
  coldSamples: (n, c) => {
    if (n <= 1_000) return c === 'nestjs-modules' ? 3 : 5;
    return c === 'nestjs-modules' ? 1 : c === 'nestjs' ? 2 : 3;
  },
};

/** Runs the whole boot scenario, one child process per warm series and per cold sample. */
export async function bootScenario(
  plan: BootPlan = DEFAULT_BOOT_PLAN,
  log: (line: string) => void = () => {},
): Promise<Row[]> {
  const rows: Row[] = [];
  const imports = new Map<BootContenderName, number[]>();
  for (const n of plan.sizes) {
    for (const contender of plan.contenders) {
      const iterations = plan.warmIterations(n, contender);
      const warm = await runInChild<WarmResult>({
        scenario: 'boot-warm',
        args: { contender, n, iterations, warmupMs: plan.warmupMs } satisfies WarmArgs,
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
      // Below ~1,000 modules the figure drowns in GC noise.
      if (w.onlineHeapBytes !== null && n >= 1_000) {
        rows.push({
          scenario: `heap retained by a booted app N=${n}`,
          contender,
          unit: 'MB',
          summary: summarize([w.onlineHeapBytes / 2 ** 20]),
        });
      }
      if (n === 1_000) {
        // Issue 19: ready (start resolved) and close (shutdown resolved) on their own.
        rows.push(
          {
            scenario: `boot warm N=${n}: ready`,
            contender,
            unit: 'ms',
            summary: summarize(w.bootMs),
          },
          {
            scenario: `boot warm N=${n}: close`,
            contender,
            unit: 'ms',
            summary: summarize(w.shutdownMs),
          },
        );
      }
      log(`  boot warm  N=${n} ${contender}: ${summarize(w.totalMs).median.toFixed(2)} ms`);

      const cold: ColdResult[] = [];
      for (let i = 0; i < plan.coldSamples(n, contender); i++) {
        cold.push(
          (await runInChild<ColdResult>({ scenario: 'boot-cold', args: { contender, n } })).result,
        );
      }
      const pick = (k: keyof ColdResult): number => summarize(cold.map((c) => c[k])).median;
      imports.set(contender, [...(imports.get(contender) ?? []), ...cold.map((c) => c.importMs)]);
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
      if (n === 1_000) {
        // Issue 19: cold ready = import + define + start, in a fresh process.
        rows.push({
          scenario: `boot cold N=${n}: ready`,
          contender,
          unit: 'ms',
          summary: summarize(cold.map((c) => c.importMs + c.defineMs + c.bootMs)),
        });
      }
      rows.push({
        scenario: `peak RSS, cold process N=${n}`,
        contender,
        unit: 'MB',
        summary: summarize(cold.map((c) => c.maxRssBytes / 2 ** 20)),
      });
      log(
        `  boot cold  N=${n} ${contender}: ${pick('totalMs').toFixed(1)} ms (import ${pick('importMs').toFixed(1)} ms)`,
      );
    }
  }
  for (const [contender, samples] of imports) {
    rows.push({
      scenario: 'import of the framework, cold process',
      contender,
      unit: 'ms',
      summary: summarize(samples),
    });
  }
  return rows;
}
