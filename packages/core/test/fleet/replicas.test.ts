import { createTestKernel, FakeFleet, type TestKernel } from '@keel/testing';
import {
  Job,
  Module,
  ModuleContext,
  OnEvent,
  Task,
  type FleetProvider,
  type JobInfo,
  type ModuleClass,
} from '../../src/index.js';

const TTL = 10_000; // the default lease TTL; renewals every ttl/3

/** Starts `ids.length` replicas of one service on one fake fleet. */
async function replicas(
  fleet: FakeFleet,
  ids: string[],
  modules: ModuleClass[],
): Promise<Map<string, TestKernel>> {
  const kernels = new Map<string, TestKernel>();
  for (const id of ids) {
    const k = createTestKernel({ modules, fleet: fleet.replica(id), clock: fleet.clock });
    kernels.set(id, k);
    await k.start();
  }
  return kernels;
}

function leaders(kernels: Map<string, TestKernel>, module: string): string[] {
  return [...kernels]
    .filter(([, k]) => k.status !== 'stopped' && k.module(module).status === 'online')
    .map(([id]) => id);
}

/** Shuts every replica down; a killed one waits out its engine calls on the fake clock. */
async function shutdownAll(fleet: FakeFleet, kernels: Map<string, TestKernel>): Promise<void> {
  const done = Promise.all([...kernels.values()].map((k) => k.shutdown()));
  for (let i = 0; i < 20 && [...kernels.values()].some((k) => k.status !== 'stopped'); i++) {
    await fleet.clock.advance('1s');
  }
  await done;
  for (const k of kernels.values()) k.expectNoLeaks();
}

describe('singleton modules across replicas (FakeFleet)', () => {
  function poller(tokens: number[]) {
    @Module({ name: 'poller', singleton: true })
    class Poller {
      constructor(readonly ctx: ModuleContext) {}
      start() {
        tokens.push(this.ctx.fleet.token!);
      }
    }
    return Poller;
  }

  it('keeps exactly one active at every sampled instant; another takes over within ttl + ttl/3 after the leader dies', async () => {
    const fleet = new FakeFleet();
    const tokens: number[] = [];
    const kernels = await replicas(fleet, ['a', 'b', 'c'], [poller(tokens)]);
    expect(leaders(kernels, 'poller')).toEqual(['a']);
    for (const id of ['b', 'c']) {
      expect(kernels.get(id)!.inspect().modules['poller']!.standby).toBe(true);
    }
    await fleet.clock.advance('1s');
    const view = kernels.get('b')!.inspect().fleet;
    expect(view.replicas.map((r) => r.replicaId).sort()).toEqual(['a', 'b', 'c']);
    expect(view.replicas.find((r) => r.replicaId === 'a')!.leaderOf).toEqual(['poller']);

    fleet.kill('a');
    const killedAt = fleet.clock.now();
    let tookOverAt: number | undefined;
    for (let i = 0; i < 200 && tookOverAt === undefined; i++) {
      await fleet.clock.advance(100);
      const live = leaders(new Map([...kernels].filter(([id]) => id !== 'a')), 'poller');
      expect(live.length).toBeLessThanOrEqual(1);
      if (live.length === 1) tookOverAt = fleet.clock.now();
    }
    expect(tookOverAt).toBeDefined();
    expect(tookOverAt! - killedAt).toBeLessThanOrEqual(TTL + TTL / 3);
    expect(tokens).toHaveLength(2);
    expect(tokens[1]!).toBeGreaterThan(tokens[0]!);
    await shutdownAll(fleet, kernels);
  });

  it('hands over within one renew interval on a graceful shutdown of the leader', async () => {
    const fleet = new FakeFleet();
    const tokens: number[] = [];
    const kernels = await replicas(fleet, ['a', 'b'], [poller(tokens)]);
    await kernels.get('a')!.shutdown();
    const stoppedAt = fleet.clock.now();
    await fleet.clock.advance(Math.ceil(TTL / 3));
    expect(leaders(kernels, 'poller')).toEqual(['b']);
    expect(fleet.clock.now() - stoppedAt).toBeLessThanOrEqual(TTL / 3 + 1);
    expect(tokens).toEqual([1, 2]);
    await shutdownAll(fleet, kernels);
  });

  it('a cut-off leader steps down before its lease can expire, so two are never active', async () => {
    const fleet = new FakeFleet();
    const tokens: number[] = [];
    const kernels = await replicas(fleet, ['a', 'b'], [poller(tokens)]);
    const a = kernels.get('a')!;
    await fleet.clock.advance('1s');
    fleet.partition('a');
    expect(a.inspect().fleet.failure.status).toBe('warning');
    let aDownAt: number | undefined;
    let bUpAt: number | undefined;
    for (let i = 0; i < 300 && bUpAt === undefined; i++) {
      await fleet.clock.advance(100);
      if (aDownAt === undefined && a.module('poller').status !== 'online')
        aDownAt = fleet.clock.now();
      if (kernels.get('b')!.module('poller').status === 'online') bUpAt = fleet.clock.now();
      expect(leaders(kernels, 'poller').length).toBeLessThanOrEqual(1);
    }
    expect(aDownAt).toBeDefined();
    expect(bUpAt).toBeDefined();
    expect(aDownAt!).toBeLessThan(bUpAt!);
    expect(a.module('poller').status).toBe('offline');
    expect((a.module('poller').instance as { ctx: ModuleContext }).ctx.fleet.token).toBeUndefined();
    // Healed, it stays standby: b holds the lease now.
    fleet.heal('a');
    await fleet.clock.advance('20s');
    expect(leaders(kernels, 'poller')).toEqual(['b']);
    expect(a.inspect().fleet.failure.status).toBe('none');
    expect(tokens).toEqual([1, 2]);
    await shutdownAll(fleet, kernels);
  });

  it('campaigns only for singletons that management wants', async () => {
    const fleet = new FakeFleet();
    const tokens: number[] = [];
    const Poller = poller(tokens);
    const a = createTestKernel({
      modules: [Poller],
      fleet: fleet.replica('a'),
      clock: fleet.clock,
    });
    a.enableManagement();
    await a.start();
    expect(a.module('poller').status).toBe('offline');
    a.module('poller').enable();
    await a.manage();
    await fleet.clock.advance(Math.ceil(TTL / 3));
    expect(a.module('poller').status).toBe('online');
    a.module('poller').disable();
    await a.manage();
    await fleet.clock.advance(1);
    expect(a.module('poller').status).toBe('offline');
    expect(a.inspect().fleet.replicas[0]!.leaderOf).toEqual([]);
    await a.shutdown();
    a.expectNoLeaks();
  });
});

describe('fleet tasks, events and jobs across replicas (FakeFleet)', () => {
  it("runs a fleet: 'once' task on exactly one replica per due time", async () => {
    const fleet = new FakeFleet();
    const runs: Array<{ replica: string; at: number }> = [];
    @Module({ name: 'sweeper' })
    class Sweeper {
      constructor(readonly ctx: ModuleContext) {}
      @Task({ every: '1m', fleet: 'once' })
      sweep() {
        runs.push({ replica: this.ctx.fleet.replicaId!, at: this.ctx.now() });
      }
    }
    const kernels = await replicas(fleet, ['a', 'b', 'c'], [Sweeper]);
    await fleet.clock.advance('10m');
    expect(runs).toHaveLength(10);
    expect(new Set(runs.map((r) => r.at)).size).toBe(10);
    await shutdownAll(fleet, kernels);
  });

  it("keeps a fleet: 'once' run exclusive while its replica stops gracefully mid-run", async () => {
    // Regression: the stop used to hand the due time back to the fleet at once, so the
    // fleet-wide run lease was released while the run still went on (another replica could
    // start the next due time beside it; seen in the BullMQ rolling-restart test).
    const fleet = new FakeFleet();
    const events: string[] = [];
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    @Module({ name: 'mover' })
    class Mover {
      constructor(readonly ctx: ModuleContext) {}
      @Task({ every: '1s', fleet: 'once' })
      async move() {
        events.push(`start ${this.ctx.fleet.replicaId}`);
        if (events.length === 1) await gate;
        events.push(`end ${this.ctx.fleet.replicaId}`);
      }
    }
    const kernels = await replicas(fleet, ['a', 'b'], [Mover]);
    await fleet.clock.advance('1s');
    expect(events).toHaveLength(1);
    const runner = events[0]!.slice('start '.length);
    const other = runner === 'a' ? 'b' : 'a';
    const stopping = kernels.get(runner)!.shutdown();
    await fleet.clock.advance('3s'); // three due times pass while the run goes on
    expect(events).toEqual([`start ${runner}`]);
    open();
    await stopping;
    await fleet.clock.advance('2s');
    expect(events.slice(0, 3)).toEqual([`start ${runner}`, `end ${runner}`, `start ${other}`]);
    await shutdownAll(fleet, kernels);
  });

  it("delivers 'all' hooks on every replica and 'one' hooks on exactly one", async () => {
    const fleet = new FakeFleet();
    const seen: string[] = [];
    @Module({ name: 'catalog', events: ['price-changed'] })
    class Catalog {
      constructor(readonly ctx: ModuleContext) {}
    }
    @Module({ name: 'search' })
    class Search {
      constructor(readonly ctx: ModuleContext) {}
      @OnEvent(Catalog, 'price-changed', { fleet: 'all' })
      drop(p: { n: number }) {
        seen.push(`all ${p.n} ${this.ctx.fleet.replicaId}`);
      }
      @OnEvent(Catalog, 'price-changed', { fleet: 'one' })
      reindex(p: { n: number }) {
        seen.push(`one ${p.n}`);
      }
    }
    const kernels = await replicas(fleet, ['a', 'b', 'c'], [Catalog, Search]);
    const ctx = kernels.get('b')!.get(Catalog).ctx;
    for (let n = 0; n < 30; n++) await ctx.triggerEvent('price-changed', { n }, { fleet: true });
    await fleet.clock.advance('1s');
    expect(seen.filter((s) => s.startsWith('all'))).toHaveLength(90);
    expect(seen.filter((s) => s.startsWith('one')).sort()).toEqual(
      Array.from({ length: 30 }, (_, n) => `one ${n}`).sort(),
    );
    await shutdownAll(fleet, kernels);
  });

  it('runs a job again elsewhere when its replica dies mid-run', async () => {
    const fleet = new FakeFleet({ stalledAfter: '30s' });
    const tries: Array<{ replica: string; attempt: number }> = [];
    @Module({ name: 'renderer' })
    class Renderer {
      constructor(readonly ctx: ModuleContext) {}
      @Job({ queue: 'render' })
      async render(_data: unknown, signal: AbortSignal, job: JobInfo) {
        tries.push({ replica: this.ctx.fleet.replicaId!, attempt: job.attempt });
        if (this.ctx.fleet.replicaId === 'a') await this.ctx.sleep('1h', { signal });
      }
    }
    const a = createTestKernel({
      modules: [Renderer],
      fleet: fleet.replica('a'),
      clock: fleet.clock,
    });
    await a.start();
    await a.get(Renderer).ctx.fleet.enqueue('render', { page: 1 });
    await fleet.clock.advance(10);
    expect(tries.map((t) => t.replica)).toEqual(['a']);
    const b = createTestKernel({
      modules: [Renderer],
      fleet: fleet.replica('b'),
      clock: fleet.clock,
    });
    await b.start();
    fleet.kill('a');
    await fleet.clock.advance('1m');
    expect(tries.map((t) => t.replica)).toEqual(['a', 'b']);
    expect(b.inspect().fleet.queues['render']).toMatchObject({ completed: 1, active: 0 });
    await shutdownAll(
      fleet,
      new Map([
        ['a', a],
        ['b', b],
      ]),
    );
    b.expectNoErrors();
    a.expectNoLeaks();
    b.expectNoLeaks();
  });
});

describe('heartbeat round trips', () => {
  /** A FakeFleet replica whose connection counts replicas() calls; `answer`: the heartbeat resolves with the list. */
  function counted(fleet: FakeFleet, id: string, answer: boolean) {
    const calls = { replicas: 0 };
    const base = fleet.replica(id);
    const provider: FleetProvider = {
      ...base,
      connect: async (host, signal) => {
        const c = await base.connect(host, signal);
        const replicas = c.replicas.bind(c);
        const heartbeat = c.heartbeat.bind(c);
        c.replicas = () => {
          calls.replicas += 1;
          return replicas();
        };
        c.heartbeat = async (state, ttlMs) => {
          await heartbeat(state, ttlMs);
          return answer ? replicas() : undefined;
        };
        return c;
      },
    };
    return { calls, provider };
  }

  it.each([
    ['answers with the live replicas: the kernel asks nothing more', true],
    ['resolves with nothing: the kernel asks replicas() at every beat', false],
  ])('a heartbeat that %s', async (_, answer) => {
    const fleet = new FakeFleet();
    @Module({ name: 'poller', singleton: true })
    class Poller {}
    const a = counted(fleet, 'a', answer);
    const kernels = new Map<string, TestKernel>();
    for (const [id, provider] of [
      ['a', a.provider],
      ['b', fleet.replica('b')],
    ] as const) {
      const k = createTestKernel({
        modules: [Poller],
        fleet: provider,
        clock: fleet.clock,
      });
      kernels.set(id, k);
      await k.start();
    }
    await fleet.clock.advance(TTL); // three ticks
    const seen = kernels
      .get('a')!
      .inspect()
      .fleet.replicas.map((r) => r.replicaId);
    expect(seen.sort()).toEqual(['a', 'b']);
    if (answer) expect(a.calls.replicas).toBe(0);
    else expect(a.calls.replicas).toBeGreaterThanOrEqual(3);
    await shutdownAll(fleet, kernels);
  });
});
