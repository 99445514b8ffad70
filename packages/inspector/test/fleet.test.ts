import type { KernelSnapshot } from '@keel/core';
import { Inspector } from '@keel/inspector';
import { createTestKernel, FakeFleet, type TestKernel } from '@keel/testing';
import { Orders, Poller, Search } from './support/fleet-modules.js';
import { send } from './support/http.js';

/** The value of one series in a Prometheus text exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const HOOK = 'orders.placed->search.reindex';

describe('the fleet in /api/snapshot and /metrics', () => {
  let fleet: FakeFleet;
  let kernels: TestKernel[];
  let errorsExpected: boolean;

  const replica = async (id: string): Promise<{ k: TestKernel; url: string }> => {
    const k = createTestKernel({
      modules: [Poller, Orders, Search, Inspector],
      providers: Inspector.configure({ port: 0 }),
      fleet: fleet.replica(id),
      clock: fleet.clock,
    });
    kernels.push(k);
    await k.start();
    return { k, url: k.get(Inspector).url! };
  };

  beforeEach(() => {
    fleet = new FakeFleet({ service: 'shop' });
    kernels = [];
    errorsExpected = false;
  });

  afterEach(async () => {
    // All first: the replicas share one clock, so a leak check needs every one stopped.
    await Promise.allSettled(kernels.map((k) => k.shutdown()));
    for (const k of kernels) {
      k.expectNoLeaks();
      if (!errorsExpected) k.expectNoErrors();
    }
  });

  it('shows both replicas, one leader and one standby, on each replica', async () => {
    const a = await replica('a');
    const b = await replica('b');
    await fleet.clock.advance('5s'); // a heartbeat round: each sees the other
    const snapA = (await send(a.url, '/api/snapshot')).json<KernelSnapshot>();
    const snapB = (await send(b.url, '/api/snapshot')).json<KernelSnapshot>();
    for (const [snap, id] of [
      [snapA, 'a'],
      [snapB, 'b'],
    ] as const) {
      expect(snap.fleet).toMatchObject({ service: 'shop', replicaId: id, provider: 'fake' });
      expect(snap.fleet.connected).toBe(true);
      expect(snap.fleet.replicas.map((r) => r.replicaId).sort()).toEqual(['a', 'b']);
      const leaderA = snap.fleet.replicas.find((r) => r.replicaId === 'a')!;
      expect(leaderA.leaderOf).toEqual(['poller']);
    }
    expect(snapA.modules.poller).toMatchObject({ status: 'online', standby: false });
    expect(snapB.modules.poller).toMatchObject({ status: 'offline', standby: true });

    const textA = (await send(a.url, '/metrics')).text;
    const textB = (await send(b.url, '/metrics')).text;
    expect(sample(textA, 'keel_fleet_replicas')).toBe(2);
    expect(sample(textB, 'keel_fleet_replicas')).toBe(2);
    expect(sample(textA, 'keel_fleet_connected')).toBe(1);
    expect(sample(textA, 'keel_fleet_leader{module="poller"}')).toBe(1);
    expect(sample(textB, 'keel_fleet_leader{module="poller"}')).toBe(0);
    // Only singletons get the series.
    expect(sample(textA, 'keel_fleet_leader{module="orders"}')).toBeUndefined();

    // The leader leaves: b takes over, and its metrics say so.
    await a.k.shutdown();
    await fleet.clock.advance('5s');
    const after = (await send(b.url, '/metrics')).text;
    expect(sample(after, 'keel_fleet_leader{module="poller"}')).toBe(1);
    expect(sample(after, 'keel_fleet_replicas')).toBe(1);
  });

  it('counts jobs per queue and state, fleet events per hook, and fleet tasks', async () => {
    const a = await replica('a');
    const orders = a.k.get(Orders);
    await orders.ctx.fleet.enqueue('invoices', { n: 1 });
    await orders.ctx.fleet.enqueue('invoices', { n: 2 });
    await orders.ctx.fleet.enqueue('invoices', { fail: true }, { jobId: 'bad-1' });
    await orders.ctx.fleet.enqueue('invoices', { n: 3 }, { delay: '1h' });
    await orders.ctx.triggerEvent('placed', { id: 1 }, { fleet: true });
    await orders.ctx.triggerEvent('placed', { poison: true }, { fleet: true });
    await fleet.clock.advance('1s');
    // The failed job and the poison event are reported errors on purpose.
    errorsExpected = true;
    expect(a.k.errors.map((e) => e.message).sort()).toEqual([
      'cannot index a poison order',
      'printer on fire (job bad-1)',
    ]);

    const snap = (await send(a.url, '/api/snapshot')).json<KernelSnapshot>();
    expect(snap.fleet.queues.invoices).toMatchObject({
      waiting: 0,
      active: 0,
      delayed: 1,
      completed: 2,
      failed: 1,
      lastFailures: [{ id: 'bad-1', error: 'printer on fire (job bad-1)' }],
    });
    expect(snap.fleet.events[HOOK]).toMatchObject({
      delivered: 1,
      pending: 0,
      deadLettered: 1,
      deadLetters: [{ error: 'cannot index a poison order' }],
    });
    const task = snap.fleet.tasks['orders.nightly']!;
    expect(task.nextRunAt).toBe(Date.parse(snap.at) - 1000 + 10 * 60_000);

    const text = (await send(a.url, '/metrics')).text;
    const q = (state: string) => sample(text, `keel_job_queue{queue="invoices",state="${state}"}`);
    expect([q('waiting'), q('active'), q('delayed'), q('completed'), q('failed')]).toEqual([
      0, 0, 1, 2, 1,
    ]);
    expect(sample(text, `keel_fleet_event_delivered_total{hook="${HOOK}"}`)).toBe(1);
    expect(sample(text, `keel_fleet_event_pending{hook="${HOOK}"}`)).toBe(0);
    expect(sample(text, `keel_fleet_event_dead_lettered_total{hook="${HOOK}"}`)).toBe(1);
    expect(sample(text, 'keel_fleet_task_next_run_timestamp_seconds{task="orders.nightly"}')).toBe(
      task.nextRunAt! / 1000,
    );

    // The task runs at its due time; the replica that ran it is named.
    await fleet.clock.advance('10m');
    const later = (await send(a.url, '/api/snapshot')).json<KernelSnapshot>();
    expect(later.fleet.tasks['orders.nightly']).toMatchObject({ lastRunBy: 'a' });
  });

  it('shows a partitioned replica disconnected, with the fleet warning, until it heals', async () => {
    const a = await replica('a');
    fleet.partition('a');
    const cut = (await send(a.url, '/api/snapshot')).json<KernelSnapshot>();
    expect(cut.fleet.connected).toBe(false);
    expect(cut.fleet.failure.status).toBe('warning');
    expect(sample((await send(a.url, '/metrics')).text, 'keel_fleet_connected')).toBe(0);
    fleet.heal('a');
    await fleet.clock.advance('5s');
    const healed = (await send(a.url, '/api/snapshot')).json<KernelSnapshot>();
    expect(healed.fleet.connected).toBe(true);
    expect(healed.fleet.failure.status).toBe('none');
    expect(sample((await send(a.url, '/metrics')).text, 'keel_fleet_connected')).toBe(1);
  });
});
