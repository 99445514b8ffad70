import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Kernel, Module, ModuleContext } from '@keel/core';
import { createTestKernel } from '@keel/testing';
import { pino, type Logger } from 'pino';

// Logs never print secrets: `Kernel.create({ redact })` censors the given paths in every
// line, whether the kernel builds its default logger or wraps the one it is given, in what
// modules log themselves and in what the kernel logs about them (reported errors).
// (A given logger's own `redact` is lost when the kernel's is added:
// test/regressions/redact-drops-logger-own-redaction.test.ts.)

const REDACT = ['password', '*.token'];
const PASSWORD = 'hunter2-do-not-print';
const TOKEN = 'tok-0123456789-do-not-print';

/** A module that logs credentials as its start()'s first act, then fails with a token on the error. */
@Module({ name: 'vault' })
class Vault {
  constructor(private readonly ctx: ModuleContext) {}

  start(): void {
    this.ctx.logger.info({ password: PASSWORD, creds: { token: TOKEN } }, 'credentials loaded');
  }

  stop(): void {
    // The kernel logs the reported error with its enumerable fields under `err`.
    throw Object.assign(new Error('vault sealed badly'), { token: TOKEN });
  }
}

/** A pino logger writing its JSON lines into `lines`. */
function memoryLogger(options: pino.LoggerOptions = {}): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: pino({ level: 'info', ...options }, stream), lines };
}

function expectRedacted(lines: readonly string[]): void {
  const all = lines.join('\n');
  expect(all).not.toContain(PASSWORD);
  expect(all).not.toContain(TOKEN);
  const loaded = lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.msg === 'credentials loaded');
  expect(loaded).toMatchObject({
    module: 'vault',
    password: '[redacted]',
    creds: { token: '[redacted]' },
  });
  const failed = lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.taskType === 'stop');
  expect(failed).toMatchObject({
    module: 'vault',
    err: { message: 'vault sealed badly', token: '[redacted]' },
  });
}

describe('redact', () => {
  it('censors secrets in lines of a logger given to Kernel.create', async () => {
    const { logger, lines } = memoryLogger();
    const kernel = Kernel.create({ modules: [Vault], logger, redact: REDACT });
    await kernel.start();
    await kernel.shutdown();
    expectRedacted(lines);
  });

  it('censors secrets in the test kernel’s captured logs', async () => {
    const k = createTestKernel({ modules: [Vault], redact: REDACT });
    await k.start();
    await k.shutdown();
    expectRedacted(k.logs.map((l) => JSON.stringify(l)));
    k.expectNoLeaks();
  });

  it('censors secrets with the default logger (its stream read in-process)', async () => {
    const kernel = Kernel.create({ modules: [Vault], redact: REDACT });
    // The default logger writes to stdout through pino's destination; catch its writes
    // before the first line (every child logger shares that one stream).
    const ctx = (kernel.module(Vault).instance as { ctx: ModuleContext }).ctx;
    const stream = (ctx.logger as unknown as Record<symbol, { write(line: string): void }>)[
      pino.symbols.streamSym
    ]!;
    const lines: string[] = [];
    stream.write = (line: string) => void lines.push(...line.split('\n').filter(Boolean));
    await kernel.start();
    await kernel.shutdown();
    expect(lines.length).toBeGreaterThan(0);
    expectRedacted(lines);
  });

  // The same through a real process's stdout, with the built package (`npm test` builds it).
  const CORE = fileURLToPath(new URL('../../packages/core/dist/index.js', import.meta.url));
  const whenBuilt = existsSync(CORE) ? it : it.skip;
  whenBuilt(
    'censors secrets on stdout with the default logger (child process)',
    async () => {
      const script = `
      import { Kernel, Module, ModuleContext } from ${JSON.stringify(CORE)};
      class Vault {
        constructor(ctx) { this.ctx = ctx; }
        start() { this.ctx.logger.info({ password: ${JSON.stringify(PASSWORD)}, creds: { token: ${JSON.stringify(TOKEN)} } }, 'credentials loaded'); }
        stop() { throw Object.assign(new Error('vault sealed badly'), { token: ${JSON.stringify(TOKEN)} }); }
      }
      Reflect.defineMetadata('design:paramtypes', [ModuleContext], Vault);
      Module({ name: 'vault' })(Vault);
      const kernel = Kernel.create({ modules: [Vault], redact: ${JSON.stringify(REDACT)} });
      await kernel.start();
      await kernel.shutdown();
    `;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expectRedacted(stdout.split('\n').filter((l) => l.startsWith('{')));
    },
    15_000,
  );
});
