import { describe, expect, it } from '@jest/globals';
import { TimerHeap } from '../../src/time/timer-heap.js';
import { FakeClock } from '@keel/testing';

// The scheduler cancels through the kernel's TimerHeap lazily (tombstones); these pin what
// its users rely on. (Belongs in test/time/ once that folder has a heap test.)
function setup() {
  const clock = new FakeClock(0);
  const timers = new TimerHeap(clock, (err) => {
    throw err;
  });
  const fired: number[] = [];
  return { clock, timers, fired };
}

describe('TimerHeap cancel (lazy deletion)', () => {
  it('fires the rest in due order, never early, and counts only live deadlines', async () => {
    const { clock, timers, fired } = setup();
    const all = Array.from({ length: 20 }, (_, i) => timers.at(10 + (i % 5), () => fired.push(i)));
    for (const i of [3, 7, 11, 12, 18]) timers.cancel(all[i]);
    expect(timers.size).toBe(15);
    expect(all[7]!.index).toBe(-1);
    await clock.advance(11);
    expect(fired).toEqual([0, 5, 10, 15, 1, 6, 16]);
    await clock.advance(10);
    expect(fired).toEqual([0, 5, 10, 15, 1, 6, 16, 2, 17, 8, 13, 4, 9, 14, 19]);
    expect(timers.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('compacts when most are cancelled, keeps one armed timer and re-adds a cancelled entry', async () => {
    const { clock, timers, fired } = setup();
    const all = Array.from({ length: 100 }, (_, i) => timers.at(100 - i, () => fired.push(i)));
    for (let i = 1; i < 99; i++) timers.cancel(all[i]);
    expect(timers.size).toBe(2);
    expect(clock.pendingTimers).toBe(1);
    timers.move(all[50]!, 5);
    expect(timers.size).toBe(3);
    await clock.advance(200);
    expect(fired).toEqual([99, 50, 0]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('close() fires live deadlines only', () => {
    const { timers, fired } = setup();
    const all = Array.from({ length: 6 }, (_, i) => timers.at(50, () => fired.push(i)));
    timers.cancel(all[2]);
    timers.cancel(all[3]);
    timers.close();
    expect(fired).toEqual([0, 1, 4, 5]);
  });
});
