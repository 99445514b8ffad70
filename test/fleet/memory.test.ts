import { MemoryFleet } from '@keel/core';
import { FakeClock } from '@keel/testing';
import { describeFleetContract } from './contract/index.js';

describeFleetContract('MemoryFleet', (timings) => {
  const clock = new FakeClock();
  const hub = new MemoryFleet({ clock, service: 'contract', stalledMs: timings.stalledMs });
  return {
    clock,
    provider: (id) => hub.provider(id),
    advance: (ms) => clock.advance(ms),
    kill: (id) => hub.kill(id),
    close: () => Promise.resolve(),
    checkClean: () => expect(clock.pendingDueTimes()).toEqual([]),
  };
});
