import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type {
  DriftReplicaConfig,
  FromReplica,
  JobsReplicaConfig,
  ToReplica,
} from '../scenarios/jobs-protocol.js';

/**
 * The built replica entry. Under Jest this file runs from bench/src, so the compiled entry in
 * bench/dist is used (`npm run build` builds it; `npm test` builds first).
 */
function replicaEntry(): string {
  const here = fileURLToPath(new URL('../scenarios/jobs-replica.js', import.meta.url));
  const built = here.replace(/([\\/])bench[\\/]src[\\/]/, '$1bench$1dist$1');
  if (!existsSync(built)) {
    throw new Error(`bench replica entry ${built} is missing: run \`npm run build\` first`);
  }
  return built;
}

/**
 * A replica process of the jobs / fleet-drift scenarios, spoken to over IPC. Its stderr is
 * kept for error messages; `KEEL_BENCH_PROF=<dir>` runs it under `--cpu-prof` into that dir.
 */
export class Replica {
  private readonly child: ChildProcess;
  private readonly counts = new Map<number, number>();
  private readonly waiters = new Set<() => void>();
  private readonly inbox: FromReplica[] = [];
  private stderr = '';
  readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  constructor(
    readonly name: string,
    config: JobsReplicaConfig | DriftReplicaConfig,
  ) {
    const prof = process.env['KEEL_BENCH_PROF'] ?? '';
    this.child = fork(replicaEntry(), [JSON.stringify(config)], {
      execArgv: prof === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${prof}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    this.child.on('message', (message: FromReplica) => {
      if (message.type === 'started') this.counts.set(message.phase, message.count);
      else this.inbox.push(message);
      this.wake();
    });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code) => {
        this.exitCode = code;
        this.wake();
        resolve(code);
      });
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Jobs of `phase` this replica has started so far (as last reported). */
  started(phase: number): number {
    return this.counts.get(phase) ?? 0;
  }

  send(message: ToReplica): void {
    this.child.send(message);
  }

  /**
   * Resolves when `test()` holds, re-checked on every message of any of `replicas`; rejects
   * after `timeoutMs` or when one of them exits first.
   */
  static until(
    replicas: readonly Replica[],
    what: string,
    test: () => boolean,
    timeoutMs: number,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (test()) return done();
        const dead = replicas.find((r) => r.exitCode !== undefined);
        if (dead !== undefined) {
          done(
            new Error(
              `${dead.name} exited (${dead.exitCode}) waiting for ${what}:\n${dead.stderr}`,
            ),
          );
        }
      };
      const timer = setTimeout(
        () =>
          done(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${what}:\n${replicas.map((r) => `${r.name}: ${r.stderr}`).join('\n')}`,
            ),
          ),
        timeoutMs,
      );
      const done = (err?: Error): void => {
        clearTimeout(timer);
        for (const r of replicas) r.waiters.delete(check);
        if (err === undefined) resolve();
        else reject(err);
      };
      for (const r of replicas) r.waiters.add(check);
      check();
    });
  }

  /** The first message of `type` (waiting for it up to `timeoutMs`). */
  async next<T extends FromReplica['type']>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<FromReplica, { type: T }>> {
    const find = (): number => this.inbox.findIndex((m) => m.type === type);
    await Replica.until([this], `${this.name} to send "${type}"`, () => find() >= 0, timeoutMs);
    return this.inbox.splice(find(), 1)[0] as Extract<FromReplica, { type: T }>;
  }

  /** Asks the replica to stop and waits for it to exit; kills it after `timeoutMs`. */
  async stop(timeoutMs = 20_000): Promise<void> {
    if (this.exitCode !== undefined) return;
    try {
      this.send({ type: 'stop' });
    } catch {
      // the channel is gone: the exit below tells
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}
