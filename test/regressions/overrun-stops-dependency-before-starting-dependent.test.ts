import { Module, type ModuleStatus } from '@keel/core';
import { createTestKernel } from '@keel/testing';

// Found by test/reliability (lifecycle property, a shutdown racing a start() that hangs).
//
// When shutdown() overruns while kernel.start() is still starting a module, the overrun
// handling (Lifecycle.abandonStop, called dependents first) only reports a module that is
// "starting" and leaves it starting until the clock closes; but it goes on to a dependency
// that is "online" and stops it at once (signal aborted, stop() called). So a dependency
// is stopped while its dependent's start() still runs and may use it: the ordering rule
// "no module stops while a dependent still runs" is broken. The dependent's step should be
// cut off (clock closed, or its signal aborted and it moved to stopping) before any of its
// dependencies is stopped.

describe('a shutdown overrun during start', () => {
  it('stops no dependency while a dependent is still starting', async () => {
    const db = { db: class {} }.db;
    Module({ name: 'db' })(db);
    const api = { api: class {} }.api;
    (api.prototype as unknown as { start: () => Promise<void> }).start = () =>
      new Promise(() => undefined);
    Module({ name: 'api', dependsOn: [db] })(api);
    const k = createTestKernel({
      modules: [api],
      startTimeout: '10s',
      shutdownTimeout: '1s',
    });
    const apiWhenDbStopped: ModuleStatus[] = [];
    k.on('status', (name, _from, to) => {
      if (name === 'db' && to === 'stopping') apiWhenDbStopped.push(k.module(api).status);
    });
    const started = k.start().catch(() => undefined);
    await k.clock.advance(100); // db online, api's start() running
    const done = k.shutdown();
    await k.clock.advance('2s'); // overrun at 1.1 s
    await done;
    await started;
    expect(k.modules.map((m) => m.status)).toEqual(['offline', 'offline']);
    expect(apiWhenDbStopped).toHaveLength(1);
    // Failed before fc8313b: db went "stopping" while api was still "starting".
    expect(apiWhenDbStopped[0]).not.toMatch(/^(starting|online)$/);
    k.expectNoLeaks();
  });
});
