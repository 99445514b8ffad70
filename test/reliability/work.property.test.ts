/**
 * @jest-environment ./test/reliability/support/process-watch-environment.cjs
 */
import fc from 'fast-check';
import { propertyParameters } from './support/fc-config.js';
import { scenarioArb } from './support/arbitraries.js';
import { coverageReport } from './support/kernel-run.js';
import { runScenario } from './support/run-scenario.js';

// Workers that fail or ignore their signal, tasks, hooks and microtasks that throw, on top
// of lifecycle faults and management: every failure is reported once, against its module
// and kind, and shutdown stays bounded.
const RUNS = 2500;

afterAll(() => process.stdout.write(`[reliability] exercised: ${coverageReport()}\n`));

describe('module work under random faults (property)', () => {
  it('reports every worker/task/hook/microtask fault and never lets work outlive its module', async () => {
    const scenarios = scenarioArb({
      maxLifecycleFaults: 2,
      prepFaults: false,
      work: true,
      maxOps: 10,
      management: true,
      raceStart: true,
      raceManage: true,
    });
    await fc.assert(fc.asyncProperty(scenarios, runScenario), propertyParameters('work', RUNS));
  }, 300_000);
});
