import { Module, ModuleContext } from '@keel/core';
import { createTestKernel } from '@keel/testing';

// Issue 13, item 2. A worker looping on `await ctx.sleep('1s')` without checking its signal:
// once the module is stopping, sleep() resolved at once, the loop became pure microtasks
// and no timer (stopTimeout, shutdownTimeout) could fire: shutdown never returned. A sleep
// after abort now resolves on a macrotask, so deadlines fire whatever the loop does.

/** Iterations cap: the old code then ends the loop instead of hanging the test runner. */
const CAP = 200_000;

class Spinner {
  iterations = 0;
  halt = false;
  constructor(readonly ctx: ModuleContext) {}
  start(): void {
    this.ctx.startWorker('spin', async () => {
      while (!this.halt && this.iterations < CAP) {
        this.iterations++;
        await this.ctx.sleep('1s');
      }
    });
  }
}
Reflect.defineMetadata('design:paramtypes', [ModuleContext], Spinner);
Module({ name: 'spinner' })(Spinner);

describe('a worker that sleeps in a loop and ignores its signal', () => {
  it('cannot keep shutdown from returning at its deadline', async () => {
    const k = createTestKernel({
      modules: [Spinner],
      stopTimeout: '4s',
      shutdownTimeout: '10s',
    });
    await k.start();
    const spinner = k.get(Spinner);
    await k.clock.advance('3s');
    let done = false;
    const shutdown = k.shutdown().then(() => (done = true));
    await k.clock.advance('20s');
    await shutdown;
    expect(done).toBe(true);
    // The stop deadline fired while the worker still looped (it did not end on its own).
    expect(spinner.iterations).toBeLessThan(CAP);
    expect(k.errors.map((e) => e.cause)).toContainEqual(
      expect.objectContaining({ code: 'E_TIMEOUT' }),
    );
    expect(k.exitCode).toBe(1);
    spinner.halt = true;
    await k.clock.settle();
  });
});
