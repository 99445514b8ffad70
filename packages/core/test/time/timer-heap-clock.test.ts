import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { FakeClock } from '@keel/testing';
import { systemClock } from '../../src/time/clock.js';
import { TimerHeap } from '../../src/time/timer-heap.js';

const rethrow = (err: unknown): never => {
  throw err;
};

const microtask = (): Promise<void> => new Promise((resolve) => queueMicrotask(resolve));

describe('TimerHeap wall/monotonic offset', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('system clock: reads the offset once per synchronous turn, again in the next', async () => {
    const timers = new TimerHeap(systemClock, rethrow);
    const wall = Date.now();
    const now = jest.spyOn(Date, 'now').mockReturnValue(wall);
    const at = timers.fromWall(wall + 1_000);
    expect(timers.toWall(at)).toBe(wall + 1_000);
    // A wall step within the turn is not seen (as if it came just after the call)...
    now.mockReturnValue(wall + 60_000);
    expect(timers.fromWall(wall + 1_000)).toBe(at);
    expect(now).toHaveBeenCalledTimes(1);
    // ...and is in the next one.
    await microtask();
    const stepped = timers.fromWall(wall + 1_000);
    expect(now).toHaveBeenCalledTimes(2);
    expect(at - stepped).toBeGreaterThan(59_000);
    expect(at - stepped).toBeLessThan(61_000);
  });

  it('fake clock: a wall step with set() is seen at once, within the same turn', () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const timers = new TimerHeap(clock, rethrow);
    const wallAt = clock.now() + 5_000;
    expect(timers.fromWall(wallAt)).toBe(clock.monotonic() + 5_000);
    clock.stepWall(2_000);
    expect(timers.fromWall(wallAt)).toBe(clock.monotonic() + 3_000);
    expect(timers.toWall(clock.monotonic() + 3_000)).toBe(wallAt);
  });
});

describe('TimerHeap.reached', () => {
  it('answers from its latest reading when that passed, else reads the clock', async () => {
    const clock = new FakeClock(0);
    const timers = new TimerHeap(clock, rethrow);
    expect(timers.reached(0)).toBe(true);
    expect(timers.reached(10)).toBe(false);
    await clock.advance(10);
    expect(timers.reached(10)).toBe(true);
    const monotonic = jest.spyOn(clock, 'monotonic');
    expect(timers.reached(5)).toBe(true);
    expect(monotonic).not.toHaveBeenCalled();
    expect(timers.reached(11)).toBe(false);
    expect(monotonic).toHaveBeenCalledTimes(1);
  });

  it('entries that fall due while a batch fires still fire in it, never early', async () => {
    const clock = new FakeClock(0);
    const timers = new TimerHeap(clock, rethrow);
    const fired: Array<[string, number]> = [];
    timers.at(5, () => fired.push(['a', clock.monotonic()]));
    timers.at(6, () => fired.push(['b', clock.monotonic()]));
    await clock.advance(5);
    expect(fired).toEqual([['a', 5]]);
    await clock.advance(1);
    expect(fired).toEqual([
      ['a', 5],
      ['b', 6],
    ]);
    expect(timers.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});
