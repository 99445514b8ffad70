import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runInChild } from './harness/child.js';
import { describeMachine } from './harness/machine.js';
import type { Row } from './harness/result.js';
import { renderTable } from './harness/table.js';
import { checkTargets, renderTargets } from './harness/targets.js';
import { bootScenario, DEFAULT_BOOT_PLAN, type BootPlan } from './scenarios/boot.js';
import {
  schedulerRows,
  type SchedulerContender,
  type SchedulerMemoryResult,
  type SchedulerTimingResult,
} from './scenarios/scheduler.js';
import { taskQueueRows, type TaskQueueResult } from './scenarios/task-queue.js';
import { jobsRows, type JobsResult } from './scenarios/jobs.js';
import { driftRows, type DriftResult } from './scenarios/fleet-drift.js';
import { fleetEventsRows, type FleetEventsResult } from './scenarios/fleet-events.js';
import type { ImportContender, ImportResult } from './scenarios/import.js';
import {
  timersRows,
  TIMERS_CONTENDERS,
  type TimersContender,
  type TimersResult,
} from './scenarios/timers.js';
import { summarize } from './stats.js';

/**
 * `npm run bench`: every scenario in child processes, one after the other (nothing else
 * runs beside a measurement), then one table, the targets, and JSON in bench/results/.
 * `--quick` runs small sizes (to try the harness); `--only=boot,events,...` picks scenarios.
 * `--jobs-rounds=N` (or KEEL_BENCH_JOBS_ROUNDS) repeats the jobs trials, `--jobs=N` (or
 * KEEL_BENCH_JOBS) sets their burst size; `--drift-s=S` (or
 * KEEL_BENCH_DRIFT_S) sets the fleet-task drift window (default 20 s; `npm run bench:drift`: 300 s).
 */
const SCENARIOS = [
  'boot',
  'import',
  'events',
  'microtasks',
  'scheduler',
  'timers',
  'task-queue',
  'jobs',
  'drift',
  'fleet-events',
] as const;
type ScenarioName = (typeof SCENARIOS)[number];

const QUICK_BOOT_PLAN: BootPlan = {
  ...DEFAULT_BOOT_PLAN,
  sizes: [100, 1_000],
  warmIterations: () => 5,
  coldSamples: () => 1,
  warmupMs: 300,
};

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const only = argv
    .find((a) => a.startsWith('--only='))
    ?.slice('--only='.length)
    .split(',');
  const knob = (flag: string, env: string): number | undefined => {
    const raw =
      argv.find((a) => a.startsWith(`--${flag}=`))?.slice(flag.length + 3) ?? process.env[env];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0)
      throw new Error(`--${flag} / ${env}: not a positive number: ${raw}`);
    return value;
  };
  const jobsRounds = knob('jobs-rounds', 'KEEL_BENCH_JOBS_ROUNDS');
  const driftS = knob('drift-s', 'KEEL_BENCH_DRIFT_S');
  const jobsBurst = knob('jobs', 'KEEL_BENCH_JOBS');
  const selected = SCENARIOS.filter((s) => only === undefined || only.includes(s));
  const began = performance.now();
  const machine = describeMachine();
  const log = (line: string): void => console.error(line);
  log(
    `keel bench: ${machine.cpuModel}, ${machine.nproc} cores, node ${machine.node}, ` +
      `load ${machine.loadAverage}${machine.coreOverride === null ? '' : `, core ${machine.coreOverride}`}`,
  );

  const rows: Row[] = [];
  const tasks = quick ? 10_000 : 100_000;
  const runners: Record<ScenarioName, () => Promise<Row[]>> = {
    boot: () => bootScenario(quick ? QUICK_BOOT_PLAN : DEFAULT_BOOT_PLAN, log),
    events: async () => (await runInChild<Row[]>({ scenario: 'events', args: {} })).result,
    microtasks: async () => (await runInChild<Row[]>({ scenario: 'microtasks', args: {} })).result,
    scheduler: async () => {
      const timing = await runInChild<SchedulerTimingResult>({
        scenario: 'scheduler-timing',
        args: { tasks, rounds: quick ? 2 : 5 },
      });
      const memory = {} as Record<SchedulerContender, SchedulerMemoryResult>;
      for (const contender of ['keel', 'setTimeout'] as const) {
        memory[contender] = (
          await runInChild<SchedulerMemoryResult>({
            scenario: 'scheduler-memory',
            args: { contender, tasks },
          })
        ).result;
      }
      return schedulerRows(tasks, timing.result, memory);
    },
    import: async () => {
      // Alternating, one fresh process per sample.
      const samples: Record<ImportContender, number[]> = { keel: [], tsyringe: [] };
      for (let i = 0; i < (quick ? 3 : 9); i++) {
        for (const contender of ['keel', 'tsyringe'] as const) {
          const r = await runInChild<ImportResult>({ scenario: 'import', args: { contender } });
          samples[contender].push(r.result.importMs);
        }
      }
      return (['keel', 'tsyringe'] as const).map((contender) => ({
        scenario: 'import of @keel/core vs reflect-metadata + tsyringe, fresh process',
        contender: contender === 'keel' ? 'keel' : 'tsyringe + reflect-metadata',
        unit: 'ms',
        summary: summarize(samples[contender]),
      }));
    },
    timers: async () => {
      const spreadMs = quick ? 2_000 : 10_000;
      const results = {} as Record<TimersContender, TimersResult>;
      for (const contender of TIMERS_CONTENDERS) {
        results[contender] = (
          await runInChild<TimersResult>({
            scenario: 'timers',
            args: { contender, tasks, spreadMs, rounds: quick ? 2 : 5 },
          })
        ).result;
      }
      return timersRows(tasks, spreadMs, results);
    },
    'task-queue': async () => {
      const result = await runInChild<TaskQueueResult>({
        scenario: 'task-queue',
        args: { tasks, rounds: quick ? 2 : 5 },
      });
      return taskQueueRows(tasks, result.result);
    },
    jobs: async () => {
      const jobs = jobsBurst ?? (quick ? 300 : 1000);
      const result = await runInChild<JobsResult>(
        {
          scenario: 'jobs',
          args: {
            jobs,
            rounds: jobsRounds ?? (quick ? 1 : 2),
            ...(quick ? { paced: 50, warmup: 100, concurrencies: [10] } : {}),
          },
        },
        1_800_000,
      );
      if (result.result.skipped !== undefined) log(`jobs skipped: ${result.result.skipped}`);
      return jobsRows(jobs, result.result);
    },
    drift: async () => {
      const durationS = driftS ?? (quick ? 10 : 20);
      const result = await runInChild<DriftResult>(
        { scenario: 'drift', args: { durationS } },
        (durationS + 120) * 1000,
      );
      const r = result.result;
      if (r.skipped !== undefined) log(`drift skipped: ${r.skipped}`);
      for (const [contender, w] of Object.entries(r.windows)) {
        log(
          `drift ${contender} (${w.durationS} s): ${w.runs} runs in ${w.slots} slots, ${w.duplicates} duplicates, ` +
            `${w.missed} missed, ${w.overlaps} overlaps; due→start p50 ${w.driftMs.p50.toFixed(1)} / ` +
            `p99 ${w.driftMs.p99.toFixed(1)} / max ${w.driftMs.max.toFixed(1)} ms; per replica ${JSON.stringify(w.perReplica)}`,
        );
      }
      return driftRows(r);
    },
    'fleet-events': async () => {
      const events = quick ? 500 : 5_000;
      const result = await runInChild<FleetEventsResult>(
        {
          scenario: 'fleet-events',
          args: {
            events,
            paced: quick ? 200 : 1_000,
            rounds: quick ? 1 : 7,
            warmupRounds: quick ? 1 : 2,
          },
        },
        600_000,
      );
      if (result.result.skipped !== undefined)
        log(`fleet-events skipped: ${result.result.skipped}`);
      return fleetEventsRows(events, result.result);
    },
  };
  for (const name of selected) {
    const t0 = performance.now();
    log(`${name}...`);
    rows.push(...(await runners[name]()));
    log(`${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  const durationS = (performance.now() - began) / 1000;
  const loadAfter = Math.round(loadavg()[0]! * 100) / 100;
  const targets = checkTargets(rows);
  console.log(
    `Keel bench, ${machine.date.slice(0, 10)}: ${machine.cpuModel}, nproc ${machine.nproc}, ` +
      `node ${machine.node}, ${machine.platform}, load average ${machine.loadAverage} → ${loadAfter}; ` +
      `${durationS.toFixed(0)} s${quick ? ' (--quick)' : ''}` +
      `${machine.coreOverride === null ? '' : `; @keel/core from ${machine.coreOverride}`}\n`,
  );
  console.log(renderTable(rows));
  console.log(`\nTargets\n${renderTargets(targets)}`);

  const dir = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const json = JSON.stringify({ machine, loadAfter, quick, durationS, rows, targets }, null, 2);
  const stamp = machine.date.replace(/[:.]/g, '-');
  writeFileSync(`${dir}${stamp}${quick ? '-quick' : ''}.json`, json);
  writeFileSync(`${dir}latest.json`, json);
  console.log(
    `\nSaved bench/results/${stamp}${quick ? '-quick' : ''}.json and bench/results/latest.json`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
