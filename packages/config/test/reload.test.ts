import { inject, isKeelError, Module, OnEvent } from '@keel/core';
import { createTestKernel } from '@keel/testing';
import {
  ConfigChanged,
  ConfigModule,
  type ConfigChangedEvent,
  type ConfigOf,
} from '../src/index.js';
import { Cache, Db, DbConfig, tempFiles } from './fixtures.js';

@Module({ name: 'watcher' })
class Watcher {
  readonly seen: ConfigChangedEvent[] = [];
  constructor(@inject(DbConfig) readonly config: ConfigOf<typeof DbConfig>) {}

  @OnEvent(ConfigChanged)
  onChanged(event: ConfigChangedEvent): void {
    this.seen.push(event);
  }
}

function setup(
  env: Record<string, string | undefined>,
  options: { reloadOnSighup?: boolean } = {},
) {
  const k = createTestKernel({
    modules: [Db, Cache, Watcher],
    providers: ConfigModule.configure({ env, ...options }),
  });
  return {
    k,
    config: k.get(ConfigModule),
    db: k.module(Db).instance as Db,
    cache: k.module(Cache).instance as Cache,
    watcher: k.module(Watcher).instance as Watcher,
  };
}

describe('reload', () => {
  it('applies a valid reload at once and emits config.changed with the changed keys', async () => {
    const env: Record<string, string> = { DB_PASSWORD: 'p4ssword!', DB_HOST: 'one' };
    const { k, config, db, watcher } = setup(env);
    await k.start();
    env['DB_HOST'] = 'two';
    env['DB_PASSWORD'] = 'an0ther-secret';
    const event = await config.reload();
    expect(event).toEqual({
      sections: [{ section: 'db', keys: ['host', 'password'] }],
      keys: ['db.host', 'db.password'],
    });
    expect(db.config.value.host).toBe('two');
    expect(db.config.source('host')).toBe('env');
    expect(watcher.seen).toEqual([event]);
    expect(config.snapshot()).toMatchObject({
      reloads: 1,
      invalid: 0,
      lastReload: { ok: true, changed: ['db.host', 'db.password'], error: null },
    });
    // The log says which keys changed, never a secret's value.
    expect(k.logs).toContainEqual(
      expect.objectContaining({ msg: 'config reloaded', changed: ['db.host', 'db.password'] }),
    );
    expect(JSON.stringify(k.logs)).not.toContain('an0ther-secret');

    const unchanged = await config.reload();
    expect(unchanged).toEqual({ sections: [], keys: [] });
    expect(watcher.seen).toHaveLength(1);
    await k.shutdown();
    k.expectNoErrors();
    k.expectNoLeaks();
  });

  it('refuses an invalid reload: the old values stay and the error is reported', async () => {
    const env: Record<string, string> = { DB_PASSWORD: 'p4ssword!', DB_PORT: '5000' };
    const { k, config, db, watcher } = setup(env);
    await k.start();
    const before = db.config.value;
    env['DB_PORT'] = 'oops';
    env['DB_PASSWORD'] = 'short';
    const err = await config.reload().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isKeelError(err, 'E_CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toContain('db.port from env DB_PORT');
    expect((err as Error).message).not.toContain('short');
    expect(db.config.value).toBe(before);
    expect(watcher.seen).toEqual([]);
    expect(k.errors).toHaveLength(1);
    expect(k.errors[0]).toMatchObject({ module: 'config', taskName: 'reload' });
    expect(config.snapshot()).toMatchObject({ reloads: 0, invalid: 1, lastReload: { ok: false } });
    await k.shutdown();
    k.expectNoLeaks();
  });

  it('refuses a reload whose file became invalid', async () => {
    const files = tempFiles({ 'c.json': JSON.stringify({ db: { password: 'p4ssword!' } }) });
    try {
      const k = createTestKernel({
        modules: [Db],
        providers: ConfigModule.configure({ env: {}, file: files.path('c.json') }),
      });
      await k.start();
      files.write('c.json', '{ "db": ');
      await expect(k.get(ConfigModule).reload()).rejects.toMatchObject({ code: 'E_CONFIG_FILE' });
      expect((k.module(Db).instance as Db).config.value.password).toBe('p4ssword!');
      files.write('c.json', JSON.stringify({ db: { password: 'p4ssword!', port: 1234 } }));
      await expect(k.get(ConfigModule).reload()).resolves.toMatchObject({ keys: ['db.port'] });
      expect((k.module(Db).instance as Db).config.source('port')).toBe('file');
      await k.shutdown();
      k.expectNoLeaks();
    } finally {
      files.cleanup();
    }
  });

  it('restarts the modules of a restartOnChange section whose values changed, and only them', async () => {
    const env: Record<string, string> = { DB_PASSWORD: 'p4ssword!' };
    const { k, config, cache } = setup(env);
    const statuses: string[] = [];
    k.on('status', (module, _from, to) => statuses.push(`${module} ${to}`));
    await k.start();
    expect(cache.starts).toEqual([100]);
    statuses.length = 0;
    env['DB_HOST'] = 'elsewhere'; // db is not restartOnChange: not restarted
    await config.reload();
    expect(statuses).toEqual([]);
    env['CACHE_SIZE'] = '200';
    await config.reload();
    expect(cache.starts).toEqual([100, 200]);
    expect(statuses).toEqual(['cache stopping', 'cache offline', 'cache starting', 'cache online']);
    await k.shutdown();
    k.expectNoErrors();
    k.expectNoLeaks();
  });

  it('reloads on SIGHUP under run(), unless reloadOnSighup is false', async () => {
    for (const reloadOnSighup of [true, false]) {
      const env: Record<string, string> = { DB_PASSWORD: 'p4ssword!' };
      const { k, db } = setup(env, { reloadOnSighup });
      const running = k.run();
      await k.waitFor(Db, 'online');
      env['DB_HOST'] = 'after-hangup';
      process.emit('SIGHUP', 'SIGHUP');
      await k.clock.settle();
      expect(db.config.value.host).toBe(reloadOnSighup ? 'after-hangup' : 'localhost');
      process.emit('SIGTERM', 'SIGTERM');
      await expect(running).resolves.toBe(0);
      k.expectNoErrors();
      k.expectNoLeaks();
    }
  });

  it('a refused SIGHUP reload keeps the service running', async () => {
    const env: Record<string, string> = { DB_PASSWORD: 'p4ssword!' };
    const { k, db } = setup(env);
    const running = k.run();
    await k.waitFor(Db, 'online');
    env['DB_PORT'] = 'nope';
    process.emit('SIGHUP', 'SIGHUP');
    await k.clock.settle();
    expect(k.status).toBe('online');
    expect(db.config.value.port).toBe(5432);
    expect(k.errors.map((e) => e.taskName)).toEqual(['reload']);
    process.emit('SIGTERM', 'SIGTERM');
    await expect(running).resolves.toBe(0);
    k.expectNoLeaks();
  });
});
