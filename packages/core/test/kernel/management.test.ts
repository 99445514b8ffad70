import { createTestKernel, type TestKernel } from '@keel/testing';
import { Module, ModuleContext, Task, Worker, type ModuleClass } from '../../src/index.js';

function define(name: string, dependsOn: ModuleClass[] = [], log?: string[]): ModuleClass {
  const cls = class {
    start() {
      log?.push(`start ${name}`);
    }
    stop() {
      log?.push(`stop ${name}`);
    }
  };
  Object.defineProperty(cls, 'name', { value: name });
  Module({ name, dependsOn })(cls);
  return cls;
}

/** Fails the test if a running module's dependency is not running, at any status event. */
function watchInvariant(k: TestKernel): string[] {
  const violations: string[] = [];
  const running = (name: string): boolean => ['starting', 'online'].includes(k.module(name).status);
  k.on('status', (name, _from, to) => {
    if (to === 'starting' || to === 'online') {
      for (const dep of k.module(name).dependencies) {
        if (k.module(dep).status !== 'online')
          violations.push(`${name} ${to} while ${dep} is ${k.module(dep).status}`);
      }
    }
    if (to === 'stopping') {
      for (const dependent of k.module(name).dependents) {
        if (running(dependent)) violations.push(`${name} stopping while ${dependent} runs`);
      }
    }
  });
  return violations;
}

describe('module management', () => {
  it('follows the portbase scenario', async () => {
    const log: string[] = [];
    const base = define('base', [], log);
    const feature1 = define('feature1', [base], log);
    const base2 = define('base2', [base], log);
    const feature2 = define('feature2', [base2], log);
    const sub = define('sub-feature', [base], log);
    const feature3 = define('feature3', [sub], log);
    const feature4 = define('feature4', [sub], log);
    const k = createTestKernel({ modules: [feature1, feature2, feature3, feature4] });
    const violations = watchInvariant(k);
    k.enableManagement();
    k.module(base).enable();
    const step = async (fn: () => void): Promise<string[]> => {
      log.length = 0;
      fn();
      await k.manage();
      return [...log];
    };
    await k.start();
    expect(log).toEqual(['start base']);
    expect(k.module('feature1').status).toBe('offline');
    expect(await step(() => k.module(feature1).enable())).toEqual(['start feature1']);
    expect(await step(() => k.module(feature2).enable())).toEqual([
      'start base2',
      'start feature2',
    ]);
    expect(await step(() => k.module(feature3).enable())).toEqual([
      'start sub-feature',
      'start feature3',
    ]);
    expect(await step(() => k.module(feature4).enable())).toEqual(['start feature4']);
    expect(await step(() => k.module(feature1).disable())).toEqual(['stop feature1']);
    expect(await step(() => k.module(feature3).disable())).toEqual(['stop feature3']);
    expect(k.module('sub-feature').enabledAsDependency).toBe(true);
    expect(await step(() => k.module(feature4).disable())).toEqual([
      'stop feature4',
      'stop sub-feature',
    ]);
    expect(k.module('sub-feature').enabledAsDependency).toBe(false);
    expect(await step(() => k.module(feature4).enable())).toEqual([
      'start sub-feature',
      'start feature4',
    ]);
    expect(await step(() => k.module(feature4).disable())).toEqual([
      'stop feature4',
      'stop sub-feature',
    ]);
    log.length = 0;
    await k.shutdown();
    expect(log).toEqual(['stop feature2', 'stop base2', 'stop base']);
    expect(violations).toEqual([]);
    k.expectNoLeaks();
  });

  it('restarts a module with a fresh signal, workers and tasks', async () => {
    const signals: AbortSignal[] = [];
    let ticks = 0;
    @Module({ name: 'svc' })
    class Svc {
      constructor(readonly ctx: ModuleContext) {}
      start() {
        signals.push(this.ctx.signal);
      }
      @Worker()
      async loop(signal: AbortSignal) {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      }
      @Task({ every: '1m' })
      tick() {
        ticks++;
      }
    }
    const k = createTestKernel({ modules: [Svc] });
    k.enableManagement();
    k.module(Svc).enable();
    await k.start();
    await k.clock.advance('2m');
    expect(ticks).toBe(2);
    k.module(Svc).disable();
    await k.manage();
    expect(k.module(Svc).status).toBe('offline');
    expect(signals[0]!.aborted).toBe(true);
    expect(k.clock.pendingTimers).toBe(0); // nothing of the stopped module stays armed
    await k.clock.advance('5m');
    expect(ticks).toBe(2);
    k.module(Svc).enable();
    await k.manage();
    expect(k.module(Svc).status).toBe('online');
    expect(signals).toHaveLength(2);
    expect(signals[1]!.aborted).toBe(false);
    expect(k.inspect().modules['svc']!.workers.map((w) => w.name)).toEqual(['loop']);
    await k.clock.advance('1m');
    expect(ticks).toBe(3);
    await k.shutdown();
    k.expectNoErrors();
    k.expectNoLeaks();
  });

  it('serializes concurrent manage() calls', async () => {
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const a = define('a', [], log);
    @Module({ name: 'b', dependsOn: [a] })
    class B {
      async start() {
        log.push('start b');
        await gate;
        log.push('b online');
      }
      stop() {
        log.push('stop b');
      }
    }
    const k = createTestKernel({ modules: [B] });
    k.enableManagement();
    await k.start();
    k.module(B).enable();
    const first = k.manage();
    await k.clock.settle();
    expect(k.module(B).status).toBe('starting');
    k.module(B).disable();
    const second = k.manage();
    await k.clock.settle();
    expect(log).toEqual(['start a', 'start b']); // the second waits for the first
    release();
    await Promise.all([first, second]);
    expect(log).toEqual(['start a', 'start b', 'b online', 'stop b', 'stop a']);
    expect(k.module(B).status).toBe('offline');
    await k.shutdown();
  });

  it('keeps "a running module\'s dependencies run" through random enable/disable on 100 modules', async () => {
    let seed = 7;
    const random = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const classes: ModuleClass[] = [];
    for (let i = 0; i < 100; i++) {
      const deps = classes.filter(() => random() < 0.04).slice(0, 3);
      classes.push(define(`m${i}`, deps));
    }
    const k = createTestKernel({ modules: classes });
    const violations = watchInvariant(k);
    k.enableManagement();
    await k.start();
    for (let round = 0; round < 30; round++) {
      for (let j = 0; j < 10; j++) {
        const handle = k.module(classes[Math.floor(random() * classes.length)]!);
        if (random() < 0.5) handle.enable();
        else handle.disable();
      }
      await k.manage();
      for (const m of k.modules) {
        const want = m.enabled || m.enabledAsDependency;
        expect(`${m.name}:${m.status}`).toBe(`${m.name}:${want ? 'online' : 'offline'}`);
      }
    }
    await k.shutdown();
    expect(violations).toEqual([]);
    k.expectNoLeaks();
  });

  it('starts every module without management and ignores enable/disable marks', async () => {
    const log: string[] = [];
    const k = createTestKernel({ modules: [define('x', [], log)] });
    k.module('x').disable();
    await k.start();
    await k.manage();
    expect(log).toEqual(['start x']);
    await k.shutdown();
  });
});
