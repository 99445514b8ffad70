import { Redis } from 'ioredis';
import { isKeelError, type FleetJob } from '@keel/core';
import { startRedisServer, type RedisServer } from '@keel/testing';
import { JobHandedBackError, JobTimeoutError, type BullmqJobs } from '@keel/bullmq';
import { freshService, gate, makeJobs, MemoryCoordinator, until } from './support/harness.js';

const NO_RETRY = {
  concurrency: 1,
  attempts: 1,
  backoff: { type: 'fixed', delayMs: 0 },
  timeoutMs: undefined,
} as const;

let redis: RedisServer;
const open: BullmqJobs[] = [];

function jobsFor(service: string, replicaId = 'r1'): BullmqJobs {
  const { jobs } = makeJobs(redis.port, service, { replicaId });
  open.push(jobs);
  return jobs;
}

beforeAll(async () => {
  redis = await startRedisServer();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((j) => j.close()));
});
afterAll(async () => {
  await redis.stop();
});

describe('BullmqJobs against a real Redis', () => {
  it('runs a failing job exactly `attempts` times with fixed backoff spacing, then keeps it failed and visible', async () => {
    const jobs = jobsFor(freshService('fail'));
    const starts: number[] = [];
    const attempts: number[] = [];
    const consumer = jobs.consume(
      'mail',
      {
        concurrency: 1,
        attempts: 3,
        backoff: { type: 'fixed', delayMs: 300 },
        timeoutMs: undefined,
      },
      async (job) => {
        starts.push(Date.now());
        attempts.push(job.attempt);
        throw new Error(`smtp down (attempt ${job.attempt})`);
      },
    );
    const id = await jobs.enqueue('mail', JSON.stringify({ to: 'a@b' }));
    const failed = await until('the job to be failed', async () => {
      await jobs.refresh();
      const view = jobs.snapshot().queues['mail'];
      return view !== undefined && view.failed === 1 ? view : undefined;
    });
    expect(attempts).toEqual([1, 2, 3]);
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(290);
    expect(failed.lastFailures).toEqual([
      { id, error: 'smtp down (attempt 3)', at: expect.any(Number) },
    ]);
    expect(failed.waiting + failed.active + failed.delayed).toBe(0);
    await consumer.close(1000);
    expect(attempts).toHaveLength(3); // nothing more after it failed
  });

  it('spaces exponential retries from the configured delay', async () => {
    const jobs = jobsFor(freshService('expo'));
    const starts: number[] = [];
    jobs.consume(
      'q',
      {
        concurrency: 1,
        attempts: 3,
        backoff: { type: 'exponential', delayMs: 200 },
        timeoutMs: undefined,
      },
      async () => {
        starts.push(Date.now());
        throw new Error('no');
      },
    );
    await jobs.enqueue('q', '{}');
    await until('three attempts', () => starts.length === 3);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(190);
    expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(390);
  });

  it('makes enqueue idempotent by jobId: one job, one run', async () => {
    const jobs = jobsFor(freshService('idem'));
    const producer = jobsFor(jobs.prefix.split(':')[1]!, 'r2');
    const runs: FleetJob[] = [];
    jobs.consume('q', NO_RETRY, async (job) => {
      runs.push(job);
    });
    const a = await producer.enqueue('q', JSON.stringify({ n: 1 }), { jobId: 'invoice-7' });
    const b = await producer.enqueue('q', JSON.stringify({ n: 2 }), { jobId: 'invoice-7' });
    expect([a, b]).toEqual(['invoice-7', 'invoice-7']);
    await until('the job to complete', async () => {
      await jobs.refresh();
      return jobs.snapshot().queues['q']?.completed === 1;
    });
    const c = await producer.enqueue('q', JSON.stringify({ n: 3 }), { jobId: 'invoice-7' });
    expect(c).toBe('invoice-7');
    await jobs.refresh();
    expect(jobs.snapshot().queues['q']).toMatchObject({ completed: 1, waiting: 0, active: 0 });
    expect(runs.map((r) => [r.id, r.data, r.attempt])).toEqual([['invoice-7', '{"n":1}', 1]]);
  });

  it('aborts the signal when an attempt times out and fails the attempt', async () => {
    const jobs = jobsFor(freshService('timeout'));
    const reasons: unknown[] = [];
    jobs.consume('slow', { ...NO_RETRY, timeoutMs: 150 }, (_job, signal) => {
      // Never settles by itself: the timeout must end the attempt.
      return new Promise<void>(() =>
        signal.addEventListener('abort', () => reasons.push(signal.reason)),
      );
    });
    const started = Date.now();
    await jobs.enqueue('slow', '"x"');
    const failures = await until('the timed-out attempt to fail', async () => {
      await jobs.refresh();
      const view = jobs.snapshot().queues['slow'];
      return view?.failed === 1 ? view.lastFailures : undefined;
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(JobTimeoutError);
    expect(failures[0]!.error).toMatch(/timed out after 150 ms \(attempt 1\)/);
  });

  it('creates no signal for a handler that never reads it, and still fails a timed-out attempt', async () => {
    const jobs = jobsFor(freshService('unread'));
    const stop = new AbortController();
    const got: { job: FleetJob; signal: AbortSignal }[] = [];
    jobs.consume(
      'unread',
      { ...NO_RETRY, timeoutMs: 150, signal: stop.signal, handlerReadsSignal: false },
      (job, signal) => {
        got.push({ job, signal });
        return new Promise<void>(() => {}); // never settles: the timeout ends the attempt
      },
    );
    const started = Date.now();
    await jobs.enqueue('unread', '{"n":1}', {}, { n: 1 });
    const failures = await until('the timed-out attempt to fail', async () => {
      await jobs.refresh();
      const view = jobs.snapshot().queues['unread'];
      return view?.failed === 1 ? view.lastFailures : undefined;
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(failures[0]!.error).toMatch(/timed out after 150 ms/);
    expect(got).toHaveLength(1);
    // The module's signal stands in for the attempt's: nothing per job to abort.
    expect(got[0]!.signal).toBe(stop.signal);
    expect(got[0]!.signal.aborted).toBe(false);
    // The parsed data is handed over; its JSON text is still there for who reads it.
    expect(got[0]!.job.value).toEqual({ n: 1 });
    expect(JSON.parse(got[0]!.job.data)).toEqual({ n: 1 });
  });

  it("takes the caller's value only while it serialises it at once, else the JSON text", async () => {
    const service = freshService('value');
    const consumer = jobsFor(service);
    const seen: unknown[] = [];
    consumer.consume('v', { ...NO_RETRY, concurrency: 2 }, (job) => {
      seen.push(job.value);
      return Promise.resolve();
    });
    // Its policy is known here (consumed): BullMQ serialises the value before enqueue returns.
    const value = { n: 1 };
    const first = consumer.enqueue('v', '{"n":1}', {}, value);
    value.n = 99; // a caller changing its object after the call does not change the job
    await first;
    // A producer-only replica reads the policy first (an await): it must use the text.
    const producer = jobsFor(service, 'r2');
    const other = { n: 2 };
    const second = producer.enqueue('v', '{"n":2}', {}, other);
    other.n = 98;
    await second;
    await until('both jobs ran', () => seen.length === 2);
    expect(seen).toEqual(expect.arrayContaining([{ n: 1 }, { n: 2 }]));
  });

  it('close(grace) lets quick jobs finish, hands slow ones back, and another consumer runs them', async () => {
    const service = freshService('handback');
    const a = jobsFor(service, 'a');
    const b = jobsFor(service, 'b');
    const quickDone = gate();
    const ranOnA: string[] = [];
    const abortedOnA: unknown[] = [];
    const consumerA = a.consume('work', { ...NO_RETRY, concurrency: 2 }, async (job, signal) => {
      ranOnA.push(job.id);
      if (job.id === 'quick') {
        await new Promise((r) => setTimeout(r, 20));
        quickDone.open();
        return;
      }
      await new Promise<void>((resolve) =>
        signal.addEventListener('abort', () => {
          abortedOnA.push(signal.reason);
          resolve();
        }),
      );
    });
    await a.enqueue('work', '{}', { jobId: 'slow' });
    await a.enqueue('work', '{}', { jobId: 'quick' });
    await until('both jobs running on A', () => ranOnA.length === 2);
    const closing = consumerA.close(300);
    await quickDone.promise;
    await closing;
    expect(abortedOnA).toHaveLength(1);
    expect(abortedOnA[0]).toBeInstanceOf(JobHandedBackError);

    const ranOnB: FleetJob[] = [];
    b.consume('work', NO_RETRY, async (job) => {
      ranOnB.push(job);
    });
    await until('B to finish the handed-back job', () => ranOnB.length === 1);
    // Handing back costs no attempt: B runs it as attempt 1 of 1 and it completes.
    expect(ranOnB.map((j) => [j.id, j.attempt])).toEqual([['slow', 1]]);
    await until('both completed', async () => {
      await b.refresh();
      return b.snapshot().queues['work']?.completed === 2;
    });
    expect(ranOnA.sort()).toEqual(['quick', 'slow']);
  });

  it('gives a producer-only replica the retry policy its consumer declared', async () => {
    const service = freshService('policy');
    const consumerSide = jobsFor(service, 'c');
    const producerSide = jobsFor(service, 'p');
    const tries: number[] = [];
    consumerSide.consume(
      'q',
      {
        concurrency: 1,
        attempts: 2,
        backoff: { type: 'fixed', delayMs: 50 },
        timeoutMs: undefined,
      },
      async (job) => {
        tries.push(job.attempt);
        throw new Error('boom');
      },
    );
    const raw = new Redis(redis.port, '127.0.0.1');
    try {
      await until('the policy to be in Redis', () =>
        raw.get(`${consumerSide.prefix}:q:keel-policy`),
      );
    } finally {
      raw.disconnect();
    }
    await producerSide.enqueue('q', '{}');
    await until('two tries', () => tries.length === 2);
    await until('failed', async () => {
      await consumerSide.refresh();
      return consumerSide.snapshot().queues['q']?.failed === 1;
    });
    expect(tries).toEqual([1, 2]);
  });

  it('refuses bad input with coded errors naming the culprit', async () => {
    const jobs = jobsFor(freshService('bad'));
    const codeOf = async (p: Promise<unknown>): Promise<string> =>
      p.then(
        () => 'resolved',
        (e: unknown) => (isKeelError(e) ? `${e.code}: ${e.message}` : String(e)),
      );
    expect(await codeOf(jobs.enqueue('q', '{not json'))).toMatch(/^E_JOB_DATA: .*"q"/);
    expect(await codeOf(jobs.enqueue('q', '{}', { jobId: '42' }))).toMatch(
      /^E_INVALID_OPTION: .*jobId "42"/,
    );
    expect(await codeOf(jobs.enqueue('q', '{}', { priority: -1 }))).toMatch(
      /^E_INVALID_OPTION: .*priority/,
    );
    expect(await codeOf(jobs.enqueue('keel-task.x', '{}'))).toMatch(/^E_INVALID_OPTION: .*keel-/);
    expect(await codeOf(jobs.enqueue('a:b', '{}'))).toMatch(/^E_INVALID_OPTION: .*queue name/);
    expect(() => jobs.consume('q', { ...NO_RETRY, concurrency: 0 }, async () => undefined)).toThrow(
      /concurrency must be an integer >= 1/,
    );
    expect(() => jobs.consume('q', { ...NO_RETRY, attempts: 0 }, async () => undefined)).toThrow(
      /attempts must be an integer >= 1/,
    );
    expect(() => jobs.scheduleTask({ key: 'm.t', everyMs: 1000 }, async () => undefined)).toThrow(
      /no coordinator/,
    );
  });

  it('releases every Redis connection on close, workers and task workers included', async () => {
    const admin = new Redis(redis.port, '127.0.0.1');
    const clients = async (): Promise<number> =>
      String(await admin.client('LIST'))
        .split('\n')
        .filter((l) => l.includes('addr=')).length;
    try {
      const before = await clients();
      const coordinator = new MemoryCoordinator();
      const { jobs } = makeJobs(redis.port, freshService('leak'), {
        coordinator: coordinator.for('r1'),
      });
      await jobs.start();
      const consumer = jobs.consume('q', NO_RETRY, async () => undefined);
      jobs.scheduleTask({ key: 'm.t', everyMs: 60_000 }, async () => undefined);
      await jobs.enqueue('q', '{}');
      await until('connections opened', async () => (await clients()) >= before + 4);
      await consumer.close(100);
      await jobs.close();
      await until('every connection closed', async () => (await clients()) === before, 5000);
    } finally {
      admin.disconnect();
    }
  });

  it("fails an enqueue after the connection's commandTimeout while Redis holds the reply, with one timer for all", async () => {
    const { jobs } = makeJobs(redis.port, freshService('held'), {
      connection: { host: '127.0.0.1', port: redis.port, commandTimeout: 200 },
      statsIntervalMs: 60_000,
    });
    open.push(jobs);
    await jobs.declareQueue('held', { attempts: 1, backoff: { type: 'fixed', delayMs: 0 } });
    await jobs.enqueue('held', '{"n":0}'); // connected, scripts loaded
    const admin = new Redis(redis.port, '127.0.0.1');
    const timers = (): number =>
      process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    try {
      const before = timers();
      await admin.client('PAUSE', 800, 'ALL');
      const started = Date.now();
      const held = Array.from({ length: 50 }, (_, n) =>
        jobs.enqueue('held', JSON.stringify({ n })).then(
          () => undefined,
          (err: Error) => err,
        ),
      );
      // ioredis' own commandTimeout would arm 50 timers here; the watchdog arms one.
      expect(timers() - before).toBeLessThan(5);
      const errors = await Promise.all(held);
      const took = Date.now() - started;
      expect(errors.every((e) => e?.message === 'Command timed out')).toBe(true);
      expect(took).toBeGreaterThanOrEqual(199);
      expect(took).toBeLessThan(700);
      await admin.client('UNPAUSE');
      expect(await jobs.enqueue('held', '{"n":99}')).not.toBe('');
    } finally {
      admin.disconnect();
    }
  });

  it('warns at start when maxmemory-policy is not noeviction, and not when it is', async () => {
    const evicting = await startRedisServer({ args: ['--maxmemory-policy', 'allkeys-lru'] });
    try {
      const bad = makeJobs(evicting.port, freshService('mm'));
      const good = makeJobs(redis.port, freshService('mm'));
      await Promise.all([bad.jobs.start(), good.jobs.start()]);
      await Promise.all([bad.jobs.close(), good.jobs.close()]);
      const warned = (lines: Record<string, unknown>[]): unknown[] =>
        lines.filter((l) => l['level'] === 'warn' && l['maxmemoryPolicy'] !== undefined);
      expect(warned(bad.lines)).toEqual([
        expect.objectContaining({
          maxmemoryPolicy: 'allkeys-lru',
          msg: expect.stringMatching(/noeviction/),
        }),
      ]);
      expect(warned(good.lines)).toEqual([]);
    } finally {
      await evicting.stop();
    }
  });
});
