import {
  MODULE_TRANSITIONS,
  moduleMoveAllowed,
  type ModuleStatus,
} from '../../src/work/module-status.js';

describe('moduleMoveAllowed', () => {
  it('allows exactly the moves of MODULE_TRANSITIONS', () => {
    const statuses = Object.keys(MODULE_TRANSITIONS) as ModuleStatus[];
    for (const from of statuses) {
      for (const to of statuses) {
        expect({ from, to, allowed: moduleMoveAllowed(from, to) }).toEqual({
          from,
          to,
          allowed: MODULE_TRANSITIONS[from].includes(to),
        });
      }
    }
  });
});
