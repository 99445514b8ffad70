import { Kernel, Module, ModuleContext, Task, Worker } from '@keel/core';
import { createTestKernel } from '@keel/testing';
import { codeOf } from './support/code-of.js';

// Issue 13, item 10. Nonsense declarations were accepted: `events: 'changed'` became seven
// one-letter events, a cron that never fires (`0 0 30 2 *`) was accepted although tasks.md
// promises E_TASK_OPTIONS, and a subclass overriding a decorated @Worker/@Task method (and
// decorating it again) ran both.

function decorate(decorator: MethodDecorator, cls: { prototype: object }, key: string): void {
  const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, key)!;
  decorator(cls.prototype, key, descriptor);
}

describe('nonsense declarations', () => {
  it('events as a string is refused with E_INVALID_OPTION', () => {
    class Ev {}
    Module({ name: 'ev', events: 'changed' as never })(Ev);
    expect(codeOf(() => Kernel.create({ modules: [Ev] }))).toBe('E_INVALID_OPTION');
  });

  it('a cron that never fires is refused with E_TASK_OPTIONS', () => {
    const planned = (cron: string): string | undefined => {
      class Feb {
        run(): void {}
      }
      decorate(Task({ cron }), Feb, 'run');
      Module()(Feb);
      return codeOf(() => Kernel.create({ modules: [Feb] }));
    };
    expect(planned('0 0 30 2 *')).toBe('E_TASK_OPTIONS');
    // A rare but real date is fine.
    expect(planned('0 0 29 2 *')).toBeUndefined();
  });

  it('a subclass redeclaring a @Worker / @Task method runs it once, as declared', async () => {
    const runs: string[] = [];
    class Base {
      constructor(readonly ctx: ModuleContext) {}
      async pump(signal: AbortSignal): Promise<void> {
        runs.push('base pump');
        await this.ctx.sleep('1h', { signal });
      }
      tick(): void {
        runs.push('base tick');
      }
    }
    decorate(Worker(), Base, 'pump');
    decorate(Task({ every: '1m' }), Base, 'tick');
    class Derived extends Base {
      override async pump(signal: AbortSignal): Promise<void> {
        runs.push('derived pump');
        await this.ctx.sleep('1h', { signal });
      }
      override tick(): void {
        runs.push('derived tick');
      }
    }
    decorate(Worker(), Derived, 'pump');
    decorate(Task({ every: '1m' }), Derived, 'tick');
    Reflect.defineMetadata('design:paramtypes', [ModuleContext], Derived);
    Module({ name: 'derived' })(Derived);
    const k = createTestKernel({ modules: [Derived] });
    await k.start();
    await k.clock.advance('1m');
    expect(runs.sort()).toEqual(['derived pump', 'derived tick']);
    expect(k.inspect().modules['derived']?.workers).toHaveLength(1);
    await k.shutdown();
    k.expectNoLeaks();
  });
});
