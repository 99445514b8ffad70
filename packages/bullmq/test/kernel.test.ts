import {
  Job,
  Kernel,
  Module,
  ModuleContext,
  Task,
  type JobInfo,
  type ModuleError,
} from '@keel/core';
import { startRedisServer, type RedisServer } from '@keel/testing';
import { bullmqFleet } from '@keel/bullmq';
import { freshService, memoryLogger, until } from './support/harness.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});

describe('bullmqFleet() under a real kernel', () => {
  it('runs @Job handlers and a fleet: once task across two replicas, visible in inspect()', async () => {
    const service = freshService('kernel');
    const handled: { id: string; attempt: number; by: string; data: unknown }[] = [];
    const ticks: { by: string; at: number }[] = [];
    const errors: ModuleError[] = [];

    const replica = (by: string): Kernel => {
      @Module({ name: 'billing' })
      class Billing {
        constructor(readonly ctx: ModuleContext) {}
        @Job({
          queue: 'invoices',
          concurrency: 2,
          attempts: 2,
          backoff: { type: 'fixed', delay: '50ms' },
        })
        render(data: { n: number }, _signal: AbortSignal, job: JobInfo) {
          handled.push({ id: job.id, attempt: job.attempt, by, data });
          if (data.n === 3 && job.attempt === 1) throw new Error('first try fails');
        }
        @Task({ every: '1s', fleet: 'once' })
        tick() {
          ticks.push({ by, at: Date.now() });
        }
      }
      const kernel = Kernel.create({
        modules: [Billing],
        logger: memoryLogger().logger,
        fleet: bullmqFleet({
          url: redis.url,
          service,
          replicaId: by,
          statsInterval: '100ms',
          reconcileInterval: '200ms',
        }),
      });
      kernel.on('error', (e) => errors.push(e));
      return kernel;
    };
    const a = replica('a');
    const b = replica('b');
    await Promise.all([a.start(), b.start()]);
    try {
      const ctx = (a.module('billing').instance as { ctx: ModuleContext }).ctx;
      for (const n of [1, 2, 3]) await ctx.fleet.enqueue('invoices', { n }, { jobId: `inv-${n}` });
      await until(
        'three jobs done',
        () => new Set(handled.map((h) => h.id)).size === 3 && handled.length === 4,
      );
      expect(handled.filter((h) => h.id === 'inv-3').map((h) => h.attempt)).toEqual([1, 2]);
      const view = await until('counts in inspect()', () => {
        const q = a.inspect().fleet.queues?.['invoices'];
        return q?.completed === 3 ? q : undefined;
      });
      expect(view).toMatchObject({ waiting: 0, active: 0, failed: 0 });
      expect(a.inspect().fleet.provider).toBe('bullmq');

      await until('three ticks', () => ticks.length >= 3, 6000);
      // Once per 1 s due time across both replicas (twice would double the count).
      const spanMs = ticks[ticks.length - 1]!.at - ticks[0]!.at;
      expect(ticks.length).toBeLessThanOrEqual(Math.floor(spanMs / 1000) + 2);
      const task = await until('the task in inspect()', () => {
        const t = a.inspect().fleet.tasks?.['billing.tick'];
        return t?.lastRunBy !== undefined ? t : undefined;
      });
      expect(['a', 'b']).toContain(task.lastRunBy);
    } finally {
      await Promise.all([a.shutdown(), b.shutdown()]);
    }
    // The failed first try of inv-3 is the only error.
    expect(errors.map((e) => `${e.module} ${e.taskType}: ${e.message}`)).toEqual([
      expect.stringMatching(/^billing job: .*first try fails/),
    ]);
  }, 20_000);
  it("aborts a running job's signal when its module stops (the engine links it to the module's)", async () => {
    const service = freshService('stop');
    const reasons: unknown[] = [];
    let running = 0;
    @Module({ name: 'worker' })
    class Worker {
      constructor(readonly ctx: ModuleContext) {}
      @Job({ queue: 'slow', concurrency: 2 })
      async work(_data: unknown, signal: AbortSignal) {
        running += 1;
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        reasons.push(signal.reason);
      }
    }
    const errors: ModuleError[] = [];
    const kernel = Kernel.create({
      modules: [Worker],
      logger: memoryLogger().logger,
      fleet: bullmqFleet({ url: redis.url, service, replicaId: 'a' }),
    });
    kernel.on('error', (e) => errors.push(e));
    await kernel.start();
    const ctx = (kernel.module('worker').instance as { ctx: ModuleContext }).ctx;
    await ctx.fleet.enqueue('slow', 1);
    await ctx.fleet.enqueue('slow', 2);
    await until('both jobs running', () => running === 2);
    await kernel.shutdown();
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toBe(reasons[1]);
    expect(reasons[0]).toBeDefined();
    expect(errors).toEqual([]);
  }, 20_000);

  it('calls a data-only @Job method with its data alone, as enqueued (changes after enqueue do not count)', async () => {
    const service = freshService('data-only');
    const calls: { data: unknown; args: number }[] = [];
    @Module({ name: 'worker' })
    class Worker {
      constructor(readonly ctx: ModuleContext) {}
      @Job({ queue: 'plain', concurrency: 2 })
      work(data: { n: number; tags: string[] }) {
        calls.push({ data, args: arguments.length });
      }
    }
    const errors: ModuleError[] = [];
    const kernel = Kernel.create({
      modules: [Worker],
      logger: memoryLogger().logger,
      fleet: bullmqFleet({ url: redis.url, service, replicaId: 'a' }),
    });
    kernel.on('error', (e) => errors.push(e));
    await kernel.start();
    try {
      const ctx = (kernel.module('worker').instance as { ctx: ModuleContext }).ctx;
      const data = { n: 1, tags: ['a'], skipped: undefined, at: new Date(0) };
      const added = ctx.fleet.enqueue('plain', data);
      data.n = 2;
      data.tags.push('b');
      await added;
      await until('the job ran', () => calls.length === 1);
      expect(calls[0]).toEqual({
        data: { n: 1, tags: ['a'], at: '1970-01-01T00:00:00.000Z' },
        args: 1,
      });
    } finally {
      await kernel.shutdown();
    }
    expect(errors).toEqual([]);
  }, 20_000);
});
