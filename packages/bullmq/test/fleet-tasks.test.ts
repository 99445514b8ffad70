import { Queue } from 'bullmq';
import { startRedisServer, type RedisServer } from '@keel/testing';
import { SCHEDULER_LEADER_LEASE, taskQueueName, type BullmqJobs } from '@keel/bullmq';
import { freshService, makeJobs, MemoryCoordinator, until, type Line } from './support/harness.js';

let redis: RedisServer;
const open: BullmqJobs[] = [];
const queues: Queue[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((j) => j.close()));
  await Promise.all(queues.splice(0).map((q) => q.close()));
});
afterAll(async () => {
  await redis.stop();
});

interface Run {
  readonly dueAt: number;
  readonly by: string;
  readonly start: number;
  end: number;
}

function fleet(service: string, ids: readonly string[], coordinator: MemoryCoordinator) {
  return ids.map((id) => {
    const made = makeJobs(redis.port, service, {
      replicaId: id,
      coordinator: coordinator.for(id),
      reconcileIntervalMs: 200,
      leaseTtlMs: 3000,
    });
    open.push(made.jobs);
    return { id, ...made };
  });
}

function scheduler(prefix: string, key: string) {
  const queue = new Queue(taskQueueName(key), {
    connection: { host: '127.0.0.1', port: redis.port },
    prefix,
  });
  queues.push(queue);
  return queue.getJobScheduler(key);
}

const upserts = (lines: Line[]): number =>
  lines.filter((l) => l['msg'] === 'fleet task scheduler upserted').length;

describe('fleet tasks on BullMQ job schedulers', () => {
  it('runs an every-1s task once per due time across 3 replicas: no duplicates, no overlap', async () => {
    const coordinator = new MemoryCoordinator();
    const replicas = fleet(freshService('tick'), ['a', 'b', 'c'], coordinator);
    const runs: Run[] = [];
    let running = 0;
    let maxRunning = 0;
    for (const r of replicas) {
      coordinator.declared.set(r.id, ['clock.tick']);
      r.jobs.scheduleTask({ key: 'clock.tick', everyMs: 1000 }, async (dueAt) => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        const run: Run = { dueAt, by: r.id, start: Date.now(), end: 0 };
        runs.push(run);
        await new Promise((res) => setTimeout(res, 30));
        run.end = Date.now();
        running -= 1;
      });
    }
    const first = await until('the first run', () => runs[0]);
    const windowMs = 7000;
    await until('the window to pass', () => Date.now() >= first.start + windowMs, windowMs + 2000);
    const inWindow = runs.filter((r) => r.start < first.start + windowMs);
    const slots = Math.floor(windowMs / 1000);
    expect(Math.abs(inWindow.length - slots)).toBeLessThanOrEqual(1);
    expect(new Set(runs.map((r) => r.dueAt)).size).toBe(runs.length);
    expect(maxRunning).toBe(1);
    for (let i = 1; i < runs.length; i += 1)
      expect(runs[i]!.start).toBeGreaterThanOrEqual(runs[i - 1]!.end);
    // Due times are the scheduler's 1 s slots.
    for (let i = 1; i < runs.length; i += 1) expect(runs[i]!.dueAt - runs[i - 1]!.dueAt).toBe(1000);
    // Only the leader upserted, once.
    const leader = coordinator.holder(SCHEDULER_LEADER_LEASE);
    expect(replicas.map((r) => [r.id, upserts(r.lines)])).toEqual(
      replicas.map((r) => [r.id, r.id === leader ? 1 : 0]),
    );
    const seen = await until('snapshot to show the task', async () => {
      await replicas[0]!.jobs.refresh();
      const task = replicas[0]!.jobs.snapshot().tasks['clock.tick'];
      return task?.nextRunAt !== undefined && task.lastRunBy !== undefined ? task : undefined;
    });
    expect(seen.nextRunAt).toBeGreaterThan(first.dueAt);
    expect(['a', 'b', 'c']).toContain(seen.lastRunBy);
  }, 20_000);

  it('skips a due time while the previous run still goes on another replica', async () => {
    const coordinator = new MemoryCoordinator();
    const replicas = fleet(freshService('slow'), ['a', 'b'], coordinator);
    const runs: Run[] = [];
    for (const r of replicas) {
      coordinator.declared.set(r.id, ['batch.slow']);
      r.jobs.scheduleTask({ key: 'batch.slow', everyMs: 250 }, async (dueAt) => {
        const run: Run = { dueAt, by: r.id, start: Date.now(), end: 0 };
        runs.push(run);
        await new Promise((res) => setTimeout(res, 40));
        await until('the slow run to pass 700 ms', () => Date.now() - run.start >= 700);
        run.end = Date.now();
      });
    }
    await until('three runs to end', () => runs.filter((r) => r.end > 0).length >= 3, 10_000);
    const ended = runs.filter((r) => r.end > 0);
    for (let i = 1; i < ended.length; i += 1)
      expect(ended[i]!.start).toBeGreaterThanOrEqual(ended[i - 1]!.end);
    // ~3 slots pass during each 700 ms run; they are skipped, not queued up.
    expect(ended.length).toBeLessThan(6);
    for (let i = 1; i < ended.length; i += 1) {
      expect(ended[i]!.dueAt - ended[i - 1]!.dueAt).toBeGreaterThanOrEqual(500);
    }
  }, 15_000);

  it('upserts only what differs and removes a scheduler only when no live replica declares it', async () => {
    const coordinator = new MemoryCoordinator();
    const service = freshService('recon');
    const [a, b] = fleet(service, ['a', 'b'], coordinator);
    coordinator.declared.set('a', ['m.a']);
    coordinator.declared.set('b', ['m.b']);
    const handleA = a!.jobs.scheduleTask(
      { key: 'm.a', cron: '0 0 * * *', timezone: 'Europe/Paris' },
      async () => undefined,
    );
    const handleB = b!.jobs.scheduleTask({ key: 'm.b', everyMs: 60_000 }, async () => undefined);
    const prefix = a!.jobs.prefix;
    await until(
      'both schedulers',
      async () => (await scheduler(prefix, 'm.a')) && (await scheduler(prefix, 'm.b')),
    );
    expect(await scheduler(prefix, 'm.a')).toMatchObject({
      pattern: '0 0 * * *',
      tz: 'Europe/Paris',
    });
    expect(Number((await scheduler(prefix, 'm.b'))?.every)).toBe(60_000);
    const leader = coordinator.holder(SCHEDULER_LEADER_LEASE) === 'a' ? a! : b!;
    // Repeated passes change nothing.
    await leader.jobs.reconcileTasks();
    await leader.jobs.reconcileTasks();
    expect(upserts(a!.lines) + upserts(b!.lines)).toBe(2);

    // B's handle closes but B still declares m.b: kept.
    await handleB.close();
    await leader.jobs.reconcileTasks();
    expect(await scheduler(prefix, 'm.b')).toBeDefined();
    // B is gone from the live replicas: removed; m.a stays.
    coordinator.declared.delete('b');
    await until('m.b removed', async () => (await scheduler(prefix, 'm.b')) === undefined);
    expect(await scheduler(prefix, 'm.a')).toBeDefined();

    // A new definition of m.a is upserted once.
    await handleA.close();
    a!.jobs.scheduleTask({ key: 'm.a', everyMs: 5000 }, async () => undefined);
    await until(
      'm.a re-defined',
      async () => Number((await scheduler(prefix, 'm.a'))?.every) === 5000,
    );
    await leader.jobs.reconcileTasks();
    expect(upserts(a!.lines) + upserts(b!.lines)).toBe(3);
  });

  it('does not remove anything while a live replica does not say what it declares', async () => {
    const coordinator = new MemoryCoordinator();
    const [a] = fleet(freshService('unknown'), ['a'], coordinator);
    coordinator.declared.set('a', ['m.x']);
    const h = a!.jobs.scheduleTask({ key: 'm.x', everyMs: 60_000 }, async () => undefined);
    await until('m.x', () => scheduler(a!.jobs.prefix, 'm.x'));
    await h.close();
    coordinator.declared.set('a', []);
    coordinator.declared.set('old', undefined);
    await a!.jobs.reconcileTasks();
    expect(await scheduler(a!.jobs.prefix, 'm.x')).toBeDefined();
    coordinator.declared.delete('old');
    await a!.jobs.reconcileTasks();
    expect(await scheduler(a!.jobs.prefix, 'm.x')).toBeUndefined();
  });
});
