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
import { fleetEventsRows, type FleetEventsResult } from './scenarios/fleet-events.js';

/**
 * `npm run bench`: every scenario in child processes, one after the other (nothing else
 * runs beside a measurement), then one table, the targets, and JSON in bench/results/.
 * `--quick` runs small sizes (to try the harness); `--only=boot,events,...` picks scenarios.
 */
const SCENARIOS = [
  'boot',
  'events',
  'microtasks',
  'scheduler',
  'task-queue',
  'jobs',
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
    'task-queue': async () => {
      const result = await runInChild<TaskQueueResult>({
        scenario: 'task-queue',
        args: { tasks, rounds: quick ? 2 : 5 },
      });
      return taskQueueRows(tasks, result.result);
    },
    jobs: async () => {
      const jobs = quick ? 300 : 1000;
      const result = await runInChild<JobsResult>(
        { scenario: 'jobs', args: { jobs, rounds: quick ? 1 : 3 } },
        600_000,
      );
      if (result.result.skipped !== undefined) log(`jobs skipped: ${result.result.skipped}`);
      return jobsRows(jobs, result.result);
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
