import { FakeFleet } from '@keel/testing';
import { describeFleetContract } from './contract/index.js';

describeFleetContract('FakeFleet', (timings) => {
  const fleet = new FakeFleet({ service: 'contract', stalledAfter: timings.stalledMs });
  return {
    clock: fleet.clock,
    provider: (id) => fleet.replica(id),
    advance: (ms) => fleet.clock.advance(ms),
    kill: (id) => fleet.kill(id),
    close: () => Promise.resolve(),
    checkClean: () => expect(fleet.clock.pendingDueTimes()).toEqual([]),
  };
});
