import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startRedisServer, type RedisServer } from '@keel/testing';
import { Redis } from 'ioredis';

/** The fixture runs on the built packages: `npm run build` first (npm test does). */
export const FIXTURE = fileURLToPath(new URL('../fixtures/replica.mjs', import.meta.url));
const BUILT = fileURLToPath(new URL('../../../../packages/redis/dist/index.js', import.meta.url));
export const READY = existsSync(BUILT);
export const MISSING = `${BUILT} is missing: build first with \`npm run build\`.`;

/** One line the fixture printed. */
export interface Fact {
  readonly fx:
    'booted' | 'active' | 'inactive' | 'write' | 'online' | 'hook-start' | 'hook-done' | 'exit';
  readonly at: number;
  readonly replica: string;
  readonly token?: number;
  readonly accepted?: boolean;
  /** When a write was sent (`at`: when its reply was read). */
  readonly sentAt?: number;
  readonly code?: number;
  /** The event's `n` (hook facts). */
  readonly n?: number;
}

/** A replica child process and what it said. */
export interface ReplicaProcess {
  readonly id: string;
  readonly child: ChildProcess;
  readonly facts: Fact[];
  /** Resolves with the exit code once the child exited and its output is read. */
  readonly exited: Promise<number | null>;
  /** `Date.now()` in this process when the exit was seen (after the child's last fact). */
  exitedAt: number | undefined;
}

/**
 * One stretch during which a replica had the singleton active: from its 'active' fact to its
 * 'inactive' fact, or, for a replica killed while active, to the moment its exit was seen
 * (later than its real end: an overlap check on these intervals errs on the strict side).
 */
export interface ActiveInterval {
  readonly replica: string;
  readonly token: number;
  readonly start: number;
  /** `Infinity` while still active. */
  readonly end: number;
  /** How it ended: its own 'inactive' (a step-down or a stop), or the process died. */
  readonly endedBy: 'inactive' | 'death' | 'open';
}

/** Every fact of every replica of one test, in arrival order. */
export class ReplicaSet {
  readonly all: Fact[] = [];
  private readonly procs = new Map<string, ReplicaProcess>();

  constructor(private readonly env: { url: string; service: string; leaseTtlMs: number }) {}

  get service(): string {
    return this.env.service;
  }

  spawn(id: string, extraEnv: Record<string, string> = {}): ReplicaProcess {
    const child = spawn(process.execPath, [FIXTURE], {
      env: {
        ...process.env,
        REDIS_URL: this.env.url,
        SERVICE: this.env.service,
        REPLICA_ID: id,
        LEASE_TTL_MS: String(this.env.leaseTtlMs),
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const facts: Fact[] = [];
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('{"fx"')) continue;
        const fact = JSON.parse(line) as Fact;
        facts.push(fact);
        this.all.push(fact);
      }
    });
    const proc: ReplicaProcess = {
      id,
      child,
      facts,
      // 'close' comes after 'exit' and after stdout is drained: every fact is in by then.
      exited: new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c))),
      exitedAt: undefined,
    };
    child.once('exit', () => (proc.exitedAt = Date.now()));
    this.procs.set(id, proc);
    return proc;
  }

  get(id: string): ReplicaProcess {
    const proc = this.procs.get(id);
    if (proc === undefined) throw new Error(`no replica ${id}`);
    return proc;
  }

  /** The replica that said 'active' last and has not said 'inactive' since, if any. */
  leader(): Fact | undefined {
    const state = new Map<string, Fact | undefined>();
    for (const f of this.all) {
      if (f.fx === 'active') state.set(f.replica, f);
      if (f.fx === 'inactive' || f.fx === 'exit') state.set(f.replica, undefined);
    }
    const live = [...state.values()].filter(
      (f): f is Fact => f !== undefined && alive(this.procs.get(f.replica)),
    );
    return live.sort((a, b) => b.at - a.at)[0];
  }

  /** Every replica spawned so far, in spawn order. */
  processes(): ReplicaProcess[] {
    return [...this.procs.values()];
  }

  /**
   * Spawns replica `id` and waits (polling `admin`, 20 ms steps) until its heartbeat is in the
   * fleet's index. Booting node with the built packages takes seconds on a loaded machine.
   */
  async join(admin: Redis, id: string, withinMs = 30_000): Promise<ReplicaProcess> {
    const proc = this.spawn(id);
    const deadline = Date.now() + withinMs;
    // Bounded: withinMs in 20 ms steps.
    while (Date.now() < deadline) {
      if ((await admin.zscore(`keel:${this.service}:replicas`, id)) !== null) return proc;
      if (!alive(proc)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(
      `replica ${id} did not join ${this.service} within ${withinMs} ms; it said: ${JSON.stringify(proc.facts.filter((f) => f.fx !== 'write'))}`,
    );
  }

  /** The active intervals of every replica, sorted by start. */
  intervals(): ActiveInterval[] {
    const out: ActiveInterval[] = [];
    for (const p of this.procs.values()) {
      let open: Fact | undefined;
      for (const f of p.facts) {
        if (f.fx === 'active') open = f;
        if (f.fx === 'inactive' && open !== undefined) {
          out.push({
            replica: p.id,
            token: open.token!,
            start: open.at,
            end: f.at,
            endedBy: 'inactive',
          });
          open = undefined;
        }
      }
      if (open === undefined) continue;
      const end = p.exitedAt ?? Infinity;
      out.push({
        replica: p.id,
        token: open.token!,
        start: open.at,
        end,
        endedBy: end === Infinity ? 'open' : 'death',
      });
    }
    return out.sort((a, b) => a.start - b.start);
  }

  /** Polls (20 ms steps) until `find` returns a fact; throws after `ms`. */
  async waitFor(
    find: (facts: Fact[]) => Fact | undefined,
    ms: number,
    what: string,
  ): Promise<Fact> {
    const deadline = Date.now() + ms;
    // Bounded: ms / 20 turns.
    while (Date.now() < deadline) {
      const fact = find(this.all);
      if (fact !== undefined) return fact;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(
      `waitFor: ${what} within ${ms} ms; facts: ${JSON.stringify(this.all.slice(-10))}`,
    );
  }

  /** SIGKILLs every replica still running and waits for them. */
  async killAll(): Promise<void> {
    const running = [...this.procs.values()].filter((p) => alive(p));
    for (const p of running) p.child.kill('SIGKILL');
    await Promise.all(running.map((p) => p.exited));
  }
}

/** True while the child has neither exited nor been killed by a signal. */
export function alive(p: ReplicaProcess | undefined): boolean {
  return p !== undefined && p.child.exitCode === null && p.child.signalCode === null;
}

/** The p-th percentile (0..100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** What a suite of replica tests shares: its own redis-server and an admin client on it. */
export interface RedisSuite {
  /** The suite's redis-server address (valid from the suite's beforeAll). */
  readonly url: string;
  readonly admin: Redis;
  /** A replica set of `service` on the suite's server; its replicas are killed after the test. */
  replicas(service: string, leaseTtlMs: number): ReplicaSet;
}

/**
 * Registers the suite's hooks: a private redis-server started in beforeAll (so fault tests can
 * stop it without touching anyone else) and stopped in afterAll, and after each test the
 * replicas that test spawned killed.
 */
export function redisSuite(): RedisSuite {
  let server: RedisServer | undefined;
  let admin: Redis | undefined;
  let current: ReplicaSet | undefined;
  beforeAll(async () => {
    if (!READY) throw new Error(MISSING);
    server = await startRedisServer();
    admin = new Redis(server.url);
  });
  afterEach(async () => {
    await current?.killAll();
    current = undefined;
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('redisSuite: used before its beforeAll ran');
    return value;
  };
  return {
    get url() {
      return started(server).url;
    },
    get admin() {
      return started(admin);
    },
    replicas(service, leaseTtlMs) {
      current = new ReplicaSet({ url: started(server).url, service, leaseTtlMs });
      return current;
    },
  };
}
