/**
 * @jest-environment ./test/reliability/support/process-watch-environment.cjs
 */
import fc from 'fast-check';
import { propertyParameters } from './support/fc-config.js';
import { scenarioArb } from './support/arbitraries.js';
import { coverageReport } from './support/kernel-run.js';
import { runScenario } from './support/run-scenario.js';

// Random graphs with faults in prep/start/stop, started, possibly shut down while starting,
// and shut down: ordering, rollback, error attribution, bounds and leaks hold in every run.
const RUNS = 4000;

afterAll(() => process.stdout.write(`[reliability] exercised: ${coverageReport()}\n`));

describe('lifecycle under random faults (property)', () => {
  it('starts dependencies first, rolls back, stops dependents first, reports every fault', async () => {
    const scenarios = scenarioArb({
      maxLifecycleFaults: 3,
      prepFaults: true,
      work: false,
      maxOps: 2,
      management: false,
      raceStart: true,
      raceManage: false,
    });
    await fc.assert(
      fc.asyncProperty(scenarios, runScenario),
      propertyParameters('lifecycle', RUNS),
    );
  }, 300_000);
});
