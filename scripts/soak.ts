/**
 * Soak test: 1,000 modules with churn on the real clock, checking that the heap does not
 * grow once warmed up.
 *
 *   npm run soak -- --minutes 10 [--modules 1000] [--seed 1]
 *
 * Every 10 s it prints a short line; once a minute it runs `global.gc()` and prints the heap
 * used after it. The first minute is warm-up; the verdict compares the last post-GC heap
 * with the one at the end of the warm-up and fails (exit code 1) above +10 %.
 */
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kernel } from '@keel/core';
import { pino } from 'pino';
import { buildSoakModules, newCounters, prng } from './soak-modules.js';

const LIMIT = 0.1;
const TICK_MS = 10_000;
const MINUTE_MS = 60_000;
/** Modules whose enabled flag flips at each churn step. */
const CHURN_BATCH = 10;

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    modules: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
  },
});
const minutes = Number(values.minutes);
const moduleCount = Number(values.modules);
const seed = Number(values.seed);
if (!(minutes > 0) || !(moduleCount > 0) || !Number.isFinite(seed)) {
  console.error('usage: soak --minutes N [--modules 1000] [--seed 1]');
  process.exit(2);
}
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('soak: run node with --expose-gc (npm run soak does).');
  process.exit(2);
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/** Heap used after full collections (twice, with a turn between, to settle weak refs and finalizers). */
async function heapAfterGc(): Promise<number> {
  gc!();
  await sleep(50);
  gc!();
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<number> {
  const random = prng(seed);
  const counters = newCounters();
  const kernel = Kernel.create({
    modules: buildSoakModules(moduleCount, random, counters),
    logger: pino({ level: 'silent' }),
    taskConcurrency: 4,
  });
  let errors = 0;
  kernel.on('error', () => void errors++);
  kernel.enableManagement();
  for (const m of kernel.modules) m.enable();
  const began = Date.now();
  await kernel.start();
  console.log(
    `soak: ${moduleCount} modules online in ${Date.now() - began} ms; running ${minutes} min (seed ${seed})`,
  );

  let manages = 0;
  let manageFailures = 0;
  const churning = (async () => {
    const handles = kernel.modules;
    while (!kernel.shuttingDown.aborted) {
      await sleep(50 + random() * 250);
      for (let i = 0; i < CHURN_BATCH; i++) {
        const m = handles[Math.floor(random() * handles.length)]!;
        if (m.enabled) m.disable();
        else m.enable();
      }
      await kernel.manage().catch(() => void manageFailures++);
      manages++;
    }
  })();

  const samples: Array<{ minute: number; heap: number }> = [];
  const end = began + minutes * MINUTE_MS;
  let nextMinute = began + MINUTE_MS;
  while (Date.now() < end) {
    await sleep(Math.min(TICK_MS, end - Date.now()));
    const snapshot = kernel.inspect();
    const modules = Object.values(snapshot.modules);
    const online = modules.filter((m) => m.status === 'online').length;
    const workers = modules.reduce((n, m) => n + m.workers.length, 0);
    const tasks = modules.reduce((n, m) => n + m.tasks.length, 0);
    const elapsed = ((Date.now() - began) / 1000).toFixed(0);
    const heap = process.memoryUsage();
    console.log(
      `[${elapsed}s] heap ${mb(heap.heapUsed)} rss ${mb(heap.rss)} | online ${online} tasks ${tasks} workers ${workers}` +
        ` microtasks waiting ${snapshot.microtasks.waiting.medium + snapshot.microtasks.waiting.low}` +
        ` | task runs ${counters.taskRuns} hooks ${counters.hookRuns} microtasks ${counters.microtasks}` +
        ` starts ${counters.starts} stops ${counters.stops} manage ${manages} (${manageFailures} failed) errors ${errors}`,
    );
    if (Date.now() >= nextMinute || Date.now() >= end) {
      const minute = Math.round((Date.now() - began) / MINUTE_MS);
      const after = await heapAfterGc();
      samples.push({ minute, heap: after });
      const base = samples[0]!.heap;
      const growth =
        samples.length > 1
          ? ` (${(((after - base) / base) * 100).toFixed(1)} % vs minute ${samples[0]!.minute})`
          : ' (warm-up baseline)';
      console.log(`[minute ${minute}] heap after gc: ${mb(after)}${growth}`);
      nextMinute += MINUTE_MS;
    }
  }

  const stopping = Date.now();
  await kernel.shutdown();
  await churning;
  console.log(`soak: shut down in ${Date.now() - stopping} ms, exit code ${kernel.exitCode}`);

  if (samples.length < 2) {
    console.log(
      `SOAK INCONCLUSIVE: ${samples.length} post-warm-up sample(s); run at least 2 minutes.`,
    );
    return 0;
  }
  const base = samples[0]!.heap;
  const last = samples[samples.length - 1]!.heap;
  const peak = Math.max(...samples.map((s) => s.heap));
  const growth = (last - base) / base;
  const verdict = growth <= LIMIT ? 'PASS' : 'FAIL';
  console.log(
    `SOAK ${verdict}: heap after gc ${mb(base)} at minute ${samples[0]!.minute} -> ${mb(last)} at minute ` +
      `${samples[samples.length - 1]!.minute} (${(growth * 100).toFixed(1)} %, limit ${LIMIT * 100} %; peak ${mb(peak)})`,
  );
  return verdict === 'PASS' && kernel.exitCode === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('soak crashed:', err);
    process.exit(1);
  },
);
