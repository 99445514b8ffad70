import { createTestKernel } from '@keel/testing';
import {
  Job,
  KeelError,
  Module,
  ModuleContext,
  OnEvent,
  Task,
  localFleet,
  type FleetHost,
  type FleetProvider,
  type JobInfo,
} from '../../src/index.js';

describe('a fleet of one (no fleet option)', () => {
  it('makes every singleton active with token 1 and shows one replica leading it', async () => {
    const tokens: Array<number | undefined> = [];
    @Module({ name: 'billing', singleton: true })
    class Billing {
      constructor(readonly ctx: ModuleContext) {}
      start() {
        tokens.push(this.ctx.fleet.token);
      }
    }
    @Module({ name: 'api' })
    class Api {
      constructor(readonly ctx: ModuleContext) {}
      start() {
        tokens.push(this.ctx.fleet.token);
      }
    }
    const k = createTestKernel({ modules: [Billing, Api] });
    await k.start();
    expect(k.module('billing').status).toBe('online');
    expect(tokens.sort()).toEqual([1, undefined]);
    const view = k.inspect();
    expect(view.modules['billing']!.standby).toBe(false);
    expect(view.fleet.provider).toBe('local');
    expect(view.fleet.connected).toBe(true);
    expect(view.fleet.replicas).toHaveLength(1);
    expect(view.fleet.replicas[0]!.replicaId).toBe(view.fleet.replicaId);
    expect(view.fleet.replicas[0]!.leaderOf).toEqual(['billing']);
    expect(JSON.parse(JSON.stringify(view.fleet))).toEqual(view.fleet);
    await k.shutdown();
    k.expectNoErrors();
    k.expectNoLeaks();
  });

  it('refuses a non-singleton that depends on a singleton, naming both', () => {
    @Module({ name: 'leader', singleton: true })
    class Leader {}
    @Module({ name: 'user' })
    class User {
      constructor(readonly leader: Leader) {}
    }
    let error: unknown;
    try {
      createTestKernel({ modules: [User] });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KeelError);
    expect((error as KeelError).code).toBe('E_FLEET_SINGLETON_DEPENDENCY');
    expect((error as KeelError).message).toMatch(/"user" depends on singleton module "leader"/);
  });

  it('starts a singleton that depends on a singleton on the same lease', async () => {
    @Module({ name: 'a', singleton: true })
    class A {}
    @Module({ name: 'b', singleton: true })
    class B {
      constructor(readonly a: A) {}
    }
    const k = createTestKernel({ modules: [B] });
    await k.start();
    expect(k.module('a').status).toBe('online');
    expect(k.module('b').status).toBe('online');
    expect(k.inspect().fleet.replicas[0]!.leaderOf).toEqual(['a', 'b']);
    await k.shutdown();
    k.expectNoLeaks();
  });
});

describe('@Job on a fleet of one', () => {
  it('runs a job with its data and info, retrying with exponential backoff on the kernel clock', async () => {
    const tries: Array<{ at: number; info: JobInfo; data: unknown }> = [];
    @Module({ name: 'invoices' })
    class Invoices {
      constructor(readonly ctx: ModuleContext) {}
      @Job({ queue: 'render', attempts: 3, backoff: '1s' })
      render(data: { n: number }, signal: AbortSignal, job: JobInfo) {
        expect(signal).toBeInstanceOf(AbortSignal);
        tries.push({ at: this.ctx.now(), info: job, data });
        if (job.attempt < 3) throw new Error(`try ${job.attempt} failed`);
      }
    }
    const k = createTestKernel({ modules: [Invoices] });
    await k.start();
    const ctx = k.get(Invoices).ctx;
    const start = ctx.now();
    const id = await ctx.fleet.enqueue('render', { n: 7 });
    await k.clock.advance('10s');
    expect(tries.map((t) => t.info.attempt)).toEqual([1, 2, 3]);
    expect(tries.map((t) => t.at - start)).toEqual([0, 1_000, 3_000]);
    expect(tries[0]!.info).toEqual({ id, queue: 'render', attempt: 1, enqueuedAt: start });
    expect(tries[2]!.data).toEqual({ n: 7 });
    // Two failed tries are module errors of type 'job'; the third succeeded.
    expect(k.errors.map((e) => [e.module, e.taskType, e.message])).toEqual([
      ['invoices', 'job', 'try 1 failed'],
      ['invoices', 'job', 'try 2 failed'],
    ]);
    expect(k.inspect().fleet.queues['render']).toMatchObject({ completed: 1, failed: 0 });
    await k.shutdown();
    k.expectNoLeaks();
  });

  it('keeps a job that exhausts its attempts as failed, with its error', async () => {
    @Module({ name: 'm' })
    class M {
      constructor(readonly ctx: ModuleContext) {}
      @Job({ queue: 'q', attempts: 2, backoff: { type: 'fixed', delay: '5s' } })
      run() {
        throw new Error('always');
      }
    }
    const k = createTestKernel({ modules: [M] });
    await k.start();
    await k.get(M).ctx.fleet.enqueue('q', 1);
    await k.clock.advance('1m');
    const q = k.inspect().fleet.queues['q']!;
    expect(q).toMatchObject({ failed: 1, completed: 0, waiting: 0, active: 0, delayed: 0 });
    expect(q.lastFailures[0]!.error).toMatch(/always/);
    expect(k.errors).toHaveLength(2);
    await k.shutdown();
    k.expectNoLeaks();
  });

  it('calls a data-only method with its data alone, a rest-parameter one with all three; a timeout fails both', async () => {
    const calls: Array<{ queue: string; args: unknown[] }> = [];
    const held: Array<() => void> = [];
    const hang = (): Promise<void> => new Promise<void>((resolve) => held.push(resolve));
    @Module({ name: 'm' })
    class M {
      constructor(readonly ctx: ModuleContext) {}
      @Job({ queue: 'plain', timeout: '1s' })
      plain(data: unknown) {
        // eslint-disable-next-line prefer-rest-params
        calls.push({ queue: 'plain', args: [...arguments] });
        if (data === 'hang') return hang();
      }
      @Job({ queue: 'rest', timeout: '1s' })
      rest(...args: unknown[]) {
        calls.push({ queue: 'rest', args });
        if (args[0] === 'hang') return hang();
      }
    }
    const k = createTestKernel({ modules: [M] });
    await k.start();
    const fleet = k.get(M).ctx.fleet;
    await fleet.enqueue('plain', { n: 1 });
    await fleet.enqueue('rest', { n: 2 });
    await k.clock.advance('10ms');
    expect(calls[0]).toEqual({ queue: 'plain', args: [{ n: 1 }] });
    expect(calls[1]!.args).toHaveLength(3);
    expect(calls[1]!.args[1]).toBeInstanceOf(AbortSignal);
    expect(calls[1]!.args[2]).toMatchObject({ queue: 'rest', attempt: 1 });
    await fleet.enqueue('plain', 'hang');
    await fleet.enqueue('rest', 'hang');
    await k.clock.advance('2s');
    expect(k.inspect().fleet.queues['plain']).toMatchObject({ completed: 1, failed: 1 });
    expect(k.inspect().fleet.queues['rest']).toMatchObject({ completed: 1, failed: 1 });
    for (const release of held) release(); // a method past its timeout still runs until it ends
    await k.shutdown();
    k.expectNoLeaks();
  });

  it('refuses an unknown queue and data that cannot cross processes, at the call site', async () => {
    @Module({ name: 'm' })
    class M {
      constructor(readonly ctx: ModuleContext) {}
      @Job({ queue: 'known' })
      run() {}
    }
    const k = createTestKernel({ modules: [M] });
    await k.start();
    const fleet = k.get(M).ctx.fleet;
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (err) {
        return (err as KeelError).code;
      }
      return undefined;
    };
    expect(code(() => fleet.enqueue('unknown', {}))).toBe('E_JOB_QUEUE_UNKNOWN');
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(code(() => fleet.enqueue('known', cyclic))).toBe('E_JOB_DATA');
    expect(code(() => fleet.enqueue('known', 10n))).toBe('E_JOB_DATA');
    expect(code(() => fleet.enqueue('known', () => 1))).toBe('E_JOB_DATA');
    expect(code(() => fleet.enqueue('known', {}, { priority: -1 }))).toBe('E_INVALID_OPTION');
    await k.shutdown();
    k.expectNoLeaks();
  });

  it('makes enqueue idempotent by jobId', async () => {
    const ran: string[] = [];
    @Module({ name: 'm' })
    class M {
      constructor(readonly ctx: ModuleContext) {}
      @Job({ queue: 'q' })
      run(data: string) {
        ran.push(data);
      }
    }
    const k = createTestKernel({ modules: [M] });
    await k.start();
    const fleet = k.get(M).ctx.fleet;
    const a = await fleet.enqueue('q', 'first', { jobId: 'order-1' });
    const b = await fleet.enqueue('q', 'second', { jobId: 'order-1' });
    await k.clock.advance('1s');
    expect(b).toBe(a);
    expect(ran).toEqual(['first']);
    await k.shutdown();
    k.expectNoLeaks();
  });

  it('checks @Job options at Kernel.create', () => {
    const declare = (options: object): unknown => {
      @Module()
      class C {
        @Job(options as never)
        run() {}
      }
      try {
        createTestKernel({ modules: [C] });
        return undefined;
      } catch (err) {
        return (err as KeelError).code;
      }
    };
    expect(declare({})).toBe('E_INVALID_OPTION');
    expect(declare({ queue: 'q', concurrency: 0 })).toBe('E_INVALID_OPTION');
    expect(declare({ queue: 'q', attempts: 1.5 })).toBe('E_INVALID_OPTION');
    expect(declare({ queue: 'q', backoff: 'soon' })).toBe('E_INVALID_DURATION');
    expect(declare({ queue: 'q', backoff: { type: 'linear', delay: '1s' } })).toBe(
      'E_INVALID_OPTION',
    );
  });
});

describe("@Task({ fleet: 'once' }) on a fleet of one", () => {
  it('runs at every due time through the local task queue', async () => {
    const runs: number[] = [];
    @Module({ name: 'm' })
    class M {
      constructor(readonly ctx: ModuleContext) {}
      @Task({ every: '1m', fleet: 'once' })
      sweep() {
        runs.push(this.ctx.now());
      }
    }
    const k = createTestKernel({ modules: [M] });
    await k.start();
    await k.clock.advance('5m');
    expect(runs).toHaveLength(5);
    for (const at of runs) expect(at % 60_000).toBe(0); // slot-aligned, as BullMQ's every
    await k.shutdown();
    k.expectNoErrors();
    k.expectNoLeaks();
  });

  it("refuses runOnStart with fleet: 'once'", () => {
    let code: string | undefined;
    @Module()
    class C {
      @Task({ every: '1m', fleet: 'once', runOnStart: true })
      run() {}
    }
    try {
      createTestKernel({ modules: [C] });
    } catch (err) {
      code = (err as KeelError).code;
    }
    expect(code).toBe('E_TASK_OPTIONS');
  });
});

describe('fleet events on a fleet of one', () => {
  it("delivers a fleet trigger to 'all' and 'one' hooks once, local hooks still run here", async () => {
    const seen: string[] = [];
    @Module({ name: 'catalog', events: ['price-changed', { name: 'secret', expose: false }] })
    class Catalog {
      constructor(readonly ctx: ModuleContext) {}
    }
    @Module({ name: 'search' })
    class Search {
      @OnEvent(Catalog, 'price-changed', { fleet: 'all' })
      dropCache(p: { sku: string }) {
        seen.push(`all:${p.sku}`);
      }
      @OnEvent(Catalog, 'price-changed', { fleet: 'one' })
      reindex(p: { sku: string }) {
        seen.push(`one:${p.sku}`);
      }
      @OnEvent(Catalog, 'price-changed')
      local(p: { sku: string }) {
        seen.push(`local:${p.sku}`);
      }
    }
    const k = createTestKernel({ modules: [Catalog, Search] });
    await k.start();
    const ctx = k.get(Catalog).ctx;
    await ctx.triggerEvent('price-changed', { sku: 'a' }, { fleet: true });
    await k.clock.advance('1s');
    expect(seen.sort()).toEqual(['all:a', 'local:a', 'one:a']);
    // A local trigger runs every hook here, fleet ones included.
    seen.length = 0;
    await ctx.triggerEvent('price-changed', { sku: 'b' });
    expect(seen.sort()).toEqual(['all:b', 'local:b', 'one:b']);

    expect(() => ctx.triggerEvent('secret', {}, { fleet: true })).toThrow(
      expect.objectContaining({ code: 'E_EVENT_NOT_EXPOSED' }) as Error,
    );
    expect(() => ctx.triggerEvent('price-changed', { n: 1n }, { fleet: true })).toThrow(
      expect.objectContaining({ code: 'E_EVENT_PAYLOAD' }) as Error,
    );
    await k.shutdown();
    k.expectNoErrors();
    k.expectNoLeaks();
  });

  it("redelivers a failing 'one' hook, then dead-letters it after maxDeliveries", async () => {
    let tries = 0;
    @Module({ name: 'src', events: ['e'] })
    class Src {
      constructor(readonly ctx: ModuleContext) {}
    }
    @Module({ name: 'sink' })
    class Sink {
      @OnEvent(Src, 'e', { fleet: 'one', maxDeliveries: 3, minIdle: '1s' })
      poison() {
        tries++;
        throw new Error('poison');
      }
    }
    const k = createTestKernel({ modules: [Src, Sink] });
    await k.start();
    await k.get(Src).ctx.triggerEvent('e', { x: 1 }, { fleet: true });
    await k.clock.advance('1m');
    expect(tries).toBe(3);
    const view = k.inspect().fleet.events['src.e->sink.poison'];
    expect(view).toMatchObject({ deadLettered: 1, pending: 0 });
    expect(view!.deadLetters[0]!.error).toMatch(/poison/);
    expect(k.errors.every((e) => e.taskType === 'hook' && e.module === 'sink')).toBe(true);
    await k.shutdown();
    k.expectNoLeaks();
  });
});

/** A provider around the local one that hands its host to the test. */
function observed(inner: FleetProvider = localFleet()): FleetProvider & { host?: FleetHost } {
  const p: FleetProvider & { host?: FleetHost } = {
    kind: 'observed',
    connect(host, signal) {
      p.host = host;
      return inner.connect(host, signal);
    },
  };
  return p;
}

describe('the fleet connection', () => {
  it('rejects start with E_FLEET_UNAVAILABLE when the engine cannot be reached, leaking nothing', async () => {
    let prepped = false;
    @Module({ name: 'm' })
    class M {
      prep() {
        prepped = true;
      }
    }
    const failing: FleetProvider = {
      kind: 'down',
      connect: () =>
        Promise.reject(
          new KeelError('E_FLEET_UNAVAILABLE', 'redis://127.0.0.1:1 refused the connection'),
        ),
    };
    const k = createTestKernel({ modules: [M], fleet: failing });
    await expect(k.start()).rejects.toMatchObject({ code: 'E_FLEET_UNAVAILABLE' });
    expect(prepped).toBe(false);
    expect(k.status).toBe('stopped');
    expect(k.exitCode).toBe(1);
    k.expectNoLeaks();
  });

  it('gives up on a provider that never connects at startTimeout', async () => {
    @Module({ name: 'm' })
    class M {}
    const hanging: FleetProvider = { kind: 'hang', connect: () => new Promise(() => undefined) };
    const k = createTestKernel({ modules: [M], fleet: hanging, startTimeout: '5s' });
    const started = k.start().catch((err: unknown) => err);
    await k.clock.advance('5s');
    const err = (await started) as KeelError;
    expect(err.code).toBe('E_FLEET_UNAVAILABLE');
    expect(err.message).toMatch(/startTimeout \(5000 ms\)/);
    k.expectNoLeaks();
  });

  it('shows a fleet warning while disconnected and resolves it on reconnect', async () => {
    @Module({ name: 'm' })
    class M {}
    const provider = observed();
    const k = createTestKernel({ modules: [M], fleet: provider });
    const seen: string[] = [];
    k.on('failure', (module, state) => seen.push(`${module}:${state.status}`));
    await k.start();
    provider.host!.connectionChanged(false, 'ECONNRESET');
    expect(k.inspect().fleet.failure).toMatchObject({
      status: 'warning',
      id: 'fleet:disconnected',
    });
    expect(k.inspect().failure).toBe('warning');
    provider.host!.connectionChanged(true);
    expect(k.inspect().fleet.failure.status).toBe('none');
    expect(seen).toEqual(['fleet:warning', 'fleet:none']);
    await k.shutdown();
    k.expectNoLeaks();
  });

  it('bounds the fleet close by what is left of shutdownTimeout: E_TIMEOUT, not a hang', async () => {
    @Module({ name: 'm' })
    class M {
      async stop() {
        await new Promise<void>(() => undefined);
      }
    }
    // An engine that went away: its connection never finishes closing.
    const inner = localFleet();
    const stuck: FleetProvider = {
      kind: 'stuck',
      async connect(host, signal) {
        const connection = await inner.connect(host, signal);
        return Object.assign(Object.create(connection) as typeof connection, {
          close: () => new Promise<void>(() => undefined),
        });
      },
    };
    const k = createTestKernel({
      modules: [M],
      fleet: stuck,
      stopTimeout: '1m',
      shutdownTimeout: '5s',
    });
    await k.start();
    let done = false;
    const stopped = k.shutdown().then(() => (done = true));
    // The module's stop overruns first (E_TIMEOUT at 5 s); the fleet close gets what is left.
    await k.clock.advance('5s');
    await k.clock.advance('1ms');
    await stopped;
    expect(done).toBe(true);
    expect(k.status).toBe('stopped');
    expect(k.exitCode).toBe(1);
    const fleetTimeout = k.errors.find((e) => /fleet connection did not close/.test(e.message));
    expect(fleetTimeout?.cause).toMatchObject({ code: 'E_TIMEOUT' });
    expect((fleetTimeout?.cause as Error).message).toMatch(/shutdownTimeout \(5000 ms/);
    k.expectNoLeaks();
  });

  it('refuses a fleet option that is not a provider', () => {
    expect(() => createTestKernel({ modules: [], fleet: {} as FleetProvider })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_OPTION' }) as Error,
    );
  });
});
