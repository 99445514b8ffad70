import { StepSlots } from '../../src/lifecycle/step-slots.js';
import {
  MODULE_TRANSITIONS,
  moduleMoveAllowed,
  type ModuleStatus,
} from '../../src/work/module-status.js';
import { deferred, flush } from '../helpers.js';

describe('StepSlots (the lifecycle fan-out)', () => {
  it('runs at most `concurrency` calls at once, the rest in the order they came', async () => {
    const slots = new StepSlots(2);
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const began: number[] = [];
    const results = gates.map((gate, i) =>
      slots.run(async () => {
        began.push(i);
        await gate.promise;
        return i * 10;
      }),
    );
    // Two hold a slot at once (counted at the call), two wait.
    expect([slots.activeCount, slots.pendingCount]).toEqual([2, 2]);
    await flush();
    expect(began).toEqual([0, 1]);
    gates[1]!.resolve();
    await flush();
    expect(began).toEqual([0, 1, 2]);
    expect([slots.activeCount, slots.pendingCount]).toEqual([2, 1]);
    for (const gate of gates) gate.resolve();
    await expect(Promise.all(results)).resolves.toEqual([0, 10, 20, 30]);
    expect(began).toEqual([0, 1, 2, 3]);
    expect([slots.activeCount, slots.pendingCount]).toEqual([0, 0]);
  });

  it('passes a rejection or a throw through and frees the slot', async () => {
    const slots = new StepSlots(1);
    const failing = slots.run(() => Promise.reject(new Error('async')));
    const throwing = slots.run(() => {
      throw new Error('sync');
    });
    const after = slots.run(() => 'ran');
    await expect(failing).rejects.toThrow('async');
    await expect(throwing).rejects.toThrow('sync');
    await expect(after).resolves.toBe('ran');
    expect([slots.activeCount, slots.pendingCount]).toEqual([0, 0]);
  });

  it('begins a call one microtask after it got its slot, as p-limit did', async () => {
    const slots = new StepSlots(1);
    const order: string[] = [];
    const done = slots.run(() => void order.push('call'));
    order.push('sync');
    await done;
    expect(order).toEqual(['sync', 'call']);
  });

  it('keeps FIFO order through a long queue that never empties in between', async () => {
    const slots = new StepSlots(1);
    const ran: number[] = [];
    const all: Array<Promise<void>> = [];
    // Added while the queue drains, so its woken part is dropped along the way.
    for (let i = 0; i < 3000; i++) {
      all.push(slots.run(() => void ran.push(i)));
      if (i % 500 === 499) await flush(1);
    }
    await Promise.all(all);
    expect(ran).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(slots.pendingCount).toBe(0);
  });
});

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
