import { inspect } from 'node:util';
import { inject, Module, ModuleContext } from '@keel/core';
import { createTestKernel } from '@keel/testing';
import { ConfigModule, MASK, type ConfigOf } from '../src/index.js';
import { DbConfig } from './fixtures.js';

const PASSWORD = 'correct-horse-battery';

@Module({ name: 'chatty' })
class Chatty {
  constructor(
    @inject(DbConfig) readonly config: ConfigOf<typeof DbConfig>,
    @inject(ModuleContext) private readonly ctx: ModuleContext,
  ) {}

  start(): void {
    const value = this.config.value;
    this.ctx.logger.info({ settings: value }, 'plain value, one level down');
    this.ctx.logger.info({ password: value.password, DB_PASSWORD: value.password }, 'top level');
    this.ctx.logger.info({ config: this.config }, 'the section itself');
  }
}

describe('secrets', () => {
  it('are redacted in every log line, by the kernel redact paths the section adds', async () => {
    const k = createTestKernel({ modules: [Chatty], config: { db: { password: PASSWORD } } });
    await k.start();
    await k.shutdown();
    expect(JSON.stringify(k.logs)).not.toContain(PASSWORD);
    const line = (msg: string) => k.logs.find((l) => l.msg === msg)!;
    expect(line('plain value, one level down')['settings']).toMatchObject({
      host: 'localhost',
      password: MASK,
    });
    expect(line('top level')).toMatchObject({ password: MASK, DB_PASSWORD: MASK });
    expect(line('the section itself')['config']).toMatchObject({
      host: 'localhost',
      password: MASK,
    });
    k.expectNoErrors();
    k.expectNoLeaks();
  });

  it('are masked by toJSON(), util.inspect and the config snapshot; the kernel snapshot has none', async () => {
    const k = createTestKernel({ modules: [Chatty], config: { db: { password: PASSWORD } } });
    const section = (k.module(Chatty).instance as Chatty).config;
    expect(section.value.password).toBe(PASSWORD);
    expect(JSON.stringify(section)).not.toContain(PASSWORD);
    expect(inspect(section)).toContain(`password: '${MASK}'`);
    expect(inspect(section)).not.toContain(PASSWORD);
    const snapshot = k.get(ConfigModule).snapshot();
    expect(snapshot.sections['db']!.keys['password']).toEqual({
      value: MASK,
      source: 'test',
      secret: true,
      env: 'DB_PASSWORD',
      flag: '--db-password',
    });
    expect(snapshot.sections['db']!.keys['host']).toMatchObject({
      value: 'localhost',
      source: 'default',
    });
    expect(snapshot.sections['db']!.usedBy).toEqual(['chatty']);
    await k.start();
    expect(JSON.stringify(k.inspect())).not.toContain(PASSWORD);
    expect(JSON.stringify(k.get(ConfigModule).snapshot())).not.toContain(PASSWORD);
    await k.shutdown();
    k.expectNoLeaks();
  });
});
