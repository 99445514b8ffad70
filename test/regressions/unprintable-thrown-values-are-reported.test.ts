import { Kernel, KeelError, Module, ModuleContext, OnEvent } from '@keel/core';
import { createTestKernel } from '@keel/testing';

// Issue 13, item 3. Values that cannot be printed (an Object.create(null) with a cycle, an
// object whose toString/toJSON throw, a revoked Proxy on which `instanceof` throws) crashed
// error formatting: Kernel.create threw them raw, start() rejected with a TypeError, a
// throwing stop() left its module "stopping" with exit code 0, triggerEvent threw, a
// microtask stayed "running". Formatting an error never throws, anywhere.

function unprintables(): Array<[string, () => unknown]> {
  return [
    [
      'a null-prototype object with a cycle',
      () => {
        const o = Object.create(null) as Record<string, unknown>;
        o['self'] = o;
        return o;
      },
    ],
    [
      'an object whose toString and toJSON throw',
      () => ({
        toString() {
          throw new Error('no toString');
        },
        toJSON() {
          throw new Error('no toJSON');
        },
      }),
    ],
    [
      'a revoked Proxy',
      () => {
        const { proxy, revoke } = Proxy.revocable({}, {});
        revoke();
        return proxy;
      },
    ],
    [
      'an Error whose message getter throws',
      () => {
        const err = new Error('x');
        Object.defineProperty(err, 'message', {
          get() {
            throw new Error('no message');
          },
        });
        return err;
      },
    ],
    ['a BigInt', () => 10n],
  ];
}

function moduleWith(name: string, methods: Record<string, unknown>, events: string[] = []) {
  const cls = { [name]: class {} }[name]!;
  Object.assign(cls.prototype, methods);
  Module({ name, events })(cls);
  return cls;
}

describe.each(unprintables())('a thrown %s', (_label, make) => {
  it('thrown by a constructor: Kernel.create throws E_MODULE_CONSTRUCTOR', () => {
    class Ctor {
      constructor() {
        throw make();
      }
    }
    Module({ name: 'ctor' })(Ctor);
    let thrown: unknown;
    try {
      Kernel.create({ modules: [Ctor] });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(KeelError);
    expect((thrown as KeelError).code).toBe('E_MODULE_CONSTRUCTOR');
  });

  it.each(['prep', 'start'])(
    'thrown by %s(): start() rejects with E_START_FAILED',
    async (step) => {
      const m = moduleWith('m', {
        [step]() {
          throw make();
        },
      });
      const k = createTestKernel({ modules: [m] });
      await expect(k.start()).rejects.toMatchObject({ code: 'E_START_FAILED', module: 'm' });
      expect(k.errors.length).toBeGreaterThan(0);
      expect(k.exitCode).toBe(1);
      k.expectNoLeaks();
    },
  );

  it('thrown by stop(): the module goes offline and the exit code is 1', async () => {
    const m = moduleWith('m', {
      stop() {
        throw make();
      },
    });
    const k = createTestKernel({ modules: [m] });
    await k.start();
    await k.shutdown();
    expect(k.module('m').status).toBe('offline');
    expect(k.exitCode).toBe(1);
    expect(k.errors.map((e) => e.taskType)).toEqual(['stop']);
    k.expectNoLeaks();
  });

  it('thrown by a hook: triggerEvent settles and the failure is reported', async () => {
    class Src {
      constructor(readonly ctx: ModuleContext) {}
    }
    Reflect.defineMetadata('design:paramtypes', [ModuleContext], Src);
    Module({ name: 'src', events: ['e'] })(Src);
    class Sink {
      onE(): void {
        throw make();
      }
    }
    Object.defineProperty(
      Sink.prototype,
      'onE',
      OnEvent(Src, 'e')(
        Sink.prototype,
        'onE',
        Object.getOwnPropertyDescriptor(Sink.prototype, 'onE'),
      ) ?? Object.getOwnPropertyDescriptor(Sink.prototype, 'onE')!,
    );
    Module({ name: 'sink', dependsOn: [Src] })(Sink);
    const k = createTestKernel({ modules: [Src, Sink] });
    await k.start();
    const ctx = k.get(Src).ctx;
    await expect(ctx.triggerEvent('e')).resolves.toBeUndefined();
    expect(k.errors.map((e) => e.taskType)).toEqual(['hook']);
    await k.shutdown();
    k.expectNoLeaks();
  });

  it('thrown by a microtask: it is reported and no longer counts as running', async () => {
    class Mt {
      constructor(readonly ctx: ModuleContext) {}
    }
    Reflect.defineMetadata('design:paramtypes', [ModuleContext], Mt);
    Module({ name: 'mt' })(Mt);
    const k = createTestKernel({ modules: [Mt] });
    await k.start();
    const ctx = k.get(Mt).ctx;
    let rejected = false;
    await ctx
      .runMicroTask('boom', () => {
        throw make();
      })
      .catch(() => (rejected = true));
    expect(rejected).toBe(true);
    expect(k.errors.map((e) => e.taskType)).toEqual(['microtask']);
    expect(k.inspect().microtasks.inUse).toBe(0);
    expect(k.inspect().modules['mt']?.microtasks).toBe(0);
    expect(k.errors[0]!.format()).toContain('TaskType: microtask');
    await k.shutdown();
    k.expectNoLeaks();
  });
});
