import 'reflect-metadata';
import { inject } from 'tsyringe';
import { Module, ModuleContext } from '../../src/index.js';
import { quietKernel } from '../helpers.js';

class Settings {
  readonly url = 'postgres://localhost';
}

@Module()
class Db {
  readonly id = Math.random();
  constructor(
    readonly settings: Settings,
    readonly ctx: ModuleContext,
  ) {}
}

@Module()
class Api {
  constructor(
    readonly db: Db,
    readonly ctx: ModuleContext,
    @inject('greeting') readonly greeting: string,
  ) {}
}

describe('container', () => {
  const providers = [{ provide: 'greeting', useValue: 'hello' }];

  it('gives each module its own context and singletons per kernel', () => {
    const kernel = quietKernel({ modules: [Api], providers });
    const api = kernel.get(Api);
    const db = kernel.get(Db);
    expect(api.db).toBe(db);
    expect(api.ctx).toBeInstanceOf(ModuleContext);
    expect(api.ctx).not.toBe(db.ctx);
    expect(api.ctx.name).toBe('Api');
    expect(db.ctx.name).toBe('Db');
    expect(api.greeting).toBe('hello');
    expect(kernel.module(Api).instance).toBe(api);
    expect(db.settings).toBeInstanceOf(Settings);
    expect(kernel.get(Settings)).toBe(db.settings);
  });

  it('shares no instance between two kernels built from the same classes', async () => {
    const one = quietKernel({ modules: [Api], providers });
    const two = quietKernel({ modules: [Api], providers });
    expect(one.get(Db)).not.toBe(two.get(Db));
    expect(one.get(Settings)).not.toBe(two.get(Settings));
    await one.start();
    expect(two.module(Db).status).toBe('dead');
    await one.shutdown();
    expect(two.status).toBe('created');
  });

  it('supports useValue, useClass and useFactory providers', () => {
    class Clock2 {
      now() {
        return 1;
      }
    }
    let made = 0;
    const kernel = quietKernel({
      modules: [Db],
      providers: [
        { provide: Settings, useValue: { url: 'sqlite::memory:' } },
        { provide: 'clock2', useClass: Clock2 },
        { provide: 'answer', useFactory: () => ++made + 41 },
      ],
    });
    expect(kernel.get(Db).settings.url).toBe('sqlite::memory:');
    expect(kernel.get<Clock2>('clock2')).toBeInstanceOf(Clock2);
    expect(kernel.get<Clock2>('clock2')).toBe(kernel.get('clock2'));
    expect(kernel.get('answer')).toBe(42);
    expect(kernel.get('answer')).toBe(42);
    expect(made).toBe(1);
  });

  it('replaces a module by a provider, keeping its name and place', async () => {
    const started: string[] = [];
    @Module()
    class Mail {
      start() {
        started.push('real');
      }
    }
    @Module()
    class Signup {
      constructor(readonly mail: Mail) {}
    }
    const fake = { start: () => void started.push('fake') };
    const kernel = quietKernel({
      modules: [Signup],
      providers: [{ provide: Mail, useValue: fake }],
    });
    expect(kernel.get(Signup).mail).toBe(fake);
    expect(kernel.module('Mail').dependents).toEqual(['Signup']);
    await kernel.start();
    await kernel.shutdown();
    expect(started).toEqual(['fake']);
  });

  it('names the module whose constructor throws', () => {
    @Module({ name: 'fragile' })
    class Fragile {
      constructor() {
        throw new Error('no config file');
      }
    }
    expect(() => quietKernel({ modules: [Fragile] })).toThrow(
      expect.objectContaining({
        code: 'E_MODULE_CONSTRUCTOR',
        module: 'fragile',
        message: expect.stringContaining('no config file'),
      }),
    );
  });

  it('says a class without decorator metadata needs emitDecoratorMetadata or @inject', () => {
    // What tsx/esbuild produce: the decorator runs, but no design:paramtypes is emitted.
    class Unmarked {
      constructor(readonly ctx: ModuleContext) {}
    }
    Module({ name: 'unmarked' })(Unmarked);
    expect(() => quietKernel({ modules: [Unmarked] })).toThrow(
      expect.objectContaining({
        code: 'E_MODULE_CONSTRUCTOR',
        module: 'unmarked',
        message: expect.stringMatching(/emitDecoratorMetadata[\s\S]*@inject\(Token\)/),
      }),
    );
  });

  it('rejects bad providers with a clear message', () => {
    expect(() => quietKernel({ modules: [Db], providers: [{} as never] })).toThrow(
      expect.objectContaining({
        code: 'E_INVALID_OPTION',
        message: expect.stringContaining('entry #0'),
      }),
    );
    expect(() =>
      quietKernel({
        modules: [Db],
        providers: [{ provide: 'x', useValue: 1, useFactory: () => 2 }],
      }),
    ).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }));
  });
});
