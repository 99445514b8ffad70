import { describeEventScenarios } from './events.js';
import { describeJobScenarios } from './jobs.js';
import { describeLeaseScenarios } from './leases.js';
import { describeMembershipScenarios } from './membership.js';
import { describeTaskScenarios } from './tasks.js';
import { DEFAULT_TIMINGS, type ContractTimings, type MakeFleet } from './harness.js';
import { ContractScope } from './scope.js';

export { DEFAULT_TIMINGS, connectReplica, waitUntil, deferred, uniqueName } from './harness.js';
export type { ContractFleet, ContractTimings, MakeFleet, Replica } from './harness.js';

/** Parts of the contract; an engine that lacks one (Redis without BullMQ) leaves it out. */
export type ContractFeature = 'leases' | 'membership' | 'events' | 'jobs' | 'tasks';

export interface FleetContractOptions {
  readonly timings?: Partial<ContractTimings>;
  /** Default: all. */
  readonly features?: readonly ContractFeature[];
}

/**
 * The connection-level contract every fleet engine passes (memory, Redis, BullMQ): the same
 * scenarios, with timings the engine chooses.
 * @example
 * ```ts
 * describeFleetContract('MemoryFleet', (t) => {
 *   const clock = new FakeClock();
 *   const hub = new MemoryFleet({ clock, stalledMs: t.stalledMs });
 *   return { clock, provider: (id) => hub.provider(id), advance: (ms) => clock.advance(ms),
 *            kill: (id) => hub.kill(id), close: async () => {} };
 * });
 * ```
 */
export function describeFleetContract(
  name: string,
  makeFleet: MakeFleet,
  options: FleetContractOptions = {},
): void {
  const timings: ContractTimings = { ...DEFAULT_TIMINGS, ...options.timings };
  const features = new Set(options.features ?? ['leases', 'membership', 'events', 'jobs', 'tasks']);
  describe(`fleet contract: ${name}`, () => {
    const scope = new ContractScope(makeFleet, timings);
    beforeEach(() => scope.open());
    afterEach(() => scope.close());
    if (features.has('leases')) describeLeaseScenarios(scope);
    if (features.has('membership')) describeMembershipScenarios(scope);
    if (features.has('events')) describeEventScenarios(scope);
    if (features.has('jobs')) describeJobScenarios(scope);
    if (features.has('tasks')) describeTaskScenarios(scope);
  });
}
