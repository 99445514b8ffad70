import { inject, Kernel, Module } from '@keel/core';
import { createTestKernel } from '@keel/testing';
import { pino } from 'pino';
import { z } from 'zod';
import { Config, ConfigModule, type ConfigOf } from '../src/index.js';
import { Db, DbConfig, tempFiles } from './fixtures.js';

const silent = pino({ level: 'silent' });

function db(k: Kernel): Db {
  return k.module(Db).instance as Db;
}

describe('sources and their precedence', () => {
  const files = tempFiles({
    'config.json': JSON.stringify({
      db: { host: 'file-host', port: 6000, password: 'from-the-file' },
    }),
    'config.yaml': 'db:\n  host: yaml-host\n  ssl: true\n  password: yaml-password\n',
  });
  afterAll(() => files.cleanup());

  it('takes schema defaults when no source sets a key', () => {
    const k = createTestKernel({ modules: [Db], config: { db: { password: 'p4ssword!' } } });
    expect(db(k).config.value).toEqual({
      host: 'localhost',
      port: 5432,
      password: 'p4ssword!',
      ssl: false,
      maxConnections: 10,
    });
    expect(db(k).config.source('host')).toBe('default');
    expect(db(k).config.source('password')).toBe('test');
  });

  it('reads a JSON file, then the environment over it, then flags over both', () => {
    const create = (env: Record<string, string>, argv: string[]) =>
      Kernel.create({
        modules: [Db],
        logger: silent,
        cli: { argv },
        providers: ConfigModule.configure({ file: files.path('config.json'), env }),
      });
    const fileOnly = db(create({}, []));
    expect(fileOnly.config.value).toMatchObject({ host: 'file-host', port: 6000 });
    expect(fileOnly.config.source('port')).toBe('file');

    const withEnv = db(create({ DB_PORT: '7000', DB_SSL: 'yes' }, []));
    expect(withEnv.config.value).toMatchObject({ host: 'file-host', port: 7000, ssl: true });
    expect(withEnv.config.source('port')).toBe('env');
    expect(withEnv.config.source('host')).toBe('file');

    const withFlag = db(create({ DB_PORT: '7000' }, ['--db-port', '8000', '--db-ssl']));
    expect(withFlag.config.value).toMatchObject({ port: 8000, ssl: true });
    expect(withFlag.config.source('port')).toBe('flag');
    expect(withFlag.config.source('ssl')).toBe('flag');
    expect(withFlag.config.source('password')).toBe('file');
  });

  it('reads YAML files', () => {
    const k = Kernel.create({
      modules: [Db],
      logger: silent,
      providers: ConfigModule.configure({ file: files.path('config.yaml'), env: {} }),
    });
    expect(db(k).config.value).toMatchObject({ host: 'yaml-host', ssl: true });
  });

  it('gives constructors the validated, frozen value (values exist from Kernel.create on)', () => {
    const k = createTestKernel({
      modules: [Db],
      config: { db: { password: 'p4ssword!', host: 'test-db' } },
    });
    const value = db(k).config.value;
    expect(db(k).hostAtCreate).toBe('test-db');
    expect(Object.isFrozen(value)).toBe(true);
    expect(() => {
      (value as { host: string }).host = 'changed';
    }).toThrow(TypeError);
    expect(db(k).config.get('host')).toBe('test-db');
  });

  it('test values win over the environment, and test kernels do not read process.env', () => {
    const before = { ...process.env };
    process.env['DB_HOST'] = 'from-process-env';
    try {
      const k = createTestKernel({ modules: [Db], config: { db: { password: 'p4ssword!' } } });
      expect(db(k).config.value.host).toBe('localhost');
      const explicit = createTestKernel({
        modules: [Db],
        providers: ConfigModule.configure({ env: { DB_HOST: 'env-host', DB_PORT: '1' } }),
        config: { db: { password: 'p4ssword!', port: 2 } },
      });
      expect(db(explicit).config.value).toMatchObject({ host: 'env-host', port: 2 });
      expect(db(explicit).config.source('port')).toBe('test');
    } finally {
      delete process.env['DB_HOST'];
    }
    expect(process.env).toEqual(before);
  });

  it('reads process.env by default outside tests', () => {
    process.env['KEELTEST_NAME'] = 'from-env';
    try {
      const Section = Config.define('keeltest', { schema: z.object({ name: z.string() }) });
      @Module({ name: 'user' })
      class User {
        constructor(@inject(Section) readonly config: ConfigOf<typeof Section>) {}
      }
      const k = Kernel.create({ modules: [User], logger: silent });
      expect((k.module(User).instance as User).config.value.name).toBe('from-env');
    } finally {
      delete process.env['KEELTEST_NAME'];
    }
  });

  it('lists the section flags in --help, under the section module', async () => {
    let help = '';
    const k = Kernel.create({
      modules: [Db],
      logger: silent,
      cli: { argv: ['--help'], print: (text) => (help = text) },
      providers: ConfigModule.configure({ env: {} }),
    });
    await k.start();
    expect(help).toContain('config:db:');
    expect(help).toMatch(/--db-port <value>\s+port \(integer >= 1; env DB_PORT\)/);
    expect(help).toMatch(/--db-password <value>.*\[secret\]/);
    expect(help).toMatch(/--db-ssl\s/);
  });

  it('shares one section between modules, and the kernel adds the config modules', () => {
    @Module({ name: 'reader' })
    class Reader {
      constructor(@inject(DbConfig) readonly config: ConfigOf<typeof DbConfig>) {}
    }
    const k = createTestKernel({
      modules: [Db, Reader],
      config: { db: { password: 'p4ssword!' } },
    });
    expect(k.modules.map((m) => m.name)).toEqual(['config', 'config:db', 'db', 'reader']);
    expect(k.module('config:db').dependents).toEqual(['db', 'reader']);
    expect((k.module(Reader).instance as Reader).config.value).toBe(db(k).config.value);
  });
});
