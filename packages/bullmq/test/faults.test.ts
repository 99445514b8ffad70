import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '@keel/testing';
import type { BullmqJobs, FleetJobHandlerLike } from './support/types.js';
import { freshService, makeJobs, until } from './support/harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const NO_RETRY = {
  concurrency: 1,
  attempts: 1,
  backoff: { type: 'fixed', delayMs: 0 },
  timeoutMs: undefined,
} as const;

let redis: RedisServer;
const open: BullmqJobs[] = [];
const children: ChildProcess[] = [];

function jobsFor(service: string, replicaId: string, slowLocks = false): BullmqJobs {
  // Short locks make a killed consumer's job come back fast, but a busy event loop (3
  // consumers and a producer in one process) would lose them: the 10k run uses BullMQ's.
  const locks = slowLocks ? { lockDurationMs: 30_000, stalledIntervalMs: 30_000 } : {};
  const { jobs } = makeJobs(redis.port, service, { replicaId, ...locks });
  open.push(jobs);
  return jobs;
}

beforeAll(async () => {
  redis = await startRedisServer();
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(open.splice(0).map((j) => j.close()));
});
afterAll(async () => {
  await redis.stop();
});

/** Output lines of a child, as they arrive. */
function linesOf(child: ChildProcess): string[] {
  const lines: string[] = [];
  let rest = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop() ?? '';
    lines.push(...parts);
  });
  return lines;
}

describe('BullmqJobs under faults', () => {
  it('reruns a job exactly once elsewhere when its consumer process is SIGKILLed mid-job', async () => {
    const fixture = join(here, 'fixtures', 'consumer.mjs');
    const built = join(here, '..', 'dist', 'index.js');
    if (!existsSync(built)) throw new Error(`build first (npx tsc -b): ${built} is missing`);
    const service = freshService('kill');
    const child = spawn(process.execPath, [fixture, String(redis.port), service, 'child'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const out = linesOf(child);
    await until('the child to be ready', () => out.includes('ready'));
    const producer = jobsFor(service, 'p');
    await producer.enqueue('work', '{"n":1}', { jobId: 'job-1' });
    await until('the child to start job-1', () => out.includes('started job-1'));
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;

    const reruns: string[] = [];
    const survivor = jobsFor(service, 'survivor');
    survivor.consume('work', NO_RETRY, async (job) => {
      reruns.push(`${job.id}#${job.attempt}`);
    });
    await until('the survivor to rerun job-1', () => reruns.length > 0, 10_000);
    // Several stalled-check rounds later it still ran once.
    const settled = Date.now() + 2000;
    await until('a few stalled checks to pass', () => Date.now() > settled);
    await survivor.refresh();
    expect(reruns).toEqual(['job-1#1']);
    expect(survivor.snapshot().queues['work']).toMatchObject({
      completed: 1,
      active: 0,
      waiting: 0,
      failed: 0,
    });
  }, 20_000);

  it('lets a SIGTERMed consumer process finish its job within the grace: done once, nothing stalls', async () => {
    const fixture = join(here, 'fixtures', 'consumer.mjs');
    const service = freshService('term');
    const child = spawn(
      process.execPath,
      [fixture, String(redis.port), service, 'child', 'graceful'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    children.push(child);
    const out = linesOf(child);
    await until('the child to be ready', () => out.includes('ready'));
    const producer = jobsFor(service, 'p');
    await producer.enqueue('work', '{}', { jobId: 'job-t' });
    await until('the child to start job-t', () => out.includes('started job-t'));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('closed');

    const reruns: string[] = [];
    const survivor = jobsFor(service, 'survivor');
    survivor.consume('work', NO_RETRY, async (job) => {
      reruns.push(job.id);
    });
    const settled = Date.now() + 2000;
    await until('a few stalled checks to pass', () => Date.now() > settled);
    await survivor.refresh();
    expect(reruns).toEqual([]);
    expect(survivor.snapshot().queues['work']).toMatchObject({
      completed: 1,
      active: 0,
      waiting: 0,
      failed: 0,
    });
  }, 20_000);

  it('resumes on its own after a Redis restart and after CLIENT KILL', async () => {
    const service = freshService('blip');
    const jobs = jobsFor(service, 'r');
    const done: string[] = [];
    jobs.consume('work', NO_RETRY, async (job) => {
      done.push(job.id);
    });
    const enqueueWhenBack = (id: string): Promise<unknown> =>
      until(
        `enqueue of ${id}`,
        () => jobs.enqueue('work', '{}', { jobId: id }).catch(() => undefined),
        15_000,
      );
    await enqueueWhenBack('before');
    await until('the first job', () => done.includes('before'));

    await redis.restart();
    await enqueueWhenBack('after-restart');
    await until('a job after the restart', () => done.includes('after-restart'), 15_000);

    const admin = new Redis(redis.port, '127.0.0.1');
    try {
      const killed = await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      expect(Number(killed)).toBeGreaterThanOrEqual(2); // the worker's blocking and command links at least
    } finally {
      admin.disconnect();
    }
    await enqueueWhenBack('after-kill');
    await until('a job after CLIENT KILL', () => done.includes('after-kill'), 15_000);
    expect(done).toEqual(['before', 'after-restart', 'after-kill']);
  }, 45_000);

  it('runs 10,000 jobs through 3 consumers, every id exactly once', async () => {
    const service = freshService('bulk');
    const consumers = ['a', 'b', 'c'].map((id) => jobsFor(service, id, true));
    const runs = new Map<string, number>();
    const handler: FleetJobHandlerLike = async (job) => {
      runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
    };
    for (const c of consumers) c.consume('bulk', { ...NO_RETRY, concurrency: 50 }, handler);
    const total = 10_000;
    for (let i = 0; i < total; i += 500) {
      await Promise.all(
        Array.from({ length: 500 }, (_, k) =>
          consumers[k % 3]!.enqueue('bulk', '{}', { jobId: `j-${i + k}` }),
        ),
      );
    }
    await until('every job run', () => runs.size === total, 60_000);
    const settled = Date.now() + 500;
    await until('late duplicates to show', () => Date.now() > settled);
    const twice = [...runs].filter(([, n]) => n !== 1);
    expect(runs.size).toBe(total);
    expect(twice).toEqual([]);
  }, 70_000);
});
