import { request } from 'node:http';
import { createTestKernel, type TestKernel } from '@keel/testing';
// The demo is a private package without a build-free entry in the test paths: import its source.
import { Config, DEMO_MODULES, Http, Storage, Ticker } from '../../packages/demo/src/index.js';

/** The demo's modules in a test kernel, with settings given here instead of the environment. */
function demoKernel(demo: Record<string, unknown> = {}): TestKernel {
  return createTestKernel({ modules: DEMO_MODULES, config: { demo: { tick: '1s', ...demo } } });
}

/** A request to the in-process server on localhost; resolves with status and JSON body. */
function call(
  url: string,
  method: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const kernels: TestKernel[] = [];
function track(k: TestKernel): TestKernel {
  kernels.push(k);
  return k;
}

afterEach(async () => {
  for (const k of kernels.splice(0)) {
    await k.shutdown();
    k.expectNoLeaks();
  }
});

describe('the demo modules on a fake clock', () => {
  it('Ticker fails every 5th cycle, restarts after 1 s, 2 s, … and resolves its warning', async () => {
    const k = track(demoKernel());
    const t0 = k.clock.now();
    const warnings: Array<{ at: number; status: string }> = [];
    k.on('failure', (module, state) => {
      if (module === 'Ticker') warnings.push({ at: k.clock.now() - t0, status: state.status });
    });
    await k.start();
    await k.clock.advance('17s');

    // Cycles at 1..5 s (the 5th fails), restart after 1 s, cycles at 7..11 s (the 10th fails),
    // restart after 2 s (the second failure within 5 min), cycles at 14..17 s.
    expect(k.errors.map((e) => [e.module, e.taskType, e.timestamp - t0])).toEqual([
      ['Ticker', 'worker', 5_000],
      ['Ticker', 'worker', 11_000],
    ]);
    expect(warnings).toEqual([
      { at: 5_000, status: 'warning' },
      { at: 7_000, status: 'none' },
      { at: 11_000, status: 'warning' },
      { at: 14_000, status: 'none' },
    ]);
    expect((k.module(Ticker).instance as Ticker).cycles).toBe(14);
  });

  it('Janitor sweeps expired items every 10 s and reports at each full minute', async () => {
    const k = track(demoKernel({ itemTtl: '15s', maxItems: 1000 }));
    const t0 = k.clock.now();
    await k.start();
    const storage = k.module(Storage).instance as Storage;
    for (let i = 0; i < 250; i++) storage.add(`item ${i}`);

    await k.clock.advance('10s');
    expect(storage.size).toBe(250); // 10 s old: not expired yet
    await k.clock.advance('10s');
    expect(storage.size).toBe(0);
    expect(k.logs.find((l) => l.msg === 'expired items removed')).toMatchObject({
      module: 'Janitor',
      removed: 250,
      time: t0 + 20_000,
    });

    await k.clock.advance('100s');
    const reports = k.logs.filter((l) => l.msg === 'storage report').map((l) => l.time);
    // The fake clock starts at 00:00:00, so the cron fires at 00:01:00 and 00:02:00.
    expect(reports).toEqual([t0 + 60_000, t0 + 120_000]);
  });

  it('a Config change reaches the Storage hook, which trims and sets a hint', async () => {
    const k = track(demoKernel());
    await k.start();
    const storage = k.module(Storage).instance as Storage;
    for (const text of ['a', 'b', 'c', 'd', 'e']) storage.add(text);
    expect(k.module(Storage).failure.status).toBe('none');

    await (k.module(Config).instance as Config).update({ maxItems: 3 });

    expect(storage.list().map((i) => i.text)).toEqual(['c', 'd', 'e']);
    expect(k.module(Storage).failure).toMatchObject({ status: 'hint', id: 'storage-nearly-full' });
    storage.remove([storage.list()[0]!.id, storage.list()[1]!.id]);
    expect(k.module(Storage).failure.status).toBe('none');
  });

  it('serves the HTTP API on localhost', async () => {
    const k = track(demoKernel());
    await k.start();
    const { url } = k.module(Http).instance as Http;

    expect(await call(`${url}/health`, 'GET')).toMatchObject({
      status: 200,
      body: { status: 'ok', failure: 'none' },
    });
    expect(await call(`${url}/items`, 'POST', { text: 'milk' })).toMatchObject({
      status: 201,
      body: { id: 1, text: 'milk' },
    });
    expect(await call(`${url}/items`, 'POST', { nope: 1 })).toMatchObject({ status: 400 });
    expect(await call(`${url}/items`, 'GET')).toMatchObject({
      status: 200,
      body: { items: [{ id: 1, text: 'milk' }] },
    });
    expect(await call(`${url}/config`, 'PUT', { maxItems: 1 })).toMatchObject({
      status: 200,
      body: { maxItems: 1 },
    });
    expect(await call(`${url}/items`, 'POST', { text: 'eggs' })).toMatchObject({ status: 409 });
    expect(await call(`${url}/nowhere`, 'GET')).toMatchObject({ status: 404 });
    k.expectNoErrors();
  });

  it('refuses to start when Storage.prep finds the settings unusable', async () => {
    const k = track(demoKernel({ maxItems: 0 }));
    await expect(k.start()).rejects.toMatchObject({ code: 'E_START_FAILED', module: 'Storage' });
    expect(k.exitCode).toBe(1);
  });

  it('refuses bad settings at create, naming each with its source', () => {
    expect(() => demoKernel({ port: 70_000, tick: '0s' })).toThrow(
      expect.objectContaining({
        code: 'E_CONFIG_INVALID',
        message: expect.stringMatching(/demo\.port from .*\n.*demo\.tick from .*duration above 0/),
      }),
    );
  });
});
