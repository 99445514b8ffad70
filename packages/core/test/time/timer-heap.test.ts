import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
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

describe('TimerHeap against a model (property)', () => {
  type Op =
    | { kind: 'add'; at: number }
    | { kind: 'cancel'; pick: number }
    | { kind: 'move'; pick: number; at: number }
    | { kind: 'advance'; ms: number };

  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('add' as const), at: fc.integer({ min: 0, max: 60 }) }),
    fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
    fc.record({
      kind: fc.constant('move' as const),
      pick: fc.nat(),
      at: fc.integer({ min: 0, max: 60 }),
    }),
    fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 15 }) }),
  );

  it('fires in due order (first added or moved first among equals), never early, once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 80 }), async (ops) => {
        const { clock, timers } = setup();
        const fired: Array<{ id: number; at: number; firedAt: number }> = [];
        const handles: Array<ReturnType<TimerHeap['at']>> = [];
        // The model: pending id -> [due time, order of its last add or move].
        const model = new Map<number, [number, number]>();
        const dueOf: number[] = [];
        let order = 0;
        const expected: number[] = [];
        const fireModel = (until: number): void => {
          const due = [...model].filter(([, [at]]) => at <= until);
          due.sort((a, b) => a[1][0] - b[1][0] || a[1][1] - b[1][1]);
          for (const [id] of due) {
            expected.push(id);
            model.delete(id);
          }
        };
        for (const o of ops) {
          if (o.kind === 'add') {
            const id = handles.length;
            const at = clock.monotonic() + o.at;
            dueOf[id] = at;
            handles.push(
              timers.at(at, () => fired.push({ id, at: dueOf[id]!, firedAt: clock.monotonic() })),
            );
            model.set(id, [at, order++]);
          } else if (o.kind === 'cancel' && handles.length > 0) {
            const id = o.pick % handles.length;
            timers.cancel(handles[id]);
            model.delete(id);
          } else if (o.kind === 'move' && handles.length > 0) {
            const id = o.pick % handles.length;
            const at = clock.monotonic() + o.at;
            timers.move(handles[id]!, at);
            dueOf[id] = at;
            model.set(id, [at, order++]);
          } else if (o.kind === 'advance') {
            // Step by step: entries due at one time fire together, earlier times first.
            for (let i = 0; i < o.ms; i++) {
              await clock.advance(1);
              fireModel(clock.monotonic());
            }
          }
          expect(timers.size).toBe(model.size);
        }
        await clock.advance(100);
        fireModel(clock.monotonic());
        expect(fired.map((f) => f.id)).toEqual(expected);
        for (const f of fired) expect(f.firedAt).toBeGreaterThanOrEqual(f.at);
        expect(timers.size).toBe(0);
        expect(clock.pendingTimers).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});

describe('TimerHeap tombstones', () => {
  // The heap's private slots, to check what it still references.
  type Slots = { heap: Array<{ index: number }>; dead: number };
  const slots = (timers: TimerHeap): Slots => timers as unknown as Slots;

  // Deterministic due times (xorshift32), spread over [1, spread].
  function dues(n: number, spread: number): number[] {
    let seed = 0x2545f491;
    return Array.from({ length: n }, () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return 1 + ((seed >>> 0) % spread);
    });
  }

  it('a cancelled entry leaves the heap at once and is re-added cleanly by move', async () => {
    const { clock, timers, fired } = setup();
    const a = timers.at(10, () => fired.push(1));
    const b = timers.at(20, () => fired.push(2));
    timers.cancel(a);
    expect(a.index).toBe(-1);
    expect(slots(timers).heap).not.toContain(a);
    timers.cancel(a); // ignored: already out
    expect(timers.size).toBe(1);
    timers.move(a, 30);
    expect(timers.size).toBe(2);
    expect(slots(timers).heap[a.index]).toBe(a);
    await clock.advance(40);
    expect(fired).toEqual([2, 1]);
    expect(b.index).toBe(-1);
  });

  it('a cancelled top is dropped without firing, and the clock is armed for a live one', async () => {
    const { clock, timers, fired } = setup();
    const first = timers.at(5, () => fired.push(5));
    timers.at(15, () => fired.push(15));
    timers.cancel(first);
    timers.at(25, () => fired.push(25));
    // At most an early wake-up at the cancelled due time, which re-arms for a live one.
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(10);
    expect(fired).toEqual([]);
    expect(clock.nextTimerAt).toBe(15);
    await clock.advance(20);
    expect(fired).toEqual([15, 25]);
    expect(slots(timers).heap.length).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('cancelling every entry clears the heap and the armed timer at once', () => {
    const { clock, timers } = setup();
    const all = dues(3000, 1000).map((at) => timers.at(at, () => {}));
    for (const t of all) timers.cancel(t);
    expect(timers.size).toBe(0);
    expect(slots(timers).heap.length).toBe(0);
    expect(slots(timers).dead).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('compaction bounds the dead, keeps indexes right and due order, and dead never fire', async () => {
    const { clock, timers, fired } = setup();
    const at = dues(6000, 500);
    const all = at.map((due, i) => timers.at(due, () => fired.push(i)));
    const cancelled = new Set<number>();
    for (let i = 0; i < all.length; i++) {
      if (i % 5 === 0) continue;
      timers.cancel(all[i]);
      cancelled.add(i);
      const { heap, dead } = slots(timers);
      expect(dead).toBeLessThanOrEqual(2 * (heap.length - dead) + 1024);
    }
    const { heap, dead } = slots(timers);
    // 4800 cancelled of 6000: at least one compaction ran.
    expect(heap.length).toBeLessThan(6000);
    expect(timers.size).toBe(1200);
    expect(heap.length - dead).toBe(1200);
    for (let i = 0; i < all.length; i++) {
      if (cancelled.has(i)) expect(heap).not.toContain(all[i]);
      else expect(heap[all[i]!.index]).toBe(all[i]);
    }
    await clock.advance(1000);
    const expected = all
      .map((_, i) => i)
      .filter((i) => !cancelled.has(i))
      .sort((x, y) => at[x]! - at[y]! || x - y);
    expect(fired).toEqual(expected);
    expect(slots(timers).heap.length).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});
