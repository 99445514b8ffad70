import { Gauge } from 'prom-client';
import { Inspector } from '@keel/inspector';
import { createTestKernel } from '@keel/testing';
import { startHarness, type Harness } from './support/harness.js';
import { send } from './support/http.js';
import { TOKEN } from './support/modules.js';

describe('bad requests get a 4xx, never a crash', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness({ managed: true, inspector: { token: TOKEN } });
  });

  afterEach(async () => {
    await h.stop();
  });

  it('404 for an unknown path or asset', async () => {
    for (const path of ['/nope', '/api', '/api/snapshot/extra', '/assets/../package.json']) {
      const reply = await send(h.url, path);
      expect([path, reply.status]).toEqual([path, 404]);
      expect(reply.json()).toHaveProperty('error');
    }
    expect((await send(h.url, '/assets/secret.txt')).json()).toEqual({
      error: 'No such asset: secret.txt',
    });
  });

  it('405 with Allow for a wrong method', async () => {
    const post = await send(h.url, '/api/snapshot', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const get = await send(h.url, '/api/modules/mailer/disable');
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect((await send(h.url, '/metrics', { method: 'DELETE' })).status).toBe(405);
  });

  it('413 for a body over the limit, declared or chunked', async () => {
    const big = 'x'.repeat(64 * 1024);
    const declared = await send(h.url, '/api/modules/mailer/disable', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: big,
    });
    expect(declared.status).toBe(413);
    const chunked = await send(h.url, '/api/modules/mailer/disable', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: big,
      chunked: true,
    });
    expect(chunked.status).toBe(413);
    // Any path: the limit is checked before routing.
    expect((await send(h.url, '/healthz', { method: 'PUT', body: big })).status).toBe(413);
    expect(h.k.module('mailer').enabled).toBe(true);
  });

  it('400 for a malformed path segment', async () => {
    const reply = await send(h.url, '/api/modules/%E0%A4%A/enable', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(reply.status).toBe(400);
  });

  it('403 for a foreign Host header while bound to loopback (DNS rebinding)', async () => {
    const reply = await send(h.url, '/api/snapshot', { headers: { host: 'evil.example:80' } });
    expect(reply.status).toBe(403);
    expect(reply.json<{ error: string }>().error).toContain('allowedHosts');
    const local = await send(h.url, '/api/snapshot', { headers: { host: 'localhost:1234' } });
    expect(local.status).toBe(200);
  });

  it('keeps serving after all of the above', async () => {
    await send(h.url, '/nope');
    await send(h.url, '/api/snapshot', { method: 'PUT', body: 'x'.repeat(5000) });
    expect((await send(h.url, '/healthz')).status).toBe(200);
  });
});

describe('unexpected failures', () => {
  it('a handler error is reported through the module context and answered 500', async () => {
    const h = await startHarness();
    h.errorsExpected = true;
    try {
      new Gauge({
        name: 'broken_gauge',
        help: 'A collector that throws.',
        registers: [h.inspector.registry],
        collect() {
          throw new Error('collector broke');
        },
      });
      const reply = await send(h.url, '/metrics');
      expect(reply.status).toBe(500);
      expect(reply.text).not.toContain('collector broke'); // internals stay in the logs
      expect(h.k.errors.map((e) => [e.module, e.taskName, e.message])).toEqual([
        ['Inspector', 'http GET /metrics', 'collector broke'],
      ]);
      expect((await send(h.url, '/healthz')).status).toBe(200);
    } finally {
      await h.stop();
    }
  });

  it('a port in use fails the start with E_START_FAILED naming the inspector', async () => {
    const h = await startHarness();
    try {
      const port = Number(new URL(h.url).port);
      const k = createTestKernel({
        modules: [Inspector],
        providers: Inspector.configure({ port }),
      });
      await expect(k.start()).rejects.toMatchObject({
        code: 'E_START_FAILED',
        module: 'Inspector',
      });
      expect(k.errors[0]?.message).toContain('EADDRINUSE');
      k.expectNoLeaks();
    } finally {
      await h.stop();
    }
  });
});
