import { setTimeout as delay } from 'node:timers/promises';
import { Job, Kernel, Module, ModuleContext, type KernelSnapshot } from '@keel/core';
import { bullmqFleet } from '@keel/bullmq';
import { Inspector } from '@keel/inspector';
import { startRedisServer, type RedisServer } from '@keel/testing';
import { pino } from 'pino';

// The inspector's fleet view on a real engine: two replicas of one service on a private
// redis-server, each with its own inspector.

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});

/** Polls `probe` every 25 ms until it returns a value, or fails naming `what` after `ms`. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 8000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await delay(25);
  }
}

/** The value of one series in a Prometheus text exposition, or undefined. */
async function metric(url: string, series: string): Promise<number | undefined> {
  const text = await (await fetch(new URL('metrics', url))).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function snapshot(url: string): Promise<KernelSnapshot> {
  return (await (await fetch(new URL('api/snapshot', url))).json()) as KernelSnapshot;
}

@Module({ name: 'feed', singleton: true })
class Feed {}

@Module({ name: 'billing' })
class Billing {
  constructor(readonly ctx: ModuleContext) {}

  @Job({ queue: 'invoices' })
  render(): void {
    throw new Error('the printer is on fire');
  }
}

describe('the inspector on a bullmqFleet of two replicas', () => {
  it('shows both replicas, one leader, the queue, and the connection lost and regained', async () => {
    const service = `inspector-${process.pid}-${Date.now()}`;
    const replica = (id: string): Kernel =>
      Kernel.create({
        modules: [Feed, Billing, Inspector],
        providers: Inspector.configure({ port: 0 }),
        logger: pino({ level: 'silent' }),
        fleet: bullmqFleet({
          url: redis.url,
          service,
          replicaId: id,
          leaseTtl: '1s',
          statsInterval: '100ms',
        }),
      });
    const a = replica('a');
    const b = replica('b');
    const errors: string[] = [];
    for (const k of [a, b]) k.on('error', (e) => errors.push(e.message));
    await a.start();
    await b.start();
    try {
      const urls = [a.get(Inspector).url!, b.get(Inspector).url!];
      for (const url of urls) {
        await until('both replicas in /metrics', async () =>
          (await metric(url, 'keel_fleet_replicas')) === 2 ? true : undefined,
        );
        expect(await metric(url, 'keel_fleet_connected')).toBe(1);
      }
      const leaders = await Promise.all(
        urls.map((url) => metric(url, 'keel_fleet_leader{module="feed"}')),
      );
      expect(leaders.sort()).toEqual([0, 1]);
      const snaps = await Promise.all(urls.map(snapshot));
      expect(snaps.map((s) => s.fleet.provider)).toEqual(['bullmq', 'bullmq']);
      expect(snaps.map((s) => s.modules['feed']!.standby).sort()).toEqual([false, true]);

      await (a.module('billing').instance as Billing).ctx.fleet.enqueue(
        'invoices',
        {},
        {
          jobId: 'inv-1',
        },
      );
      // Both replicas show the fleet-wide queue, with the failure and its error.
      for (const url of urls) {
        await until('the failed job in /metrics', async () =>
          (await metric(url, 'keel_job_queue{queue="invoices",state="failed"}')) === 1
            ? true
            : undefined,
        );
      }
      expect((await snapshot(urls[0]!)).fleet.queues['invoices']!.lastFailures).toMatchObject([
        { id: 'inv-1', error: 'the printer is on fire' },
      ]);
      expect(errors).toEqual(['the printer is on fire']);

      await redis.kill();
      const cut = await until('the fleet warning in /api/snapshot', async () => {
        const s = await snapshot(urls[0]!);
        return s.fleet.connected ? undefined : s;
      });
      expect(cut.fleet.failure.status).toBe('warning');
      expect(await metric(urls[0]!, 'keel_fleet_connected')).toBe(0);
      await redis.restart();
      await until('reconnected', async () =>
        (await metric(urls[0]!, 'keel_fleet_connected')) === 1 ? true : undefined,
      );
      expect((await snapshot(urls[0]!)).fleet.failure.status).toBe('none');
    } finally {
      await Promise.allSettled([a.shutdown(), b.shutdown()]);
    }
    expect([a.status, b.status]).toEqual(['stopped', 'stopped']);
  });
});
