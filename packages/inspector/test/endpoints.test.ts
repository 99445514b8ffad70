import { readdirSync } from 'node:fs';
import { ModuleContext, type KernelSnapshot } from '@keel/core';
import { startHarness, type Harness } from './support/harness.js';
import { send } from './support/http.js';

describe('inspector read endpoints', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });

  afterEach(async () => {
    await h.stop();
  });

  it('binds to 127.0.0.1 on a free port and logs the address', () => {
    expect(h.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(h.url).not.toBe('http://127.0.0.1:0/');
    expect(h.k.logs).toContainEqual(
      expect.objectContaining({ module: 'Inspector', url: h.url, level: 'info' }),
    );
  });

  it('GET /healthz is 200 while the kernel runs', async () => {
    const reply = await send(h.url, '/healthz');
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ status: 'ok', kernel: 'online' });
  });

  it('GET /readyz is 200 when every module is online and none is in error', async () => {
    const reply = await send(h.url, '/readyz');
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ ready: true, kernel: 'online', reasons: [] });
  });

  it('GET /readyz is 503 with the reasons while a module is in the error failure state', async () => {
    const db = h.k.module('db').instance as { ctx: ModuleContext };
    db.ctx.error('disk-full', 'Disk full', 'No space left on /var/lib/db');
    const reply = await send(h.url, '/readyz');
    expect(reply.status).toBe(503);
    expect(reply.json()).toEqual({
      ready: false,
      kernel: 'online',
      reasons: [
        {
          kind: 'failure',
          module: 'db',
          failure: {
            status: 'error',
            id: 'disk-full',
            title: 'Disk full',
            message: 'No space left on /var/lib/db',
          },
          message: 'Module "db" reports an error: Disk full (No space left on /var/lib/db).',
        },
      ],
    });
    // A warning is not an outage.
    db.ctx.warning('disk-low', 'Disk low', '10% left');
    expect((await send(h.url, '/readyz')).status).toBe(200);
  });

  it('GET /api/snapshot is kernel.inspect()', async () => {
    const reply = await send(h.url, '/api/snapshot');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    const snapshot = reply.json<KernelSnapshot>();
    expect(Object.keys(snapshot.modules).sort()).toEqual([
      'Inspector',
      'api',
      'cache',
      'db',
      'mailer',
    ]);
    expect(snapshot.modules.cache!.dependencies).toEqual(['db']);
    expect(snapshot.modules.cache!.tasks.map((t) => t.name)).toEqual(['flush']);
    expect(snapshot.modules.api!.workers.map((w) => w.name)).toEqual(['serve']);
    expect(snapshot.status).toBe('online');
  });

  it("GET /api/graph is kernel.graph('json')", async () => {
    const reply = await send(h.url, '/api/graph');
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual(JSON.parse(h.k.graph('json')));
    expect(reply.json<{ edges: unknown[] }>().edges).toContainEqual({ from: 'api', to: 'cache' });
  });

  it('GET /api/info tells the page whether changes are possible', async () => {
    const reply = await send(h.url, '/api/info');
    expect(reply.json()).toEqual({
      inspector: 'Inspector',
      kernel: 'online',
      managed: false,
      mutations: false,
    });
  });

  it('serves the page and its assets from the package, with a strict CSP and no CORS', async () => {
    const page = await send(h.url, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('<script type="module" src="assets/app.js"></script>');
    expect(page.text).not.toMatch(/https?:\/\//); // nothing from a CDN
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['access-control-allow-origin']).toBeUndefined();
    const files = readdirSync(new URL('../assets/', import.meta.url)).filter(
      (f) => f !== 'index.html',
    );
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const file of files) {
      const asset = await send(h.url, `/assets/${file}`);
      expect(asset.status).toBe(200);
      expect(asset.text.length).toBeGreaterThan(100);
    }
    expect((await send(h.url, '/assets/app.js')).headers['content-type']).toBe(
      'text/javascript; charset=utf-8',
    );
  });

  it('answers HEAD like GET, without a body', async () => {
    const reply = await send(h.url, '/healthz', { method: 'HEAD' });
    expect(reply.status).toBe(200);
    expect(reply.text).toBe('');
  });
});
