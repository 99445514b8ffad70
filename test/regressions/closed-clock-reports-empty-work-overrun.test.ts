import { Module, ModuleContext } from '@keel/core';
import { createTestKernel } from '@keel/testing';

// Found by test/reliability (work property: a prep() worker, a start() that hangs, and a
// shutdown racing it with shutdownTimeout = startTimeout).
//
// At 1 s, start() times out: the lifecycle abandons the module (signal aborted) and waits
// up to stopTimeout for its work (Lifecycle.awaitWork, deadline at 2 s). At the same
// instant the shutdown overruns and closes the kernel's clock, which now fires every
// pending deadline at once. awaitWork takes that for its own timeout and reports
// `Module "m0" stopped with work still running after 1000 ms (...): .` — a timeout that did
// not happen (no time passed), with an empty culprit list (the prep worker ended when the
// signal aborted). A wait ended by the closed clock is no timeout of the module's work:
// awaitWork should check `timers.isClosed` (as Lifecycle.call does) and never report an
// overrun naming nothing.

describe('waiting for a module’s work when the clock closes', () => {
  it('reports no work overrun that names no work', async () => {
    class M0 {
      constructor(readonly ctx: ModuleContext) {}
      prep(): void {
        this.ctx.startWorker(
          'prep-work',
          (signal) => new Promise<void>((end) => signal.addEventListener('abort', () => end())),
        );
      }
      start(): Promise<void> {
        return new Promise(() => undefined);
      }
    }
    Reflect.defineMetadata('design:paramtypes', [ModuleContext], M0);
    Module({ name: 'm0' })(M0);
    const k = createTestKernel({
      modules: [M0],
      startTimeout: '1s',
      stopTimeout: '1s',
      shutdownTimeout: '1s',
    });
    const started = k.start().catch(() => undefined);
    await k.clock.advance(0); // m0's start() is running
    const done = k.shutdown();
    await k.clock.advance('2s');
    await done;
    await started;
    const workOverruns = k.errors.filter((e) =>
      e.message.includes('stopped with work still running'),
    );
    // Failed before fc8313b: one such report, "after 1000 ms", listing nothing.
    expect(workOverruns.map((e) => e.message)).toEqual([]);
    k.expectNoLeaks();
  });
});
