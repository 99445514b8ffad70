import {
  defineEvent,
  Kernel,
  KeelError,
  Module,
  ModuleContext,
  OnEvent,
  RestartNow,
  Worker,
} from '@keel/core';
import { createTestKernel } from '@keel/testing';

// Issue 13, item 16. Misuse that ended in a raw TypeError, in silence or in a wrong
// message; each is a coded KeelError now (or behaves as documented).

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

function codeOf(fn: () => unknown): string | undefined {
  const err = thrownBy(fn);
  if (err === undefined) return undefined;
  return err instanceof KeelError ? err.code : `raw ${typeof err}`;
}

class Ctx {
  constructor(readonly ctx: ModuleContext) {}
}
Reflect.defineMetadata('design:paramtypes', [ModuleContext], Ctx);
Module({ name: 'ctx', events: ['e'] })(Ctx);

describe('misuse', () => {
  it('modules: [Object.create(null)] is E_NOT_A_MODULE', () => {
    expect(codeOf(() => Kernel.create({ modules: [Object.create(null) as never] }))).toBe(
      'E_NOT_A_MODULE',
    );
  });

  it('a dependsOn forward reference that throws is E_NOT_A_MODULE', () => {
    class Fwd {}
    Module({
      name: 'fwd',
      dependsOn: [
        (() => {
          throw new Error('not yet defined');
        }) as never,
      ],
    })(Fwd);
    expect(codeOf(() => Kernel.create({ modules: [Fwd] }))).toBe('E_NOT_A_MODULE');
  });

  it('@Module(null) and @OnEvent(null, "e") are E_INVALID_OPTION', () => {
    // Decorators only record: Kernel.create refuses what they recorded.
    class A {
      on(): void {}
    }
    Module(null as never)(A);
    expect(codeOf(() => Kernel.create({ modules: [A] }))).toBe('E_INVALID_OPTION');
    class H {
      on(): void {}
    }
    OnEvent(null as never, 'e')(
      H.prototype,
      'on',
      Object.getOwnPropertyDescriptor(H.prototype, 'on'),
    );
    Module()(H);
    expect(codeOf(() => Kernel.create({ modules: [H] }))).toBe('E_INVALID_OPTION');
  });

  it('events: {} and dependsOn: "Db" are E_INVALID_OPTION, never printing "D"', () => {
    class B {}
    Module({ events: {} as never })(B);
    expect(codeOf(() => Kernel.create({ modules: [B] }))).toBe('E_INVALID_OPTION');
    class C {}
    Module({ dependsOn: 'Db' as never })(C);
    const err = thrownBy(() => Kernel.create({ modules: [C] })) as KeelError;
    expect(err.code).toBe('E_INVALID_OPTION');
    expect(err.message).not.toContain('"D"');
  });

  it('useClass: 5 is E_INVALID_OPTION', () => {
    const token = Symbol('t');
    expect(
      codeOf(() =>
        Kernel.create({ modules: [Ctx], providers: [{ provide: token, useClass: 5 as never }] }),
      ),
    ).toBe('E_INVALID_OPTION');
  });

  it('kernel.module(undefined), runCommand(undefined) and bad work functions are coded', async () => {
    const k = createTestKernel({ modules: [Ctx] });
    expect(codeOf(() => k.module(undefined as never))).toBe('E_INVALID_OPTION');
    await expect(k.runCommand(undefined as never)).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
    });
    await k.start();
    const { ctx } = k.get(Ctx);
    expect(codeOf(() => ctx.runMicroTask('m', null as never))).toBe('E_INVALID_OPTION');
    expect(codeOf(() => ctx.runWorker('w', null as never))).toBe('E_INVALID_OPTION');
    expect(codeOf(() => ctx.startWorker('w', null as never))).toBe('E_INVALID_OPTION');
    expect(codeOf(() => ctx.triggerEvent(undefined as never))).toBe('E_INVALID_OPTION');
    expect(k.errors).toEqual([]);
    await k.shutdown();
    k.expectNoLeaks();
  });

  it("triggerEvent with another module's key does not trigger the caller's own event", async () => {
    const seen: string[] = [];
    class Other {}
    Module({ name: 'other', events: ['e'] })(Other);
    class Sink {
      onCtx(): void {
        seen.push('ctx.e');
      }
    }
    OnEvent(Ctx, 'e')(
      Sink.prototype,
      'onCtx',
      Object.getOwnPropertyDescriptor(Sink.prototype, 'onCtx'),
    );
    Module({ name: 'sink', dependsOn: [Ctx, Other] })(Sink);
    const k = createTestKernel({ modules: [Sink] });
    await k.start();
    const { ctx } = k.get(Ctx);
    expect(codeOf(() => ctx.triggerEvent(defineEvent('other', 'e'), undefined))).toBe(
      'E_EVENT_UNKNOWN',
    );
    await ctx.triggerEvent(defineEvent(Ctx, 'e'), undefined);
    expect(seen).toEqual(['ctx.e']);
    await k.shutdown();
  });

  it('CLI short flags that collide (with -h, or between modules) are refused', () => {
    class H {}
    Module({ name: 'h', flags: { host: { type: 'string', short: 'h' } } })(H);
    expect(codeOf(() => Kernel.create({ modules: [H] }))).toBe('E_INVALID_OPTION');
    class P1 {}
    Module({ name: 'p1', flags: { port: { type: 'string', short: 'p' } } })(P1);
    class P2 {}
    Module({ name: 'p2', flags: { path: { type: 'string', short: 'p' } } })(P2);
    expect(codeOf(() => Kernel.create({ modules: [P1, P2] }))).toBe('E_INVALID_OPTION');
  });

  it('a module named "__proto__" is in inspect()', async () => {
    class Proto {}
    Module({ name: '__proto__' })(Proto);
    const k = createTestKernel({ modules: [Proto] });
    await k.start();
    const modules = k.inspect().modules;
    expect(Object.keys(modules)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(modules, '__proto__')?.value).toMatchObject({
      status: 'online',
    });
    await k.shutdown();
  });

  it('a worker throwing RestartNow synchronously for ever does not freeze start()', async () => {
    let restarts = 0;
    class Restarter {
      run(): void {
        restarts++;
        throw new RestartNow();
      }
    }
    Worker()(
      Restarter.prototype,
      'run',
      Object.getOwnPropertyDescriptor(Restarter.prototype, 'run'),
    );
    Module({ name: 'restarter' })(Restarter);
    const k = createTestKernel({ modules: [Restarter], stopTimeout: '1s' });
    await k.start(); // returned: start() was not held by the loop
    await k.clock.settle();
    expect(restarts).toBeGreaterThan(1);
    await k.shutdown();
    const after = restarts;
    await k.clock.settle();
    expect(restarts).toBe(after);
    k.expectNoLeaks();
  });

  it('error messages never end in ".."', () => {
    class Dot {
      constructor() {
        throw new Error('bad config.');
      }
    }
    Module({ name: 'dot' })(Dot);
    const err = thrownBy(() => Kernel.create({ modules: [Dot] })) as KeelError;
    expect(err.code).toBe('E_MODULE_CONSTRUCTOR');
    expect(err.message).not.toContain('..');
  });
});
