import type { Queue } from 'bullmq';
import { FakeClock } from '@keel/testing';
import { resolveOptions } from '../src/options.js';
import { QueueStats } from '../src/queue-stats.js';
import { memoryLogger } from './support/harness.js';

/** A queue whose counts are `completed` (set by the test); counts each read. */
function fakeQueue(): { queue: Queue; reads: () => number; completed: { n: number } } {
  let reads = 0;
  const completed = { n: 0 };
  const queue = {
    getJobCounts: async () => {
      reads += 1;
      return { wait: 1, prioritized: 2, active: 0, delayed: 0, completed: completed.n, failed: 0 };
    },
    getFailed: async () => [],
  } as unknown as Queue;
  return { queue, reads: () => reads, completed };
}

function setup(extra: { statsIntervalMs?: number; statsIdleMs?: number } = {}) {
  const clock = new FakeClock();
  const options = resolveOptions({
    connection: {},
    service: 'stats',
    replicaId: 'r1',
    clock,
    logger: memoryLogger().logger,
    statsIntervalMs: 1000,
    ...extra,
  });
  const q = fakeQueue();
  let extras = 0;
  const stats = new QueueStats(
    options,
    () => new Map([['q', q.queue]]),
    async () => void (extras += 1),
  );
  return { clock, stats, ...q, extras: () => extras };
}

describe('QueueStats (on demand)', () => {
  it('refreshes once at start, then sends nothing while nobody reads', async () => {
    const { clock, stats, reads, extras } = setup();
    stats.start();
    await clock.advance(1);
    expect(reads()).toBe(1);
    expect(extras()).toBe(1); // task next-run times follow the same refresh
    await clock.advance('10m');
    expect(reads()).toBe(1);
    expect(stats.active).toBe(false);
    expect(clock.pendingTimers).toBe(0);
    await stats.stop();
  });

  it('a read refreshes every statsInterval until statsIdle passes without one, then pauses', async () => {
    const { clock, stats, reads } = setup({ statsIdleMs: 5000 });
    stats.start();
    await clock.advance(1);
    const t0 = clock.now();
    stats.view(); // armed: one refresh at once, then every 1 s
    await clock.advance(1);
    expect(reads()).toBe(2);
    await clock.advance(3000);
    expect(reads()).toBe(5);
    stats.view(); // at t0 + 3001: keeps it going until t0 + 8001
    await clock.advance(10_000);
    // Refreshes at t0+1 … t0+8001 (one per second): the last one ran with the idle time not
    // yet passed, the next one (t0+9001) would be past it and is not armed.
    expect(reads()).toBe(10);
    expect(stats.active).toBe(false);
    expect(clock.pendingTimers).toBe(0);
    expect(clock.now() - t0).toBe(13_001);
    await stats.stop();
  });

  it('a read while paused gets the cached counts with their age, and refreshes at once', async () => {
    const unread = setup();
    expect(unread.stats.view()['q']).toEqual({
      waiting: 0,
      active: 0,
      delayed: 0,
      completed: 0,
      failed: 0,
      lastFailures: [],
    }); // not read yet: zeros, no countsAt
    const { clock, stats, reads, completed } = setup();
    completed.n = 3;
    stats.start();
    await clock.advance(1);
    const readAt = clock.now();
    await clock.advance('1h');
    expect(stats.active).toBe(false);
    completed.n = 7;
    const cached = stats.view()['q']!;
    expect(cached).toMatchObject({ waiting: 3, completed: 3, countsAt: readAt });
    expect(clock.now() - cached.countsAt!).toBe(3_600_000);
    expect(stats.active).toBe(true);
    await clock.advance(1);
    expect(reads()).toBe(2);
    expect(stats.view()['q']).toMatchObject({ completed: 7, countsAt: clock.now() });
    await stats.stop();
  });

  it('a read before start arms the refresh that start begins', async () => {
    const { clock, stats, reads } = setup();
    stats.view();
    await clock.advance(5000);
    expect(reads()).toBe(0); // nothing before start
    stats.start();
    await clock.advance(2001);
    expect(reads()).toBe(3); // at once, +1 s, +2 s: the read 5 s ago is within statsIdle
    await clock.advance('2m');
    expect(reads()).toBe(56); // the last at 55 s after start, 60 s after the read
    expect(stats.active).toBe(false);
    await stats.stop();
  });

  it('leaves no timer after stop, even when read afterwards', async () => {
    const { clock, stats, reads } = setup();
    stats.start();
    stats.view();
    await clock.advance(2500);
    expect(reads()).toBe(3);
    await stats.stop();
    expect(clock.pendingTimers).toBe(0);
    stats.view();
    await clock.advance('1m');
    expect(reads()).toBe(3);
    expect(clock.pendingTimers).toBe(0);
  });

  it('defaults statsIdle to a minute, or two statsIntervals when longer', () => {
    const clock = new FakeClock();
    const base = {
      connection: {},
      service: 's',
      replicaId: 'r',
      clock,
      logger: memoryLogger().logger,
    };
    expect(resolveOptions(base).statsIdleMs).toBe(60_000);
    expect(resolveOptions({ ...base, statsIntervalMs: 45_000 }).statsIdleMs).toBe(90_000);
    expect(resolveOptions({ ...base, statsIdleMs: 5000 }).statsIdleMs).toBe(5000);
    expect(() => resolveOptions({ ...base, statsIdleMs: 0 })).toThrow(/statsIdleMs/);
  });
});
