import { Module } from '@keel/core';
import { createTestKernel } from '@keel/testing';

// Issue 13, item 11. `throw null` / `throw undefined` in prep() or start() was reported as
// "Shutdown began while the kernel was starting" with an E_KERNEL_STATE cause: the thrown
// value was taken for "no failure". The cause is the thrown value, and the module is blamed.

const cases: Array<[string, 'prep' | 'start', unknown]> = [
  ['null in prep', 'prep', null],
  ['undefined in prep', 'prep', undefined],
  ['null in start', 'start', null],
  ['undefined in start', 'start', undefined],
];

describe.each(cases)('throw %s', (_label, step, value) => {
  it('rejects start() with E_START_FAILED naming the module, the value as cause', async () => {
    const cls = { Thrower: class {} }.Thrower;
    (cls.prototype as unknown as Record<string, unknown>)[step] = () => {
      throw value;
    };
    Module({ name: 'thrower' })(cls);
    const k = createTestKernel({ modules: [cls] });
    const err = (await k.start().catch((e: unknown) => e)) as Error & {
      code: string;
      module?: string;
    };
    expect(err.code).toBe('E_START_FAILED');
    expect(err.module).toBe('thrower');
    expect('cause' in err).toBe(true);
    expect(err.cause).toBe(value);
    expect(err.message).not.toContain('Shutdown began');
    expect(k.exitCode).toBe(1);
    k.expectNoLeaks();
  });
});
