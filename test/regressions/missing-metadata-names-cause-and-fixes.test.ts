import { Kernel, KeelError, Module } from '@keel/core';
import pino from 'pino';
// The trap itself: a class imported with `import type` is erased, so the emitted
// constructor metadata reads `Object` instead of Store.
import type { Store } from './support/store-module.js';

// Issue 18, item 7. A module whose constructor parameter type was erased (`import type`) or
// never emitted (tsx/esbuild: no emitDecoratorMetadata) failed with tsyringe's
// `TypeInfo not known for "Object"` and a generic hint. The message now names the cause and
// both fixes for each case.

function createError(modules: Array<new (...args: never[]) => object>): KeelError {
  try {
    Kernel.create({ modules, logger: pino({ level: 'silent' }) });
  } catch (err) {
    if (err instanceof KeelError) return err;
    throw err;
  }
  throw new Error('Kernel.create did not throw');
}

describe('a module the container cannot construct for want of metadata', () => {
  it('whose parameter type was imported with `import type` is told so, with both fixes', () => {
    @Module({ name: 'api' })
    class Api {
      constructor(readonly store: Store) {}
    }
    expect(Reflect.getMetadata('design:paramtypes', Api)).toEqual([Object]);
    const err = createError([Api]);
    expect(err.code).toBe('E_MODULE_CONSTRUCTOR');
    expect(err.module).toBe('api');
    expect(err.message).toContain('Constructor parameter #0 of Api');
    expect(err.message).toContain('"import type"');
    expect(err.message).toMatch(/import the class as a value[\s\S]*@inject\(Token\)/);
  });

  it('compiled without emitDecoratorMetadata is told so, with both fixes', () => {
    class Bare {
      constructor(readonly store: unknown) {}
    }
    Module({ name: 'bare' })(Bare); // as tsx/esbuild leave it: no design:paramtypes
    const err = createError([Bare]);
    expect(err.code).toBe('E_MODULE_CONSTRUCTOR');
    expect(err.message).toContain('Class Bare has no decorator metadata');
    expect(err.message).toMatch(/"emitDecoratorMetadata"[\s\S]*tsc[\s\S]*@inject\(Token\)/);
  });
});
