import type { ContractScope } from './scope.js';

/** Jobs: attempts, backoff, idempotent ids, hand-back, stall recovery. */
export function describeJobScenarios(_s: ContractScope): void {
  // Scenarios follow in the next commit.
}
