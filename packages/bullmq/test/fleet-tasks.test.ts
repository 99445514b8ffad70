import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '@keel/testing';
import { SCHEDULER_LEADER_LEASE, taskQueueName, type BullmqJobs } from '@keel/bullmq';
import { freshService, makeJobs, MemoryCoordinator, until, type Line } from './support/harness.js';
import {
  runningNow,
  TaskReplicaSet,
  type RunRecord,
  type TaskReplica,
} from './support/task-replicas.js';

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

/** One run of a fleet task: its slot, who ran it, and when (end 0 while it runs). */
interface Run {
  readonly dueAt: number;
  readonly by: string;
  readonly start: number;
  end: number;
  /** Its replica was SIGKILLed mid-run: `end` is when the test saw it gone. */
  killed?: boolean;
}

const SLOT_MS = 1000;

/** A run that reached its end (not cut off by a SIGKILL). */
const completed = (r: Run): boolean => r.end > 0 && r.killed !== true;

/**
 * No duplicates: no slot ran twice to completion (but those in `mayRepeat`, whose first run
 * ended without being acknowledged). No overlap: no two runs' [start, end] intersect (a run
 * still going overlaps anything that starts after it).
 */
function expectOnceAndApart(
  runs: readonly Run[],
  mayRepeat: ReadonlySet<number> = new Set(),
): void {
  const done = runs.filter(completed).map((r) => r.dueAt);
  const twice = done.filter((d, i) => done.indexOf(d) !== i);
  const unexpected = twice.filter(
    (d) => !mayRepeat.has(d) || twice.indexOf(d) !== twice.lastIndexOf(d),
  );
  expect(unexpected.map((d) => ({ slot: d, runs: runs.filter((r) => r.dueAt === d) }))).toEqual([]);
  const byStart = [...runs].sort((a, b) => a.start - b.start);
  for (let i = 1; i < byStart.length; i += 1) {
    const prev = byStart[i - 1]!;
    const next = byStart[i]!;
    const overlap = prev.end === 0 || next.start < prev.end;
    expect({ prev, next, overlap }).toEqual({ prev, next, overlap: false });
  }
  // Every run belongs to one of the scheduler's slots: the same 1 s grid.
  for (const r of runs) expect((r.dueAt - runs[0]!.dueAt) % SLOT_MS).toBe(0);
}

/** The slots (due times on the grid of `base`) in [from, to). */
function slotsIn(base: number, from: number, to: number): number[] {
  const out: number[] = [];
  for (let d = base + Math.ceil((from - base) / SLOT_MS) * SLOT_MS; d < to; d += SLOT_MS)
    out.push(d);
  return out;
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
    expectOnceAndApart(runs);
    // Due times are the scheduler's 1 s slots, increasing (a slot missed under load is a gap).
    for (let i = 1; i < runs.length; i += 1) {
      const step = runs[i]!.dueAt - runs[i - 1]!.dueAt;
      expect(step > 0 && step % 1000 === 0).toBe(true);
    }
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

// ----- a rolling restart, replicas as processes ----------------------------------------

/** The fleet's leaseTtl: also the per-task lease a replica SIGKILLed mid-run leaves behind. */
const ROLL_TTL_MS = 1500;
const ROLLING_MS = 20_000;
const STEADY_MS = 1_000;
/** A run is killed "mid-run" only if it started less than this ago (runs take 400 ms). */
const FRESH_MS = 150;
// The rotation: the replica running a slot and an idle one (the oldest) in turn, killed and
// stopped gracefully in turn; each is replaced by a fresh process before the next step.
const ROLL_PLAN = [
  { signal: 'SIGKILL', when: 'mid-run' },
  { signal: 'SIGTERM', when: 'mid-run' },
  { signal: 'SIGKILL', when: 'idle' },
  { signal: 'SIGTERM', when: 'idle' },
] as const;

/**
 * Runs from the records, in Redis's order; a 'killed' marker ends its replica's open run.
 * Also the starts that came while another run was open: the exact, clock-free overlap check.
 */
function runsOf(records: readonly RunRecord[]): { runs: Run[]; crowded: RunRecord[] } {
  const runs: Run[] = [];
  const open = new Map<string, Run>();
  const crowded: RunRecord[] = [];
  for (const r of records) {
    if (r.phase === 'start') {
      if (open.size > 0) crowded.push(r);
      const run: Run = { dueAt: r.dueAt, by: r.by, start: r.at, end: 0 };
      runs.push(run);
      open.set(r.by, run);
      continue;
    }
    const run = open.get(r.by);
    if (run === undefined) continue;
    run.end = r.at;
    if (r.phase === 'killed') run.killed = true;
    open.delete(r.by);
  }
  return { runs, crowded };
}

describe('fleet tasks through a rolling restart (bullmqFleet, replicas as processes)', () => {
  let admin: Redis | undefined;
  let set: TaskReplicaSet | undefined;
  afterEach(async () => {
    await set?.killAll();
    set = undefined;
    admin?.disconnect();
    admin = undefined;
  });

  // What is asserted, on slots (the scheduler's due times, 1 s apart) due in the 20 s window:
  // - no duplicates: no slot runs twice to completion (BullMQ is at least once: a replica
  //   killed after its run's end but before acknowledging it makes a second run; the kills
  //   here land 250 ms or more before the end, and the rare one that did not is seen in the
  //   records and is the only slot allowed a second run);
  // - no overlap: no run starts while another one is open, in Redis's order (a run cut off by
  //   SIGKILL stays open until the test saw the process gone);
  // - a graceful stop (SIGTERM) mid-run finishes that run;
  // - runs = slots ± 1, where the slots a SIGKILL mid-run may cost are not counted: the slot
  //   being run (it is lost, or run again elsewhere after BullMQ's stall check once the lease
  //   expired), the slots due until the dead replica's per-task lease has expired (at most
  //   leaseTtl after the kill), and a slot due while a run was going (such a rerun, or a run
  //   started late under load): those find the lease held and are skipped, as any run that
  //   would overlap is. Measured on slots the +1 cannot happen (no duplicates); the −1 is one
  //   slot that found the lease held in the instant between a run's end record and its
  //   release.
  // Every other slot runs exactly once, SIGTERMs and idle SIGKILLs included.
  it('3 replicas, every 1s for 20 s with a rolling restart: runs = slots ± 1, no duplicates, no overlap', async () => {
    admin = new Redis(redis.url);
    const replicas = new TaskReplicaSet(admin, {
      url: redis.url,
      service: freshService('rolling'),
      leaseTtlMs: ROLL_TTL_MS,
    });
    set = replicas;
    for (const id of ['r1', 'r2', 'r3']) await replicas.join(id);
    const first = await until(
      'the first run to end',
      async () => (await replicas.records()).find((r) => r.phase === 'end'),
      15_000,
    );
    const from = Date.now();
    const to = from + ROLLING_MS;
    const killedMidRun: { slot: number; at: number; ended: boolean }[] = [];
    const stoppedMidRun: { by: string; slot: number }[] = [];
    const log: string[] = [];
    let restarts = 0;
    // Bounded: each step waits for one run state, one exit and one join, each with a deadline.
    for (let step = 0; Date.now() < to; step += 1) {
      const { signal, when } = ROLL_PLAN[step % ROLL_PLAN.length]!;
      let victim: TaskReplica;
      let slot: number | undefined;
      if (when === 'mid-run') {
        // A run that started just now: the kill lands well before its end (it takes 400 ms).
        const run = await until(
          'a run that just started',
          async () => {
            const now = runningNow(await replicas.records());
            return now !== undefined && Date.now() - now.at < FRESH_MS ? now : undefined;
          },
          5_000,
        );
        victim = replicas.live().find((p) => p.id === run.by)!;
        slot = run.dueAt;
      } else {
        // Right after a run ended and well before the next slot, a replica other than the
        // one that ran (it acknowledges its run in these milliseconds): it holds no slot.
        const seen = (await replicas.records()).length;
        const ended = await until(
          'a run to end',
          async () => {
            const last = (await replicas.records()).slice(seen).at(-1);
            return last?.phase === 'end' ? last : undefined;
          },
          5_000,
        );
        victim = replicas.live().find((p) => p.id !== ended.by)!;
      }
      log.push(
        `${Date.now()} ${signal} ${when} ${victim.id}${slot === undefined ? '' : ` (slot ${slot})`}`,
      );
      victim.child.kill(signal);
      const code = await victim.exited;
      restarts += 1;
      if (signal === 'SIGKILL') {
        const at = await replicas.markKilled(victim.id);
        if (slot !== undefined) {
          // Under load the run may still have ended before the kill landed, unacknowledged.
          const own = (await replicas.records()).filter((r) => r.by === victim.id);
          const ended = own.at(-2)?.phase === 'end' && own.at(-2)?.dueAt === slot;
          killedMidRun.push({ slot, at, ended });
        }
      } else {
        expect(code).toBe(0);
        if (slot !== undefined) stoppedMidRun.push({ by: victim.id, slot });
      }
      await replicas.join(`n${step}`);
      // A steady second between restarts, as a deployment has between pods.
      const steadyUntil = Date.now() + STEADY_MS;
      while (Date.now() < steadyUntil) await new Promise((r) => setTimeout(r, 20));
    }
    // The last slots' runs end (400 ms each) before the records are read.
    await until('the window to settle', () => Date.now() >= to + 1500, 5_000);
    const { runs, crowded } = runsOf(await replicas.records());

    const slots = slotsIn(first.dueAt, from, to);
    const ran = new Set(runs.filter(completed).map((r) => r.dueAt));
    const mayLose = (d: number): boolean =>
      killedMidRun.some((k) => k.slot <= d && d <= k.at + ROLL_TTL_MS) ||
      runs.some((r) => r.start <= d && d <= r.end);
    const counted = slots.filter((d) => !mayLose(d));
    const runsInWindow = runs.filter((r) => completed(r) && r.dueAt >= from && r.dueAt < to);
    const countedRuns = counted.filter((d) => ran.has(d)).length;
    process.stdout.write(
      `fleet task every 1 s, rolling restart (${restarts} restarts, ${killedMidRun.length} SIGKILLs ` +
        `mid-run, leaseTtl ${ROLL_TTL_MS} ms): ${runsInWindow.length} runs for ${slots.length} slots; ` +
        `${slots.length - counted.length} slots excused (a dead lease or a run going), of which ` +
        `${slots.filter((d) => mayLose(d) && ran.has(d)).length} ran anyway; ` +
        `${countedRuns} runs for the ${counted.length} other slots\n` +
        `  restarts: ${log.join('; ')}\n`,
    );
    expect(crowded).toEqual([]);
    // At least once: a run that ended but was killed before BullMQ heard of it runs again.
    expectOnceAndApart(runs, new Set(killedMidRun.filter((k) => k.ended).map((k) => k.slot)));
    for (const s of stoppedMidRun) {
      expect(runs.filter((r) => r.by === s.by && r.dueAt === s.slot && completed(r))).toHaveLength(
        1,
      );
    }
    expect(killedMidRun.length).toBeGreaterThanOrEqual(1);
    expect(stoppedMidRun.length).toBeGreaterThanOrEqual(1);
    expect(restarts).toBeGreaterThanOrEqual(ROLL_PLAN.length);

    expect(runsInWindow.length).toBeLessThanOrEqual(slots.length);
    expect(counted.length - countedRuns).toBeLessThanOrEqual(1);
  }, 90_000);
});
