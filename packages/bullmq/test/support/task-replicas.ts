import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

/** The fixture runs on the built packages: `npx tsc -b` first (npm test does). */
const FIXTURE = fileURLToPath(new URL('../fixtures/task-replica.mjs', import.meta.url));

/** One record of the list `<service>:runs`, in Redis's order, stamped by Redis's clock. */
export interface RunRecord {
  readonly phase: 'start' | 'end' | 'killed';
  /** The run's slot (the scheduler's due time); -1 on a 'killed' marker. */
  readonly dueAt: number;
  readonly by: string;
  /** Redis `TIME`, ms. */
  readonly at: number;
}

// The same script as the fixture's: a marker is ordered and stamped like the runs.
const RECORD = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('RPUSH', KEYS[1], cjson.encode({ phase = ARGV[1], dueAt = tonumber(ARGV[2]), by = ARGV[3], at = now }))
return now`;

/** A fleet-task replica process (task-replica.mjs) and its exit. */
export interface TaskReplica {
  readonly id: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code once the child exited and its output is read. */
  readonly exited: Promise<number | null>;
}

/**
 * Replicas of one service, each a child process with an `every: '1s', fleet: 'once'` task
 * on bullmqFleet(), and the run records they leave in Redis.
 */
export class TaskReplicaSet {
  private readonly procs: TaskReplica[] = [];

  constructor(
    private readonly admin: Redis,
    private readonly env: { url: string; service: string; leaseTtlMs: number },
  ) {}

  get runsKey(): string {
    return `${this.env.service}:runs`;
  }

  /** Live replicas, oldest first. */
  live(): TaskReplica[] {
    return this.procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
  }

  /** Spawns replica `id` and waits (20 ms polls) until its heartbeat is in the fleet's index. */
  async join(id: string, withinMs = 30_000): Promise<TaskReplica> {
    const { url, service, leaseTtlMs } = this.env;
    const child = spawn(process.execPath, [FIXTURE, url, service, id, String(leaseTtlMs)], {
      stdio: ['ignore', process.env['TASK_REPLICA_LOG'] ? 'inherit' : 'ignore', 'inherit'],
    });
    const proc: TaskReplica = {
      id,
      child,
      exited: new Promise((resolve) => child.once('close', (code) => resolve(code))),
    };
    this.procs.push(proc);
    const deadline = Date.now() + withinMs;
    // Bounded: withinMs in 20 ms steps. Booting node takes seconds on a loaded machine.
    while (Date.now() < deadline && this.live().includes(proc)) {
      if ((await this.admin.zscore(`keel:${service}:replicas`, id)) !== null) return proc;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`task replica ${id} did not join ${service} within ${withinMs} ms`);
  }

  /** Every record so far, in Redis's order. */
  async records(): Promise<RunRecord[]> {
    const raw = await this.admin.lrange(this.runsKey, 0, -1);
    return raw.map((r) => JSON.parse(r) as RunRecord);
  }

  /** Appends a 'killed' marker for `by` (after its exit was seen); resolves with Redis's time. */
  async markKilled(by: string): Promise<number> {
    return Number(await this.admin.eval(RECORD, 1, this.runsKey, 'killed', -1, by));
  }

  /** SIGKILLs every replica still running and waits for them. */
  async killAll(): Promise<void> {
    const running = this.live();
    for (const p of running) p.child.kill('SIGKILL');
    await Promise.all(running.map((p) => p.exited));
  }
}

/** The replica whose latest record is a 'start' with no 'end' yet, and that slot. */
export function runningNow(records: readonly RunRecord[]): RunRecord | undefined {
  const last = records.at(-1);
  return last?.phase === 'start' ? last : undefined;
}
