/**
 * @jest-environment ./test/reliability/support/process-watch-environment.cjs
 */
import fc from 'fast-check';
import { propertyParameters } from './support/fc-config.js';
import { scenarioArb } from './support/arbitraries.js';
import { coverageReport } from './support/kernel-run.js';
import { runScenario } from './support/run-scenario.js';

// Module management: enable/disable/manage/restart sequences on random graphs with faults.
const RUNS = 3500;

afterAll(() => process.stdout.write(`[reliability] exercised: ${coverageReport()}\n`));

describe('module management under random faults (property)', () => {
  it('runs exactly the wanted modules, in order, and reports every fault', async () => {
    const scenarios = scenarioArb({
      maxLifecycleFaults: 3,
      prepFaults: false,
      work: false,
      maxOps: 12,
      management: true,
      raceStart: false,
      raceManage: true,
    });
    await fc.assert(
      fc.asyncProperty(scenarios, runScenario),
      propertyParameters('management', RUNS),
    );
  }, 300_000);
});
