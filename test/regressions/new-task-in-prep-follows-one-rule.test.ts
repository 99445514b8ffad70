import { Module, ModuleContext } from '@keel/core';
import { createTestKernel } from '@keel/testing';

// Issue 13, item 12. ctx.newTask() in prep() worked under start() (the module was already
// "planned") but was refused under runCommand() and for a module management left disabled.
// One rule, the documented one (errors.md, tasks.md): tasks are created in start() or
// later; in prep() it is E_TASK_NOT_ALLOWED, whatever drives the prep.

class Prepper {
  outcome: string | undefined;
  constructor(readonly ctx: ModuleContext) {}
  prep(): void {
    try {
      this.ctx.newTask('early', () => undefined);
      this.outcome = 'created';
    } catch (err) {
      this.outcome = (err as { code?: string }).code;
    }
  }
}
Reflect.defineMetadata('design:paramtypes', [ModuleContext], Prepper);
Module({ name: 'prepper' })(Prepper);

describe('ctx.newTask() in prep()', () => {
  it('is E_TASK_NOT_ALLOWED under start()', async () => {
    const k = createTestKernel({ modules: [Prepper] });
    await k.start();
    expect(k.get(Prepper).outcome).toBe('E_TASK_NOT_ALLOWED');
    await k.shutdown();
    k.expectNoLeaks();
  });

  it('is E_TASK_NOT_ALLOWED under runCommand()', async () => {
    const k = createTestKernel({ modules: [Prepper] });
    await k.runCommand(() => undefined);
    expect(k.get(Prepper).outcome).toBe('E_TASK_NOT_ALLOWED');
    k.expectNoLeaks();
  });

  it('is E_TASK_NOT_ALLOWED under management, enabled or not', async () => {
    for (const enabled of [true, false]) {
      const k = createTestKernel({ modules: [Prepper] });
      k.enableManagement();
      if (enabled) k.module(Prepper).enable();
      await k.start();
      expect(k.get(Prepper).outcome).toBe('E_TASK_NOT_ALLOWED');
      await k.shutdown();
      k.expectNoLeaks();
    }
  });
});
