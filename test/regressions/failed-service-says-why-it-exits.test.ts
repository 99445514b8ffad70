import { isPanic, Module, ModuleContext, Worker, type ModuleError } from '@keel/core';
import { createTestKernel, type LogRecord } from '@keel/testing';

// Issue 18, item 7. A service whose prep() read a truncated JSON file exited with code 1,
// and its log (1) reported the JSON.parse SyntaxError as a *panic*, (2) said
// `prep "prep module" failed: …`, and (3) ended with an info-level "kernel stopped": no
// error line said why the service exited. Now: a runtime SyntaxError is an error (bad
// input, as Go's encoding/json returns it), activities read `prep failed`, and a failed
// start, stop or escalation ends the log with one error line naming the module and cause.

const errorLines = (logs: LogRecord[]): LogRecord[] => logs.filter((l) => l.level === 'error');
const stopLines = (logs: LogRecord[]): LogRecord[] =>
  logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('kernel stopped'));

@Module({ name: 'config' })
class BrokenConfig {
  prep(): void {
    JSON.parse('{"port": 80'); // a truncated file
  }
}

@Module({ name: 'api', dependsOn: [BrokenConfig] })
class Api {
  start(): void {}
}

describe('a service that fails', () => {
  it('reports a runtime SyntaxError from module code as an error, not a panic', async () => {
    const k = createTestKernel({ modules: [Api] });
    await expect(k.start()).rejects.toMatchObject({ code: 'E_START_FAILED', module: 'config' });
    expect(k.errors.map((e) => [e.module, e.taskType, e.severity])).toEqual([
      ['config', 'prep', 'error'],
    ]);
    expect(isPanic(k.errors[0])).toBe(false);
    expect(isPanic(new SyntaxError('Unexpected end of JSON input'))).toBe(false);
    // Programming errors still are panics.
    expect([new TypeError('x'), new ReferenceError('y'), new RangeError('z')].map(isPanic)).toEqual(
      [true, true, true],
    );
    k.expectNoLeaks();
  });

  it('logs `prep failed: <cause>`, and ends with one error line naming the module and the cause', async () => {
    const k = createTestKernel({ modules: [Api] });
    await k.start().catch(() => undefined);
    const reported = k.logs.find((l) => l.taskType === 'prep');
    expect(reported).toMatchObject({ level: 'error', module: 'config', taskName: 'prep module' });
    expect(reported?.msg).toBe(`prep failed: ${k.errors[0]!.message}`);
    expect(k.errors[0]!.activity).toBe('prep');

    expect(stopLines(k.logs)).toHaveLength(1);
    const last = k.logs.at(-1)!;
    expect(last).toMatchObject({
      level: 'error',
      module: 'config',
      exitCode: 1,
      msg: `kernel stopped: module "config" prep failed: ${k.errors[0]!.message}`,
    });
    expect((last.err as { type?: string } | undefined)?.type).toBe('SyntaxError');
    expect(k.exitCode).toBe(1);
  });

  it('names a failed start() and keeps the first failure when the rollback fails too', async () => {
    @Module({ name: 'db' })
    class Db {
      start(): void {}
      stop(): void {
        throw new Error('db would not close');
      }
    }
    @Module({ name: 'cache', dependsOn: [Db] })
    class Cache {
      start(): Promise<void> {
        return Promise.reject(new Error('cache port in use'));
      }
    }
    const k = createTestKernel({ modules: [Cache] });
    await k.start().catch(() => undefined);
    expect(k.errors.map((e) => e.message)).toEqual(['cache port in use', 'db would not close']);
    expect(stopLines(k.logs)).toEqual([
      expect.objectContaining({
        level: 'error',
        module: 'cache',
        msg: 'kernel stopped: module "cache" start failed: cache port in use',
      }),
    ]);
    expect(k.logs.at(-1)).toBe(stopLines(k.logs)[0]);
  });

  it('names a failed stop() of a run that started fine', async () => {
    @Module({ name: 'db' })
    class Db {
      stop(): void {
        throw new Error('flush failed');
      }
    }
    const k = createTestKernel({ modules: [Db] });
    await k.start();
    await k.shutdown();
    expect(k.exitCode).toBe(1);
    expect(k.logs.at(-1)).toMatchObject({
      level: 'error',
      module: 'db',
      msg: 'kernel stopped: module "db" stop failed: flush failed',
    });
    expect(stopLines(k.logs)).toHaveLength(1);
  });

  it('names the worker that escalated to a shutdown', async () => {
    @Module({ name: 'feed' })
    class Feed {
      @Worker({ backoff: '1s', maxRestarts: 1, escalate: 'shutdown' })
      async pump(): Promise<void> {
        await Promise.resolve();
        throw new Error('upstream gone');
      }
    }
    const k = createTestKernel({ modules: [Feed] });
    await k.start();
    await k.clock.advance('5s');
    await k.waitFor('feed', 'offline');
    await k.shutdown();
    expect(k.exitCode).toBe(1);
    const last = k.logs.at(-1)!;
    expect(last).toMatchObject({ level: 'error', module: 'feed' });
    expect(last.msg).toMatch(
      /^kernel stopped: worker "pump" of module "feed" failed \d+ times in a row and exceeded its restart limit$/,
    );
    expect((last.err as { message?: string } | undefined)?.message).toBe('upstream gone');
    expect(stopLines(k.logs)).toHaveLength(1);
  });

  it('names a runCommand() whose command threw', async () => {
    @Module({ name: 'db' })
    class Db {}
    const k = createTestKernel({ modules: [Db] });
    const code = await k.runCommand(() => {
      throw new Error('migration 7 failed');
    });
    expect(code).toBe(1);
    expect(errorLines(k.logs)).toEqual([
      expect.objectContaining({ msg: 'kernel stopped: command failed: migration 7 failed' }),
    ]);
    expect(k.logs.at(-1)).toBe(errorLines(k.logs)[0]);
  });

  it('stops cleanly with one info line', async () => {
    @Module({ name: 'quiet' })
    class Quiet {
      constructor(readonly ctx: ModuleContext) {}
    }
    const k = createTestKernel({ modules: [Quiet] });
    await k.start();
    await k.shutdown();
    expect(errorLines(k.logs)).toEqual([]);
    expect(k.logs.at(-1)).toMatchObject({ level: 'info', msg: 'kernel stopped' });
    expect(k.exitCode).toBe(0);
  });

  it('says `worker "pump" failed` for named work', async () => {
    @Module({ name: 'w' })
    class W {
      constructor(readonly ctx: ModuleContext) {}
      start(): void {
        void this.ctx
          .runWorker('pump', () => {
            throw new Error('boom');
          })
          .catch(() => undefined);
      }
    }
    const k = createTestKernel({ modules: [W] });
    await k.start();
    await k.clock.advance(0);
    const errors: ModuleError[] = k.errors;
    expect(errors[0]!.activity).toBe('worker "pump"');
    expect(k.logs.find((l) => l.taskName === 'pump')?.msg).toBe('worker "pump" failed: boom');
    await k.shutdown();
  });
});
