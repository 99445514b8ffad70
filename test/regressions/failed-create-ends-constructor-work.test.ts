import { KeelError, Module, ModuleContext } from '@keel/core';
import { FakeClock } from '@keel/testing';
import { Kernel } from '@keel/core';

// Issue 13, item 6. Work a constructor started (startWorker, startServiceWorker, sleep)
// outlived a Kernel.create that failed on a later constructor: nobody could shut that
// kernel down, and the process never exited. A failed create now ends that work: the
// signals abort, pending sleeps end, and no timer is left armed.

const log: string[] = [];

class Early {
  constructor(ctx: ModuleContext) {
    ctx.startWorker('loop', async (signal) => {
      while (!signal.aborted) await ctx.sleep('1s');
      log.push('worker ended');
    });
    ctx.startServiceWorker('service', async (signal) => {
      await ctx.sleep('1h');
      if (!signal.aborted) throw new Error('restart me');
      log.push('service ended');
    });
    void ctx.sleep('1d').then(() => log.push('sleep ended'));
  }
}
Reflect.defineMetadata('design:paramtypes', [ModuleContext], Early);
Module({ name: 'early' })(Early);

class Late {
  constructor() {
    throw new Error('late constructor failed');
  }
}
Module({ name: 'late', dependsOn: [Early] })(Late);

describe('a Kernel.create that fails on a later constructor', () => {
  it('ends the work an earlier constructor started', async () => {
    const clock = new FakeClock();
    expect(() => Kernel.create({ modules: [Late], clock })).toThrow(KeelError);
    await clock.settle();
    expect(clock.pendingTimers).toBe(0);
    expect(log.sort()).toEqual(['service ended', 'sleep ended', 'worker ended']);
  });
});
