/**
 * Keeps the benchmark scenarios from rotting: each runs once, in-process, at a tiny size.
 * No figure is asserted (timings in tests would be flaky); only that every contender did
 * the same work and that the report renders. The real run is `npm run bench`.
 */
import { generateDag, topologicalOrder } from '../../bench/src/dag.js';
import type { Row } from '../../bench/src/harness/result.js';
import { renderTable } from '../../bench/src/harness/table.js';
import { checkTargets, renderTargets } from '../../bench/src/harness/targets.js';
import { BOOT_CONTENDERS, runCold, runWarm } from '../../bench/src/scenarios/boot.js';
import { eventsScenario } from '../../bench/src/scenarios/events.js';
import { microTasksScenario } from '../../bench/src/scenarios/microtasks.js';
import {
  schedulerMemory,
  schedulerRows,
  schedulerTiming,
} from '../../bench/src/scenarios/scheduler.js';
import { taskQueueRows, taskQueueTiming } from '../../bench/src/scenarios/task-queue.js';
import { jobsRows, jobsScenario } from '../../bench/src/scenarios/jobs.js';
import { driftFigures, driftRows } from '../../bench/src/scenarios/fleet-drift.js';
import { fleetEventsRows, fleetEventsScenario } from '../../bench/src/scenarios/fleet-events.js';
import { timersRows, timersScenario } from '../../bench/src/scenarios/timers.js';
import { importScenario } from '../../bench/src/scenarios/import.js';
import { summarize } from '../../bench/src/stats.js';

const TINY_MICRO = { batch: 4, time: 5, warmupTime: 0 };

describe('bench smoke', () => {
  const rows: Row[] = [];

  it('generates the same seeded DAG every time, each module on up to 3 earlier ones', () => {
    const a = generateDag(200, 7);
    expect(generateDag(200, 7)).toEqual(a);
    expect(generateDag(200, 8)).not.toEqual(a);
    a.deps.forEach((deps, i) => {
      expect(deps.length).toBeLessThanOrEqual(3);
      expect(new Set(deps).size).toBe(deps.length);
      for (const j of deps) expect(j).toBeLessThan(i);
    });
    const position = new Map(topologicalOrder(a).map((m, k) => [m, k]));
    a.deps.forEach((deps, i) => {
      for (const j of deps) expect(position.get(j)!).toBeLessThan(position.get(i)!);
    });
  });

  it.each(BOOT_CONTENDERS)(
    'boots and shuts down a tiny graph with %s, warm and cold',
    async (contender) => {
      const warm = await runWarm({ contender, n: 12, iterations: 2, warmupMs: 0 });
      expect(warm.totalMs).toHaveLength(2);
      const cold = await runCold({ contender, n: 12 });
      expect(cold.totalMs).toBeGreaterThan(0);
      rows.push({
        scenario: 'boot+shutdown warm N=1000',
        contender,
        unit: 'ms',
        summary: summarize(warm.totalMs),
      });
    },
  );

  it('dispatches events to every hook with each contender', async () => {
    const events = await eventsScenario({ hooks: 3, micro: TINY_MICRO });
    expect(events.map((r) => r.contender)).toEqual([
      'keel',
      'node EventEmitter',
      'eventemitter2 emitAsync',
      'keel',
      'eventemitter2 emitAsync',
    ]);
    expect(events[3]!.scenario).toBe('event to 3 async hooks, awaited, per trigger');
    rows.push(...events);
  });

  it('runs microtasks one at a time and in bursts', async () => {
    const micro = await microTasksScenario({ burst: 8, bigBurst: 16, micro: TINY_MICRO });
    expect(micro.filter((r) => r.contender === 'keel')).toHaveLength(6);
    rows.push(...micro);
  });

  it('schedules, cancels and fires tasks, and measures their memory', async () => {
    const timing = await schedulerTiming({ tasks: 50, rounds: 1 });
    expect(timing.fire.keel).toHaveLength(1);
    const memory = {
      keel: await schedulerMemory({ contender: 'keel', tasks: 50 }),
      setTimeout: await schedulerMemory({ contender: 'setTimeout', tasks: 50 }),
    };
    rows.push(...schedulerRows(50, timing, memory));
  });

  it('schedules, cancels and fires timers spread over a window, with setTimeout too', async () => {
    const results = {
      keel: await timersScenario({ contender: 'keel', tasks: 50, spreadMs: 100, rounds: 1 }),
      setTimeout: await timersScenario({
        contender: 'setTimeout',
        tasks: 50,
        spreadMs: 100,
        rounds: 1,
      }),
    };
    expect(results.keel.scheduleMs).toHaveLength(1);
    expect(results.setTimeout.latencyP99Ms).toBeGreaterThanOrEqual(-1);
    rows.push(...timersRows(50, 100, results));
  });

  it('imports each framework', async () => {
    expect((await importScenario({ contender: 'keel' })).importMs).toBeGreaterThan(0);
    expect((await importScenario({ contender: 'tsyringe' })).importMs).toBeGreaterThan(0);
  });

  it('drains the task queue', async () => {
    const result = await taskQueueTiming({ tasks: 50, rounds: 1 });
    rows.push(...taskQueueRows(50, result));
    expect(result.keel).toHaveLength(1);
  });

  it('runs jobs through @Job and a raw BullMQ worker in replica processes on a private redis-server', async () => {
    const result = await jobsScenario({
      jobs: 20,
      paced: 6,
      rateHz: 200,
      warmup: 4,
      rounds: 1,
      concurrencies: [2],
      processes: [2],
    });
    expect(result.skipped).toBeUndefined();
    const samples = result.samples['c=2, 2 processes']!;
    for (const contender of ['keel', 'raw bullmq'] as const) {
      expect(samples[contender]).toHaveLength(1);
      expect(samples[contender][0]!.jobsPerS).toBeGreaterThan(0);
      expect(samples[contender][0]!.nodeCpuUs).toBeGreaterThan(0);
    }
    rows.push(...jobsRows(20, result));
  }, 60_000);

  it('counts duplicates, missed slots and overlaps of fleet-task runs', () => {
    const run = (replicaId: string, dueAt: number, start: number, end = start + 5) => ({
      replicaId,
      dueAt,
      pickedAt: start - 1,
      start,
      end,
    });
    const figures = driftFigures(
      [
        run('a', 1000, 1010),
        run('b', 2000, 2020),
        run('c', 2000, 2021), // duplicate (and overlaps b's run)
        run('a', 4000, 4005), // 3000 missed
        run('b', 9000, 9001), // outside the window
      ],
      1000,
      5000,
    );
    expect(figures).toMatchObject({ runs: 4, slots: 4, duplicates: 1, missed: 1, overlaps: 1 });
    expect(figures.perReplica).toEqual({ a: 2, b: 1, c: 1 });
    expect(figures.driftMs.max).toBe(21);
    rows.push(...driftRows({ replicas: 3, windows: { keel: { durationS: 4, ...figures } } }));
  });

  it('runs fleet events through kernels and raw Streams on a private redis-server', async () => {
    const result = await fleetEventsScenario({ events: 30, paced: 20, rounds: 1, warmupRounds: 0 });
    expect(result.skipped).toBeUndefined();
    for (const mode of ['all', 'one']) {
      expect(result.samples[mode]!.keel).toHaveLength(1);
      expect(result.samples[mode]!['raw ioredis streams']).toHaveLength(1);
    }
    rows.push(...fleetEventsRows(30, result));
  }, 30_000);

  it('renders the table and checks the targets', () => {
    const table = renderTable(rows);
    expect(table).toContain('event to 3 hooks, per trigger');
    const targets = renderTargets(checkTargets(rows));
    expect(targets).toContain('triggerEvent to 10 hooks');
    expect(targets).toContain('#19 100k timers: CPU while firing');
    expect(targets).toContain('jobs c=2, 2 processes: @Job throughput within 10 % of raw BullMQ');
    expect(targets).toContain(
      '[MISS] fleet task every 1s on 3 replicas: no duplicate, no missed slot, no overlap',
    );
    expect(targets).toContain("fleet events 'one': ≥ 0.8× raw Streams throughput");
    expect(targets).toContain("fleet events 'all': trigger→hook p99 (2,000 events/s) ≤ 1.5× raw");
  });
});
