import { Module, type ModuleClass } from '@keel/core';
import { createTestKernel } from '@keel/testing';

// Found by test/reliability (property runs with a small shutdownTimeout).
//
// When a shutdown overruns `shutdownTimeout`, Kernel.stopAll() forces only the modules that
// are `stopping` (or have running work) offline, closes the timer heap and resolves. The
// stop phase it started goes on in the background: modules it had not reached yet (waiting
// for a slow dependent, or for a lifecycleConcurrency slot) stay `online` after shutdown()
// resolved, with their signal never aborted and their stop() never called; and a stop it
// launches later runs its deadlines on the closed heap, whose timers never fire, so a
// hanging stop() leaves the module `stopping` forever and its timeout is never reported.
// API.md: shutdown "resolves (never rejects) once every module is offline".

const never = (): Promise<never> => new Promise<never>(() => undefined);

function moduleClass(name: string, dependsOn: ModuleClass[], stop: () => unknown): ModuleClass {
  const cls = { [name]: class {} }[name]!;
  (cls.prototype as unknown as { stop: () => unknown }).stop = stop;
  Module({ name, dependsOn })(cls);
  return cls;
}

describe('a shutdown that overruns shutdownTimeout', () => {
  it('leaves no module online: a dependency of a module whose stop() hangs', async () => {
    const stopped: string[] = [];
    const db = moduleClass('db', [], () => void stopped.push('db'));
    const api = moduleClass('api', [db], () => never());
    const k = createTestKernel({ modules: [api], stopTimeout: '5s', shutdownTimeout: '1s' });
    await k.start();

    const done = k.shutdown();
    await k.clock.advance('1s');
    await done;
    expect(k.errors.map((e) => `${e.module} ${e.taskType}`)).toContain('api stop');
    // Failed before 79ebe3d: db is still "online", its signal not aborted, its stop() never called.
    expect(k.modules.map((m) => `${m.name}:${m.status}`)).toEqual(['db:offline', 'api:offline']);

    await k.clock.advance('1m');
    expect(k.module(db).status).toBe('offline');
    k.expectNoLeaks();
  });

  it('leaves no module stopping forever: a stop begun after the overrun (lifecycleConcurrency 1)', async () => {
    const a = moduleClass('a', [], () => never());
    const b = moduleClass('b', [], () => never());
    const k = createTestKernel({
      modules: [a, b],
      stopTimeout: '1s',
      shutdownTimeout: '1s',
      lifecycleConcurrency: 1,
    });
    await k.start();

    const done = k.shutdown();
    await k.clock.advance('1s');
    await done;
    await k.clock.advance('1m');
    // Failed before 79ebe3d: the second module's stop() began after the heap was closed, so its 1 s
    // stopTimeout never fires: it stays "stopping" and its timeout is never reported.
    expect(k.modules.map((m) => m.status)).toEqual(['offline', 'offline']);
    k.expectNoLeaks();
  });
});
