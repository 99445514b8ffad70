import { getEventListeners } from 'node:events';
import { Module, ModuleContext } from '@keel/core';
import { createTestKernel } from '@keel/testing';

// Issue 13, item 15. Each ctx.sleep() added its own abort listener to the module signal:
// 11 concurrent sleepers printed Node's MaxListenersExceededWarning. The sleepers of one
// signal share one listener, whatever their number.

class Sleepy {
  constructor(readonly ctx: ModuleContext) {}
}
Reflect.defineMetadata('design:paramtypes', [ModuleContext], Sleepy);
Module({ name: 'sleepy' })(Sleepy);

describe('many concurrent ctx.sleep() calls on one module', () => {
  it('add one abort listener to its signal and wake every sleeper on abort', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      const k = createTestKernel({ modules: [Sleepy] });
      await k.start();
      const { ctx } = k.get(Sleepy);
      const before = getEventListeners(ctx.signal, 'abort').length;
      let woken = 0;
      const sleeps = Array.from({ length: 50 }, () => ctx.sleep('1h').then(() => woken++));
      expect(getEventListeners(ctx.signal, 'abort').length).toBe(before + 1);
      // One that ends on time takes nothing away from the others.
      await Promise.all([ctx.sleep('1s'), k.clock.advance('1s')]);
      expect(getEventListeners(ctx.signal, 'abort').length).toBe(before + 1);
      await k.shutdown();
      await Promise.all(sleeps);
      expect(woken).toBe(50);
      await k.clock.settle();
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
      k.expectNoLeaks();
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('leave no listener behind once they all ended', async () => {
    const k = createTestKernel({ modules: [Sleepy] });
    await k.start();
    const { ctx } = k.get(Sleepy);
    const before = getEventListeners(ctx.signal, 'abort').length;
    const sleeps = [ctx.sleep('1s'), ctx.sleep('2s')];
    await k.clock.advance('2s');
    await Promise.all(sleeps);
    expect(getEventListeners(ctx.signal, 'abort').length).toBe(before);
    await k.shutdown();
  });
});
