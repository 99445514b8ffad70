import { isKeelError, Module, ModuleContext } from '@keel/core';
import { createTestKernel } from '@keel/testing';

/** Where the modules below write what happened; a plain class, so one instance per kernel. */
export class Journal {
  readonly lines: string[] = [];
}

@Module()
export class Db {
  constructor(
    private readonly journal: Journal,
    private readonly ctx: ModuleContext,
  ) {}
  prep(): void {
    this.journal.lines.push('prep Db');
  }
  async start(): Promise<void> {
    await this.ctx.sleep('2s'); // connecting takes a while
    this.journal.lines.push('start Db');
  }
  stop(): void {
    this.journal.lines.push('stop Db');
  }
}

@Module()
export class Cache {
  constructor(
    readonly db: Db,
    private readonly journal: Journal,
  ) {}
  prep(): void {
    this.journal.lines.push('prep Cache');
  }
  start(): void {
    this.journal.lines.push('start Cache');
  }
  stop(): void {
    this.journal.lines.push('stop Cache');
  }
}

@Module()
export class Api {
  constructor(
    readonly cache: Cache,
    private readonly journal: Journal,
  ) {}
  prep(): void {
    this.journal.lines.push('prep Api');
  }
  start(): void {
    this.journal.lines.push('start Api');
  }
  stop(): void {
    this.journal.lines.push('stop Api');
  }
}

/** Its start fails: the kernel stops what had started, in reverse, and start() rejects. */
@Module()
export class Mailer {
  constructor(
    readonly cache: Cache,
    private readonly journal: Journal,
  ) {}
  start(): void {
    this.journal.lines.push('start Mailer');
    throw new Error('SMTP server unreachable');
  }
  stop(): void {
    this.journal.lines.push('stop Mailer'); // never called: Mailer never started
  }
}

/** Its start never finishes: `startTimeout` ends the wait. */
@Module()
export class Stuck {
  start(): Promise<void> {
    return new Promise(() => undefined);
  }
}

/** Prep and start dependencies first; stop dependents first; durations in inspect(). */
export async function inOrder() {
  const k = createTestKernel({ modules: [Api] });
  const started = k.start();
  await k.clock.advance('2s'); // Db's start waits 2 s of (fake) kernel time
  await started;
  await k.shutdown();
  const durations = k.inspect().modules['Db']!.durations; // prepMs, startMs, stopMs
  return { journal: k.get(Journal).lines, durations, status: k.status, exitCode: k.exitCode };
}

/** A failed start rolls back: every module that started is stopped again, in reverse. */
export async function rollback() {
  const k = createTestKernel({ modules: [Mailer] });
  const started = k.start();
  await k.clock.advance('2s');
  const error: unknown = await started.catch((err: unknown) => err);
  return {
    journal: k.get(Journal).lines,
    code: isKeelError(error) ? error.code : undefined,
    module: isKeelError(error) ? error.module : undefined,
    cause: error instanceof Error ? (error.cause as Error).message : undefined,
    kernel: k.status,
    exitCode: k.exitCode,
  };
}

/** A start that does not finish within `startTimeout` fails with E_TIMEOUT as the cause. */
export async function startTimeout() {
  const k = createTestKernel({ modules: [Stuck], startTimeout: '5s' });
  const started = k.start();
  await k.clock.advance('5s');
  const error: unknown = await started.catch((err: unknown) => err);
  const cause = error instanceof Error ? error.cause : undefined;
  return {
    code: isKeelError(error) ? error.code : undefined,
    cause: isKeelError(cause) ? cause.code : undefined,
  };
}

/** runCommand: prep everything, run a one-off job instead of starting, shut down. */
export async function command() {
  const k = createTestKernel({ modules: [Api] });
  const code = await k.runCommand((kernel) => {
    kernel.get(Journal).lines.push('migrate the database');
  });
  return { journal: k.get(Journal).lines, code };
}

/** Runs every scenario of this page. */
export async function main() {
  return {
    inOrder: await inOrder(),
    rollback: await rollback(),
    startTimeout: await startTimeout(),
    command: await command(),
  };
}
