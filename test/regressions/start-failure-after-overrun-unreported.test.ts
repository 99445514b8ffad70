import { Module, ModuleContext } from '@keel/core';
import { createTestKernel } from '@keel/testing';

// Found by test/reliability (a shutdown racing a start() that fails once cut off).
//
// When a shutdown overruns while a module is starting, Lifecycle.abandonStop cuts the
// start off (the module goes stopping → offline; its signal aborts). If the module's
// start() then fails (here: it rejects with its own error as its signal aborts; also a
// start timeout firing at the same instant), Lifecycle.finishStart sees the module no
// longer "starting" and rethrows the error without reporting it. kernel.start() then
// rejects with E_START_FAILED naming the module, with that error as its cause — an error
// that never reached kernel.on('error') nor the log. API.md: everything module code throws
// or rejects "is caught, reported through kernel.on('error') and the logger". Either report
// it (taskType 'start') or do not blame the module for a start the kernel gave up on.

class Db {
  constructor(readonly ctx: ModuleContext) {}
  start(): Promise<void> {
    return new Promise((_, reject) =>
      this.ctx.signal.addEventListener('abort', () => reject(new Error('db connect failed'))),
    );
  }
}
Reflect.defineMetadata('design:paramtypes', [ModuleContext], Db);
Module({ name: 'db' })(Db);

describe('a start() that fails after a shutdown overrun cut it off', () => {
  it('is reported on on("error") when kernel.start() blames it', async () => {
    const k = createTestKernel({ modules: [Db], startTimeout: '10s', shutdownTimeout: '1s' });
    let rejection: unknown;
    const started = k.start().catch((err: unknown) => (rejection = err));
    await k.clock.advance(100); // db's start() is running
    const done = k.shutdown();
    await k.clock.advance('2s'); // the overrun at 1.1 s cuts db's start off
    await done;
    await started;
    const blamed = rejection as { code?: string; module?: string; cause?: unknown };
    expect(blamed.code).toBe('E_START_FAILED');
    if (blamed.module !== undefined) {
      // Failed before 2dbdd9b: the cause ("db connect failed") is on no reported ModuleError.
      expect(k.errors.map((e) => e.cause)).toContain(blamed.cause);
    }
    k.expectNoLeaks();
  });
});
