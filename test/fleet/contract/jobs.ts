import type { FleetConsumerSpec, FleetJob } from '@keel/core';
import { deferred, uniqueName } from './harness.js';
import type { ContractScope } from './scope.js';

interface Ran extends FleetJob {
  readonly replica: string;
  readonly at: number;
}

/** Jobs: attempts, backoff, idempotent ids, priorities, hand-back, stall recovery. */
export function describeJobScenarios(s: ContractScope): void {
  const spec = (extra: Partial<FleetConsumerSpec> = {}): FleetConsumerSpec => ({
    concurrency: 1,
    attempts: 1,
    backoff: { type: 'fixed', delayMs: s.timings.backoffMs },
    timeoutMs: undefined,
    ...extra,
  });
  const soon = (): number => s.timings.backoffMs;

  describe('jobs', () => {
    it('retries a failing job after fixed backoff until it succeeds', async () => {
      const a = await s.replica('a');
      const queue = uniqueName('invoices');
      const ran: Ran[] = [];
      a.conn.consume(queue, spec({ attempts: 3 }), async (job) => {
        ran.push({ ...job, replica: 'a', at: s.fleet.clock.now() });
        if (job.attempt < 3) throw new Error(`fail ${job.attempt}`);
      });
      const id = await a.conn.enqueue(queue, '{"n":1}', {});
      await s.waitUntil(() => ran.length >= 3, s.timings.backoffMs * 3, 'three attempts');
      const counts = (): number => a.conn.snapshot().queues[queue]?.completed ?? 0;
      await s.waitUntil(() => counts() === 1, soon(), 'completion');
      expect(ran.map((r) => [r.id, r.attempt, r.data])).toEqual([
        [id, 1, '{"n":1}'],
        [id, 2, '{"n":1}'],
        [id, 3, '{"n":1}'],
      ]);
      expect(ran[1]!.at - ran[0]!.at).toBeGreaterThanOrEqual(s.timings.backoffMs);
      expect(ran[2]!.at - ran[1]!.at).toBeGreaterThanOrEqual(s.timings.backoffMs);
      expect(ran.every((r) => r.queue === queue && r.enqueuedAt <= ran[0]!.at)).toBe(true);
      expect(a.conn.snapshot().queues[queue]).toMatchObject({ failed: 0, waiting: 0, active: 0 });
    });

    it('exponential backoff doubles; an exhausted job is failed and kept with its error', async () => {
      const a = await s.replica('a');
      const queue = uniqueName('exports');
      const ran: Ran[] = [];
      a.conn.consume(
        queue,
        spec({ attempts: 3, backoff: { type: 'exponential', delayMs: s.timings.backoffMs } }),
        async (job) => {
          ran.push({ ...job, replica: 'a', at: s.fleet.clock.now() });
          throw new Error(`disk full (attempt ${job.attempt})`);
        },
      );
      const id = await a.conn.enqueue(queue, '{}', {});
      const failed = (): number => a.conn.snapshot().queues[queue]?.failed ?? 0;
      await s.waitUntil(() => failed() === 1, s.timings.backoffMs * 4, 'the job to fail');
      await s.advance(s.timings.backoffMs * 4);
      expect(ran.map((r) => r.attempt)).toEqual([1, 2, 3]);
      expect(ran[1]!.at - ran[0]!.at).toBeGreaterThanOrEqual(s.timings.backoffMs);
      expect(ran[2]!.at - ran[1]!.at).toBeGreaterThanOrEqual(s.timings.backoffMs * 2);
      const q = a.conn.snapshot().queues[queue]!;
      expect(q).toMatchObject({ failed: 1, completed: 0, waiting: 0, active: 0, delayed: 0 });
      expect(q.lastFailures).toHaveLength(1);
      expect(q.lastFailures[0]!.id).toBe(id);
      expect(q.lastFailures[0]!.error).toContain('disk full (attempt 3)');
    });

    it('jobId makes enqueue idempotent: the same id back and one run', async () => {
      const [a, b] = [await s.replica('a'), await s.replica('b')];
      const queue = uniqueName('emails');
      const jobId = uniqueName('welcome');
      expect(await a.conn.enqueue(queue, '"first"', { jobId })).toBe(jobId);
      expect(await b.conn.enqueue(queue, '"second"', { jobId })).toBe(jobId);
      const ran: Ran[] = [];
      a.conn.consume(queue, spec(), async (job) => void ran.push({ ...job, replica: 'a', at: 0 }));
      await s.waitUntil(() => ran.length >= 1, soon(), 'the run');
      const done = (): number => a.conn.snapshot().queues[queue]?.completed ?? 0;
      await s.waitUntil(() => done() === 1, soon(), 'completion');
      expect(await b.conn.enqueue(queue, '"third"', { jobId })).toBe(jobId); // kept when completed
      await s.advance(soon());
      expect(ran.map((r) => [r.id, r.data])).toEqual([[jobId, '"first"']]);
      const other = await a.conn.enqueue(queue, '"x"', {});
      expect(other).not.toBe(jobId);
    });

    it('lower priority numbers run first; a delayed job waits for its delay', async () => {
      const a = await s.replica('a');
      const queue = uniqueName('thumbnails');
      await a.conn.enqueue(queue, '"p3"', { priority: 3 });
      await a.conn.enqueue(queue, '"p1"', { priority: 1 });
      await a.conn.enqueue(queue, '"p2"', { priority: 2 });
      await a.conn.enqueue(queue, '"late"', { delayMs: s.timings.backoffMs * 3 });
      await s.waitUntil(() => a.conn.snapshot().queues[queue]?.waiting === 3, soon(), 'counts');
      expect(a.conn.snapshot().queues[queue]).toMatchObject({ waiting: 3, delayed: 1 });
      const ran: string[] = [];
      const start = s.fleet.clock.now();
      let lateAt = 0;
      a.conn.consume(queue, spec(), async (job) => {
        ran.push(job.data);
        if (job.data === '"late"') lateAt = s.fleet.clock.now();
      });
      await s.waitUntil(() => ran.length >= 4, s.timings.backoffMs * 3, 'four runs');
      expect(ran).toEqual(['"p1"', '"p2"', '"p3"', '"late"']);
      expect(lateAt - start).toBeGreaterThanOrEqual(s.timings.backoffMs * 2);
    });

    it('runs at most `concurrency` at once per consumer; each job is taken by one consumer', async () => {
      const [a, b] = [await s.replica('a'), await s.replica('b')];
      const queue = uniqueName('resize');
      const running = { a: 0, b: 0 };
      const peak = { a: 0, b: 0 };
      const ran: Ran[] = [];
      for (const r of [a, b]) {
        const key = r.id as 'a' | 'b';
        r.conn.consume(queue, spec({ concurrency: 2 }), async (job) => {
          running[key]++;
          peak[key] = Math.max(peak[key], running[key]);
          ran.push({ ...job, replica: key, at: 0 });
          await new Promise<void>((resolve) => s.fleet.clock.setTimeout(resolve, 20));
          running[key]--;
        });
      }
      const ids = new Set<string>();
      for (let i = 0; i < 12; i++) ids.add(await a.conn.enqueue(queue, String(i), {}));
      const done = (): number => a.conn.snapshot().queues[queue]?.completed ?? 0;
      await s.waitUntil(() => done() === 12, s.timings.backoffMs * 10, 'twelve completions');
      expect(ran).toHaveLength(12);
      expect(new Set(ran.map((r) => r.id))).toEqual(ids);
      expect(peak.a).toBeLessThanOrEqual(2);
      expect(peak.b).toBeLessThanOrEqual(2);
    });

    it('a timed-out attempt has its signal aborted and is retried', async () => {
      const a = await s.replica('a');
      const queue = uniqueName('crawl');
      const timeoutMs = s.timings.backoffMs;
      const aborted: number[] = [];
      const attempts: number[] = [];
      a.conn.consume(queue, spec({ attempts: 2, timeoutMs }), async (job, signal) => {
        attempts.push(job.attempt);
        if (job.attempt === 1) {
          await new Promise<void>((resolve) => {
            signal.addEventListener('abort', () => {
              aborted.push(job.attempt);
              resolve();
            });
          });
        }
      });
      await a.conn.enqueue(queue, '{}', {});
      const done = (): number => a.conn.snapshot().queues[queue]?.completed ?? 0;
      await s.waitUntil(() => done() === 1, timeoutMs * 2 + s.timings.backoffMs, 'completion');
      expect(attempts).toEqual([1, 2]);
      expect(aborted).toEqual([1]);
    });

    it('close(grace) waits, then aborts and hands the job back without counting an attempt', async () => {
      const [a, b] = [await s.replica('a'), await s.replica('b')];
      const queue = uniqueName('transcode');
      const graceMs = s.timings.backoffMs;
      let abortedOnA = false;
      const started = deferred();
      const consumer = a.conn.consume(queue, spec({ attempts: 3 }), async (_job, signal) => {
        started.resolve();
        await new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => {
            abortedOnA = true;
            resolve();
          });
        });
        throw new Error('aborted');
      });
      const id = await b.conn.enqueue(queue, '"movie"', {});
      await started.promise;
      let closed = false;
      const closing = consumer.close(graceMs).then(() => (closed = true));
      await s.advance(graceMs / 2);
      expect(closed).toBe(false);
      await s.waitUntil(() => closed, graceMs, 'close');
      await closing;
      expect(abortedOnA).toBe(true);
      const ranOnB: FleetJob[] = [];
      b.conn.consume(queue, spec({ attempts: 3 }), async (job) => void ranOnB.push(job));
      await s.waitUntil(() => ranOnB.length >= 1, soon(), 'the run on b');
      expect(ranOnB[0]).toMatchObject({ id, attempt: 1, data: '"movie"' });
      await s.advance(soon());
      expect(a.conn.snapshot().queues[queue]).toMatchObject({ completed: 1, failed: 0 });
    });

    it("a killed replica's running job runs again elsewhere after the stall interval", async () => {
      const [a, b] = [await s.replica('a'), await s.replica('b')];
      const queue = uniqueName('payments');
      const startedOnA = deferred();
      const never = deferred();
      a.conn.consume(queue, spec(), async () => {
        startedOnA.resolve();
        await never.promise;
      });
      const id = await b.conn.enqueue(queue, '{"amount":5}', {});
      await startedOnA.promise;
      const ranOnB: FleetJob[] = [];
      b.conn.consume(queue, spec(), async (job) => void ranOnB.push(job));
      await s.fleet.kill('a');
      await s.advance(s.timings.stepMs * 3);
      expect(ranOnB).toHaveLength(0); // its lock still holds
      await s.waitUntil(() => ranOnB.length >= 1, s.timings.stalledMs * 2, 'the rerun on b');
      expect(ranOnB[0]).toMatchObject({ id, data: '{"amount":5}' });
      never.resolve();
      await s.advance(soon());
      expect(ranOnB).toHaveLength(1);
      expect(b.conn.snapshot().queues[queue]).toMatchObject({ completed: 1, active: 0 });
    });
  });
}
