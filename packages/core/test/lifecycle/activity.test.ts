import { ActivitySet } from '../../src/lifecycle/activity.js';
import { WorkRecord } from '../../src/work/work-owner.js';

describe('ActivitySet', () => {
  it('parks a record: uncounted and unlisted, counted again in place, dropped by forget', async () => {
    const set = new ActivitySet();
    const a = new WorkRecord();
    const b = new WorkRecord();
    set.enter(a, 'hook', 'a', 1);
    set.enter(b, 'task', 'b', 2);
    set.park(a);
    expect(set.size).toBe(1);
    expect(set.list()).toEqual([{ kind: 'task', name: 'b', since: 2 }]);
    expect(a.linked).toBe(true);

    set.enter(a, 'hook', 'a', 3);
    expect(set.size).toBe(2);
    expect(set.list()).toEqual([
      { kind: 'hook', name: 'a', since: 3 },
      { kind: 'task', name: 'b', since: 2 },
    ]);

    let idle = false;
    const waiting = set.idle().then(() => (idle = true));
    set.park(a);
    set.park(a); // harmless twice
    expect(set.size).toBe(1);
    set.end(b);
    await waiting;
    expect(idle).toBe(true);

    set.forget(a);
    expect(a.linked).toBe(false);
    expect(set.list()).toEqual([]);
    // Entered after forget: linked anew, the list still whole.
    set.enter(a, 'hook', 'a', 4);
    set.enter(b, 'task', 'b', 5);
    set.forget(a);
    expect(set.size).toBe(1);
    expect(set.list()).toEqual([{ kind: 'task', name: 'b', since: 5 }]);
  });

  it('resumes a record entered before: counted and listed again from its new time, in place', async () => {
    const set = new ActivitySet();
    const a = new WorkRecord();
    const b = new WorkRecord();
    set.enter(a, 'hook', 'a', 1);
    set.enter(b, 'task', 'b', 2);
    set.park(a);
    set.resume(a, 7);
    expect(set.size).toBe(2);
    expect(set.list()).toEqual([
      { kind: 'hook', name: 'a', since: 7 },
      { kind: 'task', name: 'b', since: 2 },
    ]);
    set.resume(a, 8); // still counted: ended first, so counted once, from the new time
    expect(set.size).toBe(2);
    expect(set.list()).toEqual([
      { kind: 'task', name: 'b', since: 2 },
      { kind: 'hook', name: 'a', since: 8 },
    ]);
    set.forget(a);
    set.resume(a, 9); // forgotten: linked anew at the end
    expect(set.list()).toEqual([
      { kind: 'task', name: 'b', since: 2 },
      { kind: 'hook', name: 'a', since: 9 },
    ]);
    let idle = false;
    const waiting = set.idle().then(() => (idle = true));
    set.park(a);
    set.end(b);
    await waiting;
    expect(idle).toBe(true);
  });
});
