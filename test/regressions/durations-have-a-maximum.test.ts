import { Kernel, KeelError, Module, ModuleContext, Task, toMs } from '@keel/core';
import { createTestKernel } from '@keel/testing';
import { codeOf } from './support/code-of.js';

// Issue 13, items 14 and 16 (durations). Huge durations (`every: 1e16`, a 400-digit ms
// string that parses to Infinity) were accepted, and inspect() then threw "Invalid time
// value". Durations have a maximum (10 years); NaN, Infinity and BigInt are named as
// written (NaN printed as "null" before; a BigInt crashed the message with a TypeError).

describe('a duration', () => {
  it('longer than 10 years is refused with E_INVALID_DURATION', () => {
    expect(codeOf(() => toMs(1e16, 'x'))).toBe('E_INVALID_DURATION');
    expect(codeOf(() => toMs(`${'9'.repeat(400)}ms`, 'x'))).toBe('E_INVALID_DURATION');
    expect(codeOf(() => toMs('3651d', 'x'))).toBe('E_INVALID_DURATION');
    expect(toMs('3650d', 'x')).toBe(3650 * 86_400_000);
  });

  it.each([
    [Number.NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [-Infinity, '-Infinity'],
    [5n, '5n'],
  ])('%p is named as written', (value, printed) => {
    let thrown: unknown;
    try {
      toMs(value as never, 'ctx.sleep()');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(KeelError);
    expect((thrown as KeelError).code).toBe('E_INVALID_DURATION');
    expect((thrown as KeelError).message).toContain(`ctx.sleep(): ${printed}`);
  });

  it('of @Task({ every: 1e16 }) is refused where it is declared, not in inspect()', () => {
    class Huge {
      tick(): void {}
    }
    const declare = (): void => {
      Task({ every: 1e16 })(
        Huge.prototype,
        'tick',
        Object.getOwnPropertyDescriptor(Huge.prototype, 'tick'),
      );
      Module({ name: 'huge' })(Huge);
      Kernel.create({ modules: [Huge] });
    };
    expect(codeOf(declare)).toBe('E_INVALID_DURATION');
  });

  it('of a repeat() that is huge is refused, and inspect() keeps working', async () => {
    class Rep {
      constructor(readonly ctx: ModuleContext) {}
    }
    Reflect.defineMetadata('design:paramtypes', [ModuleContext], Rep);
    Module({ name: 'rep' })(Rep);
    const k = createTestKernel({ modules: [Rep] });
    await k.start();
    const task = k.get(Rep).ctx.newTask('t', () => undefined);
    expect(codeOf(() => task.repeat(`${'9'.repeat(400)}ms`))).toBe('E_INVALID_DURATION');
    task.repeat('3650d');
    expect(() => k.inspect()).not.toThrow();
    await k.shutdown();
    k.expectNoLeaks();
  });
});
