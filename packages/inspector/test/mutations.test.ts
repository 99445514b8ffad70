import { startHarness, type Harness } from './support/harness.js';
import { send } from './support/http.js';
import { TOKEN } from './support/modules.js';

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

describe('POST /api/modules/:name/enable|disable with a token', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness({ managed: true, inspector: { token: TOKEN } });
  });

  afterEach(async () => {
    await h.stop();
  });

  it('401 without a token, with a wrong one, or with another scheme; nothing changes', async () => {
    const path = '/api/modules/mailer/disable';
    for (const headers of [
      {},
      bearer('wrong-token-0123456789abcdef'),
      bearer(TOKEN.slice(0, -1)),
      { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` },
      { authorization: TOKEN },
    ]) {
      const reply = await send(h.url, path, { method: 'POST', headers });
      expect(reply.status).toBe(401);
      expect(reply.headers['www-authenticate']).toBe('Bearer realm="keel-inspector"');
    }
    expect(h.k.module('mailer').enabled).toBe(true);
    expect(h.k.module('mailer').status).toBe('online');
  });

  it('200 with the token: disable stops the module, enable starts it again', async () => {
    let reply = await send(h.url, '/api/modules/mailer/disable', {
      method: 'POST',
      headers: bearer(TOKEN),
    });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({
      module: 'mailer',
      changed: true,
      enabled: false,
      enabledAsDependency: false,
      status: 'offline',
    });
    expect(h.k.module('mailer').status).toBe('offline');

    reply = await send(h.url, '/api/modules/mailer/enable', {
      method: 'POST',
      headers: bearer(TOKEN),
    });
    expect(reply.status).toBe(200);
    expect(reply.json()).toMatchObject({ module: 'mailer', changed: true, status: 'online' });
    expect(h.k.module('mailer').status).toBe('online');
  });

  it('a disabled module that others need keeps running as a dependency', async () => {
    const reply = await send(h.url, '/api/modules/db/disable', {
      method: 'POST',
      headers: bearer(TOKEN),
    });
    expect(reply.json()).toMatchObject({
      module: 'db',
      enabled: false,
      enabledAsDependency: true,
      status: 'online',
    });
  });

  it('404 for an unknown module, 409 for disabling the inspector itself', async () => {
    const unknown = await send(h.url, '/api/modules/nope/disable', {
      method: 'POST',
      headers: bearer(TOKEN),
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toEqual({ error: 'No module "nope" in this kernel.' });
    const self = await send(h.url, '/api/modules/Inspector/disable', {
      method: 'POST',
      headers: bearer(TOKEN),
    });
    expect(self.status).toBe(409);
    expect(h.k.module('Inspector').enabled).toBe(true);
  });

  it('the page learns that changes are possible', async () => {
    expect((await send(h.url, '/api/info')).json()).toMatchObject({
      managed: true,
      mutations: true,
    });
  });
});

describe('mutations without management or without a token', () => {
  it('409 with a clear message when the app did not enable management', async () => {
    const h = await startHarness({ inspector: { token: TOKEN } });
    try {
      const reply = await send(h.url, '/api/modules/mailer/disable', {
        method: 'POST',
        headers: bearer(TOKEN),
      });
      expect(reply.status).toBe(409);
      expect(reply.json<{ error: string }>().error).toContain(
        'Module management is not enabled: call kernel.enableManagement()',
      );
      expect(h.k.module('mailer').status).toBe('online');
    } finally {
      await h.stop();
    }
  });

  it('403 for every mutation when no token is configured (read-only)', async () => {
    const h = await startHarness({ managed: true });
    try {
      const reply = await send(h.url, '/api/modules/mailer/disable', {
        method: 'POST',
        headers: bearer(TOKEN),
      });
      expect(reply.status).toBe(403);
      expect(reply.json<{ error: string }>().error).toContain('read-only');
      expect(h.k.module('mailer').enabled).toBe(true);
    } finally {
      await h.stop();
    }
  });
});

describe('POST /api/modules/:name/restart with a token', () => {
  let h: Harness;

  afterEach(async () => {
    await h.stop();
  });

  it('restarts the module and its running dependents, without management', async () => {
    h = await startHarness({ inspector: { token: TOKEN } });
    const moves: string[] = [];
    h.k.on('status', (module, from, to) => moves.push(`${module} ${from}->${to}`));
    const reply = await send(h.url, '/api/modules/mailer/restart', {
      method: 'POST',
      headers: bearer(TOKEN),
    });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ module: 'mailer', restarted: true, status: 'online' });
    expect(moves.filter((m) => m.startsWith('mailer '))).toEqual([
      'mailer online->stopping',
      'mailer stopping->offline',
      'mailer offline->starting',
      'mailer starting->online',
    ]);
  });

  it('401 without the token, 404 for an unknown module, 409 for the inspector itself', async () => {
    h = await startHarness({ inspector: { token: TOKEN } });
    const restart = (name: string, headers: Record<string, string>) =>
      send(h.url, `/api/modules/${name}/restart`, { method: 'POST', headers });
    expect((await restart('mailer', {})).status).toBe(401);
    expect((await restart('nope', bearer(TOKEN))).status).toBe(404);
    expect((await restart('Inspector', bearer(TOKEN))).status).toBe(409);
    expect(h.k.module('mailer').status).toBe('online');
  });
});
