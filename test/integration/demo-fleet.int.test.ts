import { request } from 'node:http';
import { KeelError } from '@keel/core';
import { createTestKernel, FakeFleet, type TestKernel } from '@keel/testing';
// The demo is a private package without a build-free entry in the test paths: import its source.
import {
  Announcer,
  DEMO_MODULES,
  demoFleet,
  Http,
  Reports,
} from '../../packages/demo/src/index.js';

// A long tick keeps the Ticker (which fails every 5th cycle on purpose) out of these tests.
const CONFIG = { demo: { tick: '1h' } };

function post(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

let kernels: TestKernel[] = [];

afterEach(async () => {
  const all = kernels;
  kernels = [];
  // All first: replicas of one FakeFleet share a clock, so leak checks need every one stopped.
  await Promise.allSettled(all.map((k) => k.shutdown()));
  for (const k of all) {
    k.expectNoLeaks();
    k.expectNoErrors();
  }
});

describe('the demo on a fleet of one (no Redis)', () => {
  it('runs the Announcer singleton here, with token 1', async () => {
    const k = createTestKernel({ modules: DEMO_MODULES, config: CONFIG });
    kernels.push(k);
    await k.start();
    expect(k.module(Announcer).status).toBe('online');
    expect(k.inspect().modules.Announcer!.standby).toBe(false);
    expect(k.inspect().fleet.replicas[0]!.leaderOf).toEqual(['Announcer']);
    const announcer = k.get(Announcer);
    await k.clock.advance('25s');
    expect(announcer.announcements).toBe(3); // at 0, 10 and 20 s
    expect(
      k.logs.filter((l) => l['msg'] === 'this replica leads the announcer').map((l) => l['token']),
    ).toEqual([1, 1, 1]);
  });

  it('builds a report per POST /reports and one per minute from the fleet task', async () => {
    const k = createTestKernel({ modules: DEMO_MODULES, config: CONFIG });
    kernels.push(k);
    await k.start();
    const reports = k.get(Reports);
    const reply = await post(`${k.get(Http).url}/reports`);
    expect(reply.status).toBe(202);
    expect(typeof reply.body['jobId']).toBe('string');
    await k.clock.advance('1s');
    expect(reports.built).toEqual([
      { jobId: reply.body['jobId'], reason: 'http', items: 0, attempt: 1 },
    ]);
    expect(k.inspect().fleet.tasks['Reports.schedule']!.nextRunAt).toBe(
      Date.parse('2026-01-01T00:01:00Z'),
    );
    await k.clock.advance('2m');
    expect(reports.built.map((r) => r.reason)).toEqual(['http', 'schedule', 'schedule']);
    expect(k.inspect().fleet.queues['reports']).toMatchObject({ completed: 3, failed: 0 });
    expect(k.inspect().fleet.tasks['Reports.schedule']!.lastRunBy).toBe(
      k.inspect().fleet.replicaId,
    );
  });

  it('answers 503 on POST /reports when Reports is left out', async () => {
    const k = createTestKernel({
      modules: DEMO_MODULES.filter((m) => m !== Reports),
      config: CONFIG,
    });
    kernels.push(k);
    await k.start();
    const reply = await post(`${k.get(Http).url}/reports`);
    expect(reply).toMatchObject({ status: 503, body: { code: 'E_JOB_QUEUE_UNKNOWN' } });
  });
});

describe('the demo on a fleet of two (FakeFleet)', () => {
  it('leads the Announcer on one replica; the other takes over when it leaves', async () => {
    const fleet = new FakeFleet({ service: 'keel-demo' });
    const replica = (id: string): TestKernel => {
      const k = createTestKernel({
        modules: DEMO_MODULES,
        config: CONFIG,
        fleet: fleet.replica(id),
        clock: fleet.clock,
      });
      kernels.push(k);
      return k;
    };
    const a = replica('a');
    const b = replica('b');
    await a.start();
    await b.start();
    await fleet.clock.advance('5s');
    expect(a.module(Announcer).status).toBe('online');
    expect(b.inspect().modules.Announcer).toMatchObject({ status: 'offline', standby: true });
    expect(b.inspect().fleet.replicas.map((r) => [r.replicaId, r.leaderOf])).toEqual([
      ['a', ['Announcer']],
      ['b', []],
    ]);
    // The fleet task runs on one replica per due time: two minutes, two scheduled reports.
    await fleet.clock.advance('2m');
    const scheduled = [...a.get(Reports).built, ...b.get(Reports).built].filter(
      (r) => r.reason === 'schedule',
    );
    expect(scheduled).toHaveLength(2);

    await a.shutdown();
    await fleet.clock.advance('4s'); // b's next tick (ttl / 3) takes the released lease
    expect(b.module(Announcer).status).toBe('online');
    expect(b.inspect().fleet.replicas.map((r) => [r.replicaId, r.leaderOf])).toEqual([
      ['b', ['Announcer']],
    ]);
  });
});

describe('demoFleet(env)', () => {
  it('is a fleet of one without DEMO_REDIS_URL', () => {
    expect(demoFleet({}).fleet).toBeUndefined();
  });

  it('is bullmqFleet with DEMO_REDIS_URL (not connected until start)', () => {
    const f = demoFleet({ DEMO_REDIS_URL: 'redis://127.0.0.1:1', DEMO_REPLICA_ID: 'left' });
    expect(f.fleet?.kind).toBe('bullmq');
    expect(f.note).toContain('replica left of "keel-demo"');
  });

  it('refuses a bad DEMO_REDIS_URL with E_INVALID_OPTION', () => {
    let caught: unknown;
    try {
      demoFleet({ DEMO_REDIS_URL: 'not a url' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(KeelError);
    expect((caught as KeelError).code).toBe('E_INVALID_OPTION');
  });
});
