import { FakeFleet, createTestKernel, type TestKernel } from '@keel/testing';
import { Module, ModuleContext, OnEvent, Task, type ModuleClass } from '@keel/core';

// Several real kernels as replicas of one FakeFleet, on its clock.
describe('FakeFleet with test kernels', () => {
  let fleet: FakeFleet;
  let kernels: TestKernel[];
  beforeEach(() => {
    fleet = new FakeFleet({ leaseTtl: '3s', stalledAfter: '5s' });
    kernels = [];
  });
  afterEach(async () => {
    await Promise.all(kernels.map((k) => k.shutdown()));
    for (const k of kernels) {
      k.expectNoErrors();
      k.expectNoLeaks();
    }
  });
  /**
   * A killed replica's fleet calls hang, as a dead process's would, so its kernel's
   * shutdown only ends at its stopTimeout (fake time).
   */
  const stopKilled = async (k: TestKernel): Promise<void> => {
    kernels.splice(kernels.indexOf(k), 1);
    const stopping = k.shutdown();
    await fleet.clock.advance('61s');
    await stopping;
    expect(k.status).toBe('stopped');
  };
  const replica = (id: string, modules: ModuleClass[]): TestKernel => {
    const k = createTestKernel({ modules, fleet: fleet.replica(id), clock: fleet.clock });
    kernels.push(k);
    return k;
  };

  function singleton(): { Poller: ModuleClass; tokens: (number | undefined)[] } {
    const tokens: (number | undefined)[] = [];
    @Module({ name: 'poller', singleton: true })
    class Poller {
      constructor(readonly ctx: ModuleContext) {}
      start(): void {
        tokens.push(this.ctx.fleet.token);
      }
    }
    return { Poller, tokens };
  }

  it('a singleton is active on one replica; killing it moves the lease within ttl + ttl/3', async () => {
    const { Poller, tokens } = singleton();
    const a = replica('a', [Poller]);
    const b = replica('b', [Poller]);
    await a.start();
    await b.start();
    expect(a.module('poller').status).toBe('online');
    expect(b.inspect().modules['poller']!.standby).toBe(true);
    expect(tokens).toEqual([1]);
    expect(b.inspect().fleet.provider).toBe('fake');
    fleet.kill('a');
    await fleet.clock.advance('3s');
    await b.waitFor(Poller, 'online', { timeout: '1s' });
    expect(tokens).toEqual([1, 2]);
    await fleet.clock.advance('1s'); // the next heartbeat names the new leader
    expect(fleet.snapshot().replicas.map((r) => [r.replicaId, r.leaderOf])).toEqual([
      ['b', ['poller']],
    ]);
    await stopKilled(a);
    expect(b.module('poller').status).toBe('online');
  });

  it('a partitioned leader steps down before its lease runs out; healed, it stands by', async () => {
    const { Poller, tokens } = singleton();
    const a = replica('a', [Poller]);
    const b = replica('b', [Poller]);
    await a.start();
    await b.start();
    fleet.partition('a');
    await fleet.clock.advance('3s');
    expect(a.module('poller').status).toBe('offline');
    expect(a.inspect().fleet.connected).toBe(false);
    await b.waitFor(Poller, 'online', { timeout: '1s' });
    expect(tokens).toEqual([1, 2]);
    fleet.heal('a');
    await fleet.clock.advance('2s');
    expect(a.inspect().fleet.connected).toBe(true);
    expect(a.inspect().modules['poller']!.standby).toBe(true);
    expect(b.module('poller').status).toBe('online');
  });

  it("a fleet: 'once' task runs once per due time across replicas; 'one' events reach one replica", async () => {
    const runs: string[] = [];
    const hooks: string[] = [];
    @Module({ name: 'reports', events: ['built'] })
    class Reports {
      constructor(readonly ctx: ModuleContext) {}
      @Task({ every: '1m', fleet: 'once' })
      build(): void {
        runs.push(this.ctx.fleet.replicaId ?? '?');
      }
      @OnEvent(Reports, 'built', { fleet: 'one' })
      mail(): void {
        hooks.push(this.ctx.fleet.replicaId ?? '?');
      }
    }
    const a = replica('a', [Reports]);
    const b = replica('b', [Reports]);
    await a.start();
    await b.start();
    await fleet.clock.advance('3m');
    expect(runs).toHaveLength(3);
    for (let i = 0; i < 4; i++)
      await a.get(Reports).ctx.triggerEvent('built', { i }, { fleet: true });
    await fleet.clock.advance('1s');
    expect(hooks).toHaveLength(4);
    expect(new Set([...runs, ...hooks])).toEqual(new Set(['a', 'b']));
  });
});
