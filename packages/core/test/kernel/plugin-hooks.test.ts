import { createTestKernel } from '@keel/testing';
import { KeelError, Kernel, Module, ModuleContext } from '../../src/index.js';
import { pino } from 'pino';

describe('hooks for plugins', () => {
  it('lets a constructor read kernel.modules: every planned module, with class and flags', () => {
    const seen: string[] = [];
    @Module({ name: 'b', flags: { level: { type: 'string', default: 'low' } } })
    class B {}
    @Module({ name: 'a' })
    class A {
      constructor(ctx: ModuleContext) {
        for (const m of ctx.kernel.modules) {
          seen.push(`${m.name}:${m.moduleClass.name}:${JSON.stringify(m.flags)}`);
        }
      }
    }
    const k = createTestKernel({ modules: [A, B], cli: { argv: ['--level', 'high'] } });
    expect(seen).toEqual(['a:A:{}', 'b:B:{"level":"high"}']);
    expect(k.module(B).moduleClass).toBe(B);
  });

  it('adds @Module({ redact }) paths to the logger the kernel builds', () => {
    @Module({ name: 'vault', redact: ['*.token'] })
    class Vault {
      constructor(ctx: ModuleContext) {
        ctx.logger.info({ creds: { token: 's3cret', user: 'ann' } }, 'creds');
      }
    }
    const k = createTestKernel({ modules: [Vault], redact: ['password'] });
    const line = k.logs.find((l) => l.msg === 'creds');
    expect(line?.['creds']).toEqual({ token: '[redacted]', user: 'ann' });
    const lines: string[] = [];
    const logger = pino({}, { write: (line: string) => void lines.push(line) });
    Kernel.create({ modules: [Vault], logger });
    const given = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(given.find((l) => l['msg'] === 'creds')?.['creds']).toEqual({
      token: '[redacted]',
      user: 'ann',
    });
  });
});

describe('kernel.restart()', () => {
  function modules(log: string[]) {
    @Module({ name: 'db' })
    class Db {
      start() {
        log.push('start db');
      }
      stop() {
        log.push('stop db');
      }
    }
    @Module({ name: 'api' })
    class Api {
      constructor(readonly db: Db) {}
      start() {
        log.push('start api');
      }
      stop() {
        log.push('stop api');
      }
    }
    @Module({ name: 'other' })
    class Other {
      stop() {
        log.push('stop other');
      }
    }
    return { Db, Api, Other };
  }

  it('stops the module after its running dependents, then starts it before them', async () => {
    const log: string[] = [];
    const { Db, Api, Other } = modules(log);
    const k = createTestKernel({ modules: [Api, Other] });
    await k.start();
    log.length = 0;
    await k.restart(Db);
    expect(log).toEqual(['stop api', 'stop db', 'start db', 'start api']);
    expect(k.modules.map((m) => m.status)).toEqual(['online', 'online', 'online']);
    log.length = 0;
    await k.module('api').restart();
    expect(log).toEqual(['stop api', 'start api']);
    await k.shutdown();
    k.expectNoErrors();
    k.expectNoLeaks();
  });

  it('rejects unless the kernel is online, and for an unknown module', async () => {
    const { Api } = modules([]);
    const k = createTestKernel({ modules: [Api] });
    await expect(k.restart('api')).rejects.toMatchObject({ code: 'E_KERNEL_STATE' });
    await expect(k.restart('nope')).rejects.toMatchObject({ code: 'E_MODULE_MISSING' });
    await k.shutdown();
    k.expectNoLeaks();
  });

  it('rejects with E_START_FAILED when the module fails to start again', async () => {
    let starts = 0;
    @Module({ name: 'flaky' })
    class Flaky {
      start() {
        if (++starts === 2) throw new Error('second start fails');
      }
    }
    const k = createTestKernel({ modules: [Flaky] });
    await k.start();
    const err = await k.restart(Flaky).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KeelError);
    expect(err).toMatchObject({ code: 'E_START_FAILED', module: 'flaky' });
    expect(k.module(Flaky).status).toBe('offline');
    await k.shutdown();
    k.expectNoLeaks();
  });
});

describe('SIGHUP under run()', () => {
  it('calls the reload listeners, and is not handled after run() returns', async () => {
    @Module({ name: 'svc' })
    class Svc {}
    const k = createTestKernel({ modules: [Svc] });
    let reloads = 0;
    k.on('reload', () => reloads++);
    const before = process.listenerCount('SIGHUP');
    const running = k.run();
    await k.waitFor(Svc, 'online');
    process.emit('SIGHUP', 'SIGHUP');
    expect(reloads).toBe(1);
    process.emit('SIGTERM', 'SIGTERM');
    await expect(running).resolves.toBe(0);
    expect(process.listenerCount('SIGHUP')).toBe(before);
    expect(k.logs).toContainEqual(expect.objectContaining({ msg: 'signal received: reloading' }));
    k.expectNoLeaks();
  });
});
