import { Module } from '@keel/core';
import { createTestKernel } from '@keel/testing';

// Issue 13, item 13. A shutdown overrun was reported twice for a module whose stop() hung,
// both with taskName 'stop module' (the overrun, then the abandoned stop() itself). Docs
// (lifecycle.md, errors.md): one report, taskName 'shutdown', cause E_TIMEOUT.

class Hung {
  stop(): Promise<void> {
    return new Promise<void>(() => undefined);
  }
}
Module({ name: 'hung' })(Hung);

class Starting {
  start(): Promise<void> {
    return new Promise<void>(() => undefined);
  }
}
Module({ name: 'starting' })(Starting);

describe('a shutdown that overruns shutdownTimeout', () => {
  it('reports a hung stop() once, with taskName "shutdown"', async () => {
    const k = createTestKernel({ modules: [Hung], stopTimeout: '10s', shutdownTimeout: '1s' });
    await k.start();
    const done = k.shutdown();
    await k.clock.advance('2s');
    await done;
    expect(
      k.errors.map((e) => [e.module, e.taskName, (e.cause as { code?: string }).code]),
    ).toEqual([['hung', 'shutdown', 'E_TIMEOUT']]);
    expect(k.exitCode).toBe(1);
    k.expectNoLeaks();
  });

  it('reports a hung start() once, with taskName "shutdown"', async () => {
    const k = createTestKernel({ modules: [Starting], startTimeout: '1h', shutdownTimeout: '1s' });
    const started = k.start().catch(() => undefined);
    await k.clock.advance(10);
    const done = k.shutdown();
    await k.clock.advance('2s');
    await done;
    await started;
    expect(k.errors.map((e) => [e.module, e.taskName])).toEqual([['starting', 'shutdown']]);
    k.expectNoLeaks();
  });
});
