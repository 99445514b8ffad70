import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The fixture runs on the built packages: `npx tsc -b` first (npm test does). */
export const FIXTURE = fileURLToPath(new URL('../fixtures/replica.mjs', import.meta.url));
const BUILT = fileURLToPath(new URL('../../../../packages/redis/dist/index.js', import.meta.url));
export const READY = existsSync(BUILT);
export const MISSING = `${BUILT} is missing: build first with \`npx tsc -b\`.`;

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
  readonly exited: Promise<number | null>;
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
    const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    const proc = { id, child, facts, exited };
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
      (f): f is Fact => f !== undefined && this.procs.get(f.replica)?.child.exitCode === null,
    );
    return live.sort((a, b) => b.at - a.at)[0];
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
    const running = [...this.procs.values()].filter(
      (p) => p.child.exitCode === null && p.child.signalCode === null,
    );
    for (const p of running) p.child.kill('SIGKILL');
    await Promise.all(running.map((p) => p.exited));
  }
}

/** The p-th percentile (0..100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
