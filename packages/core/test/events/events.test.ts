import { createTestKernel } from '@keel/testing';
import { defineEvent, Module, ModuleContext, OnEvent } from '../../src/index.js';
import { deferred } from '../helpers.js';

describe('events', () => {
  it('delivers a trigger made during start-up once both modules are online', async () => {
    const seen: string[] = [];
    @Module({ name: 'config', events: ['changed'] })
    class Config {
      constructor(readonly ctx: ModuleContext) {}
      start() {
        void this.ctx.triggerEvent('changed', { port: 1 });
      }
    }
    @Module({ name: 'api', dependsOn: [Config] })
    class Api {
      constructor(readonly ctx: ModuleContext) {}
      @OnEvent(Config, 'changed')
      reload(data: { port: number }) {
        seen.push(`${this.ctx.status}:${data.port}`);
      }
    }
    const k = createTestKernel({ modules: [Api] });
    await k.start();
    await k.clock.settle();
    expect(seen).toEqual(['online:1']);
    await k.shutdown();
    k.expectNoErrors();
    k.expectNoLeaks();
  });

  it('does not make the hooking module a dependency', () => {
    @Module({ name: 'src', events: ['e'] })
    class Src {}
    @Module({ name: 'sink' })
    class Sink {
      @OnEvent('src', 'e')
      on() {}
    }
    const k = createTestKernel({ modules: [Sink, Src] });
    expect(k.module('sink').dependencies).toEqual([]);
  });

  it('runs hooks concurrently, isolates a failing one, and settles without rejecting', async () => {
    const both = deferred();
    let entered = 0;
    const meet = async (): Promise<void> => {
      if (++entered === 2) both.resolve();
      await both.promise;
    };
    const ran: string[] = [];
    @Module({ name: 'bus', events: ['ping'] })
    class Bus {
      constructor(readonly ctx: ModuleContext) {}
    }
    @Module({ name: 'a' })
    class A {
      @OnEvent(Bus, 'ping')
      async first() {
        await meet();
        ran.push('first');
      }
      @OnEvent(Bus, 'ping', { description: 'explodes' })
      boom() {
        throw new Error('hook failed');
      }
    }
    @Module({ name: 'b' })
    class B {
      @OnEvent(Bus, 'ping')
      async second() {
        await meet();
        ran.push('second');
      }
    }
    const k = createTestKernel({ modules: [Bus, A, B] });
    await k.start();
    await expect(k.get(Bus).ctx.triggerEvent('ping', null)).resolves.toBeUndefined();
    expect(ran.sort()).toEqual(['first', 'second']);
    expect(k.errors).toHaveLength(1);
    expect(k.errors[0]).toMatchObject({ module: 'a', taskType: 'hook', message: 'hook failed' });
    expect(k.errors[0]!.taskName).toContain('explodes');
    await k.shutdown();
    k.expectNoLeaks();
  });

  it('skips hooks of a module that is stopping, and a stop waits for running hooks', async () => {
    const release = deferred();
    const events: string[] = [];
    @Module({ name: 'source', events: ['tick'] })
    class Source {
      constructor(readonly ctx: ModuleContext) {}
    }
    @Module({ name: 'listener' })
    class Listener {
      @OnEvent(Source, 'tick')
      async onTick(n: number) {
        events.push(`hook ${n}`);
        if (n === 1) await release.promise;
      }
      stop() {
        events.push('stop listener');
      }
    }
    const k = createTestKernel({ modules: [Source, Listener] });
    await k.start();
    const source = k.get(Source);
    const first = source.ctx.triggerEvent('tick', 1);
    await k.clock.settle();
    const stopping = k.shutdown();
    await k.clock.settle();
    // Listener is stopping: a new trigger does not reach it.
    await source.ctx.triggerEvent('tick', 2);
    expect(events).toEqual(['hook 1']);
    release.resolve();
    await first;
    await stopping;
    expect(events).toEqual(['hook 1', 'stop listener']);
    k.expectNoLeaks();
  });

  it('lists each running hook run, however many run at once, and only while it runs', async () => {
    // Hook runs are reused from one trigger to the next (kept in the module's list while
    // spare): 40 at once is more than are kept spare, so some are new and some dropped.
    const gates = Array.from({ length: 40 }, () => deferred());
    @Module({ name: 'feed', events: ['item'] })
    class Feed {
      constructor(readonly ctx: ModuleContext) {}
    }
    @Module({ name: 'store' })
    class Store {
      @OnEvent(Feed, 'item')
      async save(i: number) {
        await gates[i]!.promise;
      }
    }
    const k = createTestKernel({ modules: [Feed, Store] });
    await k.start();
    const feed = k.get(Feed).ctx;
    const hookRuns = () =>
      k.inspect().modules['store']!.running.filter((a) => a.kind === 'hook').length;
    for (let round = 0; round < 2; round++) {
      const triggers = gates.map((_, i) => feed.triggerEvent('item', i));
      expect(hookRuns()).toBe(40);
      for (let i = 0; i < 40; i += 2) gates[i]!.resolve();
      await Promise.all(triggers.filter((_, i) => i % 2 === 0));
      expect(hookRuns()).toBe(20);
      for (let i = 1; i < 40; i += 2) gates[i]!.resolve();
      await Promise.all(triggers);
      expect(hookRuns()).toBe(0);
      for (let i = 0; i < 40; i++) gates[i] = deferred();
    }
    // A stop is not held by spare runs.
    await k.shutdown();
    k.expectNoErrors();
    k.expectNoLeaks();
  });

  it('reports every trigger to kernel.on("event") with its exposure', async () => {
    @Module({ name: 'vault', events: [{ name: 'secret', expose: false }, 'opened'] })
    class Vault {
      constructor(readonly ctx: ModuleContext) {}
    }
    const k = createTestKernel({ modules: [Vault] });
    const seen: Array<[string, string, unknown, boolean]> = [];
    k.on('event', (module, event, data, exposed) => seen.push([module, event, data, exposed]));
    await k.start();
    await k.get(Vault).ctx.triggerEvent('secret', 'hunter2');
    await k.get(Vault).ctx.triggerEvent('opened', 1);
    expect(seen).toEqual([
      ['vault', 'secret', 'hunter2', false],
      ['vault', 'opened', 1, true],
    ]);
    expect(k.inspect().modules['vault']!.events).toEqual([
      { name: 'secret', exposed: false },
      { name: 'opened', exposed: true },
    ]);
    await k.shutdown();
  });

  it('reaches kernel.on(event) and on(telemetry) listeners added and removed while running', async () => {
    @Module({ name: 'pulse', events: ['beat'] })
    class Pulse {
      constructor(readonly ctx: ModuleContext) {}
    }
    const k = createTestKernel({ modules: [Pulse] });
    await k.start();
    const ctx = k.get(Pulse).ctx;
    const events: unknown[] = [];
    const telemetry: string[] = [];
    await ctx.triggerEvent('beat', 0); // nobody listens yet
    const offEvent = k.on('event', (_m, _e, data) => events.push(data));
    await ctx.triggerEvent('beat', 1);
    offEvent();
    await ctx.triggerEvent('beat', 2);
    const offTelemetry = k.on('telemetry', (e) => {
      if (e.type === 'module-event') telemetry.push(`${e.event}:${String(e.data)}`);
    });
    await ctx.triggerEvent('beat', 3);
    offTelemetry();
    offTelemetry(); // harmless twice
    await ctx.triggerEvent('beat', 4);
    expect(events).toEqual([1]);
    expect(telemetry).toEqual(['beat:3']);
    await k.shutdown();
  });

  it('injects an event into another module', async () => {
    const seen: unknown[] = [];
    @Module({ name: 'target', events: ['done'] })
    class Target {}
    @Module({ name: 'hooker' })
    class Hooker {
      @OnEvent(Target, 'done')
      on(data: unknown) {
        seen.push(data);
      }
    }
    @Module({ name: 'injector' })
    class Injector {
      constructor(readonly ctx: ModuleContext) {}
    }
    const k = createTestKernel({ modules: [Target, Hooker, Injector] });
    await k.start();
    await k.get(Injector).ctx.injectEvent('proxy', 'target', 'done', 42);
    expect(seen).toEqual([42]);
    expect(() => k.get(Injector).ctx.injectEvent('proxy', 'nobody', 'done', 1)).toThrow(
      expect.objectContaining({ code: 'E_MODULE_MISSING' }),
    );
    await k.shutdown();
  });

  it('rejects undeclared events and unknown modules', async () => {
    @Module({ name: 'quiet', events: ['known'] })
    class Quiet {
      constructor(readonly ctx: ModuleContext) {}
    }
    @Module({ name: 'wrongEvent' })
    class WrongEvent {
      @OnEvent(Quiet, 'unknown')
      on() {}
    }
    @Module({ name: 'wrongModule' })
    class WrongModule {
      @OnEvent('ghost', 'known')
      on() {}
    }
    expect(() => createTestKernel({ modules: [WrongEvent] })).toThrow(
      expect.objectContaining({
        code: 'E_EVENT_UNKNOWN',
        message: expect.stringMatching(/wrongEvent.*"unknown".*"quiet"/),
      }),
    );
    expect(() => createTestKernel({ modules: [WrongModule] })).toThrow(
      expect.objectContaining({
        code: 'E_MODULE_MISSING',
        message: expect.stringContaining('"ghost"'),
      }),
    );
    const k = createTestKernel({ modules: [Quiet] });
    await k.start();
    expect(() => k.get(Quiet).ctx.triggerEvent('nope', 1)).toThrow(
      expect.objectContaining({ code: 'E_EVENT_UNKNOWN', module: 'quiet' }),
    );
    await k.shutdown();
  });

  it('checks typed events at compile time and delivers them', async () => {
    const Changed = defineEvent<{ key: string }>('settings', 'changed');
    const got: string[] = [];
    @Module({ name: 'settings', events: ['changed'] })
    class Settings {
      constructor(readonly ctx: ModuleContext) {}
    }
    @Module({ name: 'watcher' })
    class Watcher {
      @OnEvent(Changed)
      on(data: { key: string }) {
        got.push(data.key);
      }
    }
    const k = createTestKernel({ modules: [Settings, Watcher] });
    await k.start();
    await k.get(Settings).ctx.triggerEvent(Changed, { key: 'port' });
    // @ts-expect-error the payload must be { key: string }
    await k.get(Settings).ctx.triggerEvent(Changed, { key: 1 });
    expect(got).toEqual(['port', 1]);
    await k.shutdown();
  });
});
