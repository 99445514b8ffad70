import { MicroTaskLimiter } from '../../src/microtasks/microtask-limiter.js';
import { TaskScheduler } from '../../src/tasks/task-scheduler.js';
import { TimerHeap } from '../../src/time/timer-heap.js';
import { FakeClock } from '@keel/testing';
import { FakeOwner } from './fake-owner.js';

/** A scheduler on a fake clock with its own timer heap and microtask limiter, started. */
export function setupScheduler(
  options: { concurrency?: number; limit?: number; start?: boolean } = {},
) {
  const clock = new FakeClock(Date.UTC(2024, 0, 1));
  const timers = new TimerHeap(clock, (err) => {
    throw err;
  });
  const microtasks = new MicroTaskLimiter({ timers, limit: options.limit ?? 4 });
  const scheduler = new TaskScheduler({
    clock,
    timers,
    microtasks,
    concurrency: options.concurrency ?? 1,
  });
  if (options.start !== false) scheduler.start();
  return { clock, timers, microtasks, scheduler, owner: new FakeOwner() };
}

/** A promise to hold a task body at a point. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
