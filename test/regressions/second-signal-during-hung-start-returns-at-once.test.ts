import { Module } from '@keel/core';
import { createTestKernel } from '@keel/testing';

// Issue 13, item 7. A second SIGINT while run() waited for a hung start() was ignored
// until startTimeout: run() awaited start() before it looked at the forced-exit signal.
// The second signal resolves run() with 130 at once, in every phase.

const never = (): Promise<never> => new Promise<never>(() => undefined);

function hungIn(step: 'prep' | 'start'): object {
  const cls = { [`Hung${step}`]: class {} }[`Hung${step}`]!;
  (cls.prototype as unknown as Record<string, unknown>)[step] = never;
  Module({ name: `hung-${step}` })(cls);
  return cls;
}

describe.each(['prep', 'start'] as const)('a second SIGINT while %s() hangs', (step) => {
  it('resolves run() with 130 at once', async () => {
    const cls = hungIn(step) as new () => object;
    const k = createTestKernel({
      modules: [cls],
      startTimeout: '1h',
      stopTimeout: '1s',
      shutdownTimeout: '2s',
    });
    let code: number | undefined;
    const running = k.run().then((c) => (code = c));
    await k.clock.advance(100);
    process.emit('SIGINT', 'SIGINT');
    await k.clock.settle();
    expect(k.status).toBe('stopping');
    process.emit('SIGINT', 'SIGINT');
    await k.clock.settle();
    // No fake time has passed: not the start timeout, not the shutdown timeout.
    expect(code).toBe(130);
    await running;
    await k.clock.advance('3s');
    expect(k.status).toBe('stopped');
    k.expectNoLeaks();
  });
});
