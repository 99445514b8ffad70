import type { ContractScope } from './scope.js';

/** Fleet tasks: one replica per due time, no overlap. */
export function describeTaskScenarios(_s: ContractScope): void {
  // Scenarios follow in the next commit.
}
