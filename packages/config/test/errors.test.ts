import { inject, isKeelError, Kernel, Module, type KeelError } from '@keel/core';
import { createTestKernel } from '@keel/testing';
import { pino } from 'pino';
import { z } from 'zod';
import { Config, ConfigModule, type ConfigIssue, type ConfigOf } from '../src/index.js';
import { Cache, Db, tempFiles } from './fixtures.js';

const silent = pino({ level: 'silent' });

function thrown(fn: () => unknown): KeelError {
  try {
    fn();
  } catch (err) {
    if (isKeelError(err)) return err;
    throw err;
  }
  throw new Error('expected a KeelError');
}

function create(env: Record<string, string>, more: { argv?: string[]; file?: string } = {}) {
  return Kernel.create({
    modules: [Db, Cache],
    logger: silent,
    cli: { argv: more.argv ?? [] },
    providers: ConfigModule.configure({ env, ...(more.file ? { file: more.file } : {}) }),
  });
}

describe('E_CONFIG_INVALID', () => {
  const files = tempFiles({
    'typo.json': JSON.stringify({ db: { hots: 'x' }, dbb: {} }),
  });
  afterAll(() => files.cleanup());

  it('lists every bad, missing and unknown key of every section at once, with source and type', () => {
    const err = thrown(() =>
      create(
        { DB_PORT: 'not-a-number', DB_HSOT: 'typo', CACHE_SIZE: '1.5' },
        { argv: ['--db-max-connections=-3'], file: files.path('typo.json') },
      ),
    );
    expect(err.code).toBe('E_CONFIG_INVALID');
    const issues = err.details!['issues'] as ConfigIssue[];
    const summary = issues.map((i) => [`${i.section}.${i.key}`, i.source, i.where, i.expected]);
    expect(summary).toEqual(
      expect.arrayContaining([
        ['db.DB_HSOT', 'env', 'env DB_HSOT', ''],
        ['undefined.dbb', 'file', `file ${files.path('typo.json')}: dbb`, ''],
        ['db.hots', 'file', `file ${files.path('typo.json')}: db.hots`, ''],
        ['db.port', 'env', 'env DB_PORT', 'integer >= 1'],
        ['db.password', 'missing', 'section db', 'string of at least 8 characters'],
        ['db.maxConnections', 'flag', 'flag --db-max-connections', 'integer'],
        ['cache.size', 'env', 'env CACHE_SIZE', 'integer'],
      ]),
    );
    expect(issues).toHaveLength(7);
    expect(err.message).toContain('Configuration is invalid (7 problems)');
    expect(err.message).toContain(
      'db.port from env DB_PORT (expected integer >= 1): got "not-a-number"',
    );
    expect(err.message).toContain('missing; set DB_PASSWORD, --db-password or db.password');
    expect(err.message).toContain('DB_HSOT from env DB_HSOT: unknown variable under prefix DB_');
  });

  it('never shows a rejected secret value, in the message or the details', () => {
    const err = thrown(() => create({ DB_PASSWORD: 'hunter2' }));
    expect(err.code).toBe('E_CONFIG_INVALID');
    expect(err.message).toContain('db.password [secret] from env DB_PASSWORD');
    expect(err.message).toContain('secret: not shown');
    expect(JSON.stringify({ message: err.message, details: err.details })).not.toContain('hunter2');
  });

  it('is thrown by Kernel.create before any module that uses configuration is constructed', () => {
    let constructed = 0;
    const Section = Config.define('needy', { schema: z.object({ url: z.url() }) });
    @Module({ name: 'needy' })
    class Needy {
      constructor(@inject(Section) readonly config: ConfigOf<typeof Section>) {
        constructed++;
      }
    }
    const err = thrown(() =>
      Kernel.create({
        modules: [Needy],
        logger: silent,
        providers: ConfigModule.configure({ env: { NEEDY_URL: 'not a url' } }),
      }),
    );
    expect(err.code).toBe('E_CONFIG_INVALID');
    expect(err.message).toContain('needy.url from env NEEDY_URL (expected string (uri))');
    expect(constructed).toBe(0);
  });

  it('reports unknown test values as unknown keys', () => {
    const err = thrown(() =>
      createTestKernel({ modules: [Db], config: { db: { password: 'p4ssword!', prot: 1 } } }),
    );
    expect(err.details!['issues']).toEqual([
      expect.objectContaining({ section: 'db', key: 'prot', source: 'test' }),
    ]);
  });

  it('refuses an asynchronous schema', () => {
    const Async = Config.define('async', {
      schema: z.object({ a: z.string().default('x') }).refine(async () => true),
    });
    @Module({ name: 'user' })
    class User {
      constructor(@inject(Async) readonly config: ConfigOf<typeof Async>) {}
    }
    const err = thrown(() => createTestKernel({ modules: [User] }));
    expect(err.message).toContain('configuration schemas must be synchronous');
  });
});

describe('E_CONFIG_CONFLICT', () => {
  it('is thrown at create when two sections claim one environment variable', () => {
    const A = Config.define('a', { prefix: 'SHARED_', schema: z.object({ url: z.string() }) });
    const B = Config.define('b', { prefix: 'SHARED_', schema: z.object({ url: z.string() }) });
    @Module({ name: 'user' })
    class User {
      constructor(
        @inject(A) readonly a: ConfigOf<typeof A>,
        @inject(B) readonly b: ConfigOf<typeof B>,
      ) {}
    }
    const err = thrown(() => createTestKernel({ modules: [User] }));
    expect(err.code).toBe('E_CONFIG_CONFLICT');
    expect(err.message).toContain('Sections "a" and "b" both claim SHARED_URL');
    expect(err.details).toEqual({ key: 'SHARED_URL', sections: ['a', 'b'] });
  });

  it('attributes a variable to the longest matching prefix', () => {
    const Outer = Config.define('outer', {
      prefix: 'APP_',
      schema: z.object({ name: z.string().default('x') }),
    });
    const Inner = Config.define('inner', {
      prefix: 'APP_POOL_',
      schema: z.object({ size: z.number().default(1) }),
    });
    @Module({ name: 'user' })
    class User {
      constructor(
        @inject(Outer) readonly outer: ConfigOf<typeof Outer>,
        @inject(Inner) readonly inner: ConfigOf<typeof Inner>,
      ) {}
    }
    const make = (env: Record<string, string>) =>
      Kernel.create({
        modules: [User],
        logger: silent,
        providers: ConfigModule.configure({ env }),
      });
    const k = make({ APP_NAME: 'svc', APP_POOL_SIZE: '4' });
    expect((k.module(User).instance as User).inner.value.size).toBe(4);
    const err = thrown(() => make({ APP_POOL_SIEZ: '4' }));
    expect(err.details!['issues']).toEqual([
      expect.objectContaining({ section: 'inner', key: 'APP_POOL_SIEZ', source: 'env' }),
    ]);
  });
});

describe('E_CONFIG_FILE', () => {
  const files = tempFiles({
    'bad.json': '{\n  "db": {\n    "host": "x",\n  }\n}\n',
    'bad.yaml': 'db:\n  host: x\n   port: 1\n',
    'list.json': '[1, 2]',
  });
  afterAll(() => files.cleanup());

  it('names the file, line and column of invalid JSON', () => {
    const err = thrown(() => create({}, { file: files.path('bad.json') }));
    expect(err.code).toBe('E_CONFIG_FILE');
    expect(err.message).toContain(
      `Config file ${files.path('bad.json')} is not valid JSON at line 4`,
    );
    expect(err.details).toMatchObject({ file: files.path('bad.json'), line: 4 });
  });

  it('names the file and line of invalid YAML', () => {
    const err = thrown(() => create({}, { file: files.path('bad.yaml') }));
    expect(err.code).toBe('E_CONFIG_FILE');
    expect(err.message).toContain(
      `${files.path('bad.yaml')} is not valid YAML at line 2, column 9: Nested mappings`,
    );
  });

  it('refuses a file whose top level is not an object, and a missing file', () => {
    expect(thrown(() => create({}, { file: files.path('list.json') })).message).toContain(
      'must hold an object with one entry per section',
    );
    const missing = thrown(() => create({}, { file: files.path('nope.json') }));
    expect(missing.code).toBe('E_CONFIG_FILE');
    expect(missing.message).toContain('nope.json cannot be read');
  });

  it('accepts a missing optional file', () => {
    const k = Kernel.create({
      modules: [Db],
      logger: silent,
      providers: ConfigModule.configure({
        env: { DB_PASSWORD: 'p4ssword!' },
        file: { path: files.path('nope.json'), optional: true },
      }),
    });
    expect((k.module(Db).instance as Db).config.value.password).toBe('p4ssword!');
  });
});

describe('bad declarations and options', () => {
  it('Config.define names the bad option', () => {
    const schema = z.object({ a: z.string() });
    expect(thrown(() => Config.define('1bad', { schema })).details).toEqual({
      option: 'name',
      value: '1bad',
    });
    expect(thrown(() => Config.define('x', { schema: {} as never })).details).toEqual({
      option: 'schema',
    });
    expect(thrown(() => Config.define('x', { schema, prefix: 'a-b' })).details).toMatchObject({
      option: 'prefix',
    });
    expect(
      thrown(() => Config.define('x', { schema, secret: ['b' as 'a'] })).details,
    ).toMatchObject({
      option: 'secret',
    });
    expect(thrown(() => Config.define('x', { schema: z.string() })).details).toEqual({
      option: 'schema',
    });
    expect(thrown(() => Config.define('x', { schema, typo: 1 } as never)).details).toEqual({
      option: 'typo',
    });
  });

  it('takes keys by hand for a schema without JSON Schema output', () => {
    const plain = {
      '~standard': {
        version: 1 as const,
        vendor: 'hand-made',
        validate: (v: unknown) => ({ value: v as { n: number } }),
      },
    };
    expect(thrown(() => Config.define('plain', { schema: plain })).details).toEqual({
      option: 'keys',
    });
    const Plain = Config.define('plain', { schema: plain, keys: { n: 'integer' } });
    @Module({ name: 'user' })
    class User {
      constructor(@inject(Plain) readonly config: ConfigOf<typeof Plain>) {}
    }
    const k = Kernel.create({
      modules: [User],
      logger: silent,
      providers: ConfigModule.configure({ env: { PLAIN_N: '42' } }),
    });
    expect((k.module(User).instance as User).config.value).toEqual({ n: 42 });
  });

  it('ConfigModule.configure names the bad option', () => {
    expect(thrown(() => ConfigModule.configure({ fiel: 'x' } as never)).details).toEqual({
      option: 'fiel',
    });
    expect(thrown(() => ConfigModule.configure({ file: 3 as never })).details).toEqual({
      option: 'file',
    });
    expect(thrown(() => ConfigModule.configure({ env: null as never })).details).toEqual({
      option: 'env',
    });
  });

  it('an unknown flag is the kernel E_CLI_ARGUMENT', () => {
    expect(
      thrown(() => create({ DB_PASSWORD: 'p4ssword!' }, { argv: ['--db-hots', 'x'] })).code,
    ).toBe('E_CLI_ARGUMENT');
  });
});
