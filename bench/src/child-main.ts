import { RESULT_MARKER, type ChildJob } from './harness/child.js';

/**
 * Entry of every bench child process: `node --expose-gc child-main.js '<job json>'`.
 * Scenario files are imported lazily so a cold boot sample imports nothing it does not time.
 */
async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as ChildJob;
  const result = await dispatch(job);
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
}

/** Progress of long scenarios, on stderr (the parent shows it only when the child fails). */
const log = (line: string): void => {
  if (process.env['KEEL_BENCH_VERBOSE'] === '1') console.error(line);
};

async function dispatch(job: ChildJob): Promise<unknown> {
  const args = job.args as never;
  switch (job.scenario) {
    case 'boot-warm':
      return (await import('./scenarios/boot.js')).runWarm(args);
    case 'boot-cold':
      return (await import('./scenarios/boot.js')).runCold(args);
    case 'events':
      return (await import('./scenarios/events.js')).eventsScenario(args);
    case 'microtasks':
      return (await import('./scenarios/microtasks.js')).microTasksScenario(args);
    case 'scheduler-timing':
      return (await import('./scenarios/scheduler.js')).schedulerTiming(args);
    case 'scheduler-memory':
      return (await import('./scenarios/scheduler.js')).schedulerMemory(args);
    case 'timers':
      return (await import('./scenarios/timers.js')).timersScenario(args);
    case 'import':
      return (await import('./scenarios/import.js')).importScenario(args);
    case 'jobs':
      return (await import('./scenarios/jobs.js')).jobsScenario(args, log);
    case 'drift':
      return (await import('./scenarios/fleet-drift.js')).driftScenario(args, log);
    case 'fleet-events':
      return (await import('./scenarios/fleet-events.js')).fleetEventsScenario(args);
    case 'task-queue':
      return (await import('./scenarios/task-queue.js')).taskQueueTiming(args);
    default:
      throw new Error(`unknown bench child scenario "${job.scenario}"`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
