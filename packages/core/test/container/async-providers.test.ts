import 'reflect-metadata';
import { createTestKernel } from '@keel/testing';
import { inject } from 'tsyringe';
import { Module, ModuleContext } from '../../src/index.js';

interface Connection {
  url: string;
  closed: boolean;
}

const DB = 'db-connection';

describe('async providers', () => {
  it('awaits an async factory once during start(), before the prep of the first module that needs it', async () => {
    const log: string[] = [];
    let made = 0;
    @Module({ name: 'config' })
    class Config {
      prep() {
        log.push('prep config');
      }
    }
    @Module({ name: 'repo', dependsOn: [Config] })
    class Repo {
      constructor(@inject(DB) readonly db: Connection) {
        log.push(`construct repo with ${db.url}`);
      }
      prep() {
        log.push('prep repo');
      }
      stop() {
        log.push(`stop repo (closed: ${this.db.closed})`);
      }
    }
    @Module({ name: 'api' })
    class Api {
      constructor(
        readonly repo: Repo,
        @inject(DB) readonly db: Connection,
      ) {}
    }
    const k = createTestKernel({
      modules: [Api],
      providers: [
        {
          provide: DB,
          useFactory: async () => {
            log.push('connect');
            made++;
            await Promise.resolve();
            return { url: 'postgres://db', closed: false };
          },
          dispose: (db: unknown) => {
            (db as Connection).closed = true;
            log.push('dispose db');
          },
        },
      ],
    });
    expect(log).toEqual([]);
    expect(() => k.get(DB)).toThrow(expect.objectContaining({ code: 'E_ASYNC_PROVIDER' }));
    await k.start();
    expect(log).toEqual([
      'prep config',
      'connect',
      'construct repo with postgres://db',
      'prep repo',
    ]);
    expect(made).toBe(1);
    expect(k.get(Api).db).toBe(k.get(Repo).db);
    expect(k.get<Connection>(DB).url).toBe('postgres://db');
    await k.shutdown();
    expect(log.slice(-2)).toEqual(['stop repo (closed: false)', 'dispose db']);
    k.expectNoLeaks();
  });

  it('fails start with the factory error, naming the module that needed it', async () => {
    @Module({ name: 'needsDb' })
    class NeedsDb {
      constructor(@inject(DB) readonly db: Connection) {}
    }
    const k = createTestKernel({
      modules: [NeedsDb],
      providers: [
        { provide: DB, useFactory: () => Promise.reject(new Error('ECONNREFUSED')), async: true },
      ],
    });
    await expect(k.start()).rejects.toMatchObject({
      code: 'E_START_FAILED',
      module: 'needsDb',
      cause: expect.objectContaining({ message: 'ECONNREFUSED' }),
    });
    k.expectNoLeaks();
  });

  it('tells a factory that returns a promise without being declared async', () => {
    @Module({ name: 'eager' })
    class Eager {
      constructor(
        @inject(DB) readonly db: unknown,
        readonly ctx: ModuleContext,
      ) {}
    }
    expect(() =>
      createTestKernel({
        modules: [Eager],
        providers: [{ provide: DB, useFactory: () => Promise.resolve({}) }],
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'E_MODULE_CONSTRUCTOR',
        message: expect.stringContaining('Declare it async'),
      }),
    );
  });

  it('rejects dispose without a factory', () => {
    expect(() =>
      createTestKernel({
        modules: [],
        providers: [{ provide: DB, useValue: {}, dispose: () => undefined }],
      }),
    ).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }));
  });
});
