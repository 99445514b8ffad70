import { Inspector } from '@keel/inspector';
import { createTestKernel } from '@keel/testing';
import { pino } from 'pino';
import { Api, createService } from '../examples/service.js';
import { send } from './support/http.js';

describe('the documented example (examples/service.ts)', () => {
  it('starts, serves the probes and the page, and shuts down', async () => {
    const kernel = createService(
      { port: 0, token: 'example-token-0123456789' },
      pino({ level: 'silent' }),
    );
    await kernel.start();
    try {
      const url = kernel.get(Inspector).url!;
      expect((await send(url, '/healthz')).status).toBe(200);
      expect((await send(url, '/readyz')).status).toBe(200);
      expect((await send(url, '/')).status).toBe(200);
      const info = (await send(url, '/api/info')).json();
      expect(info).toMatchObject({ managed: true, mutations: true });
      // The migration event was exposed data; it was sent before any stream could listen.
      const snapshot = (await send(url, '/api/snapshot')).json<{ modules: object }>();
      expect(Object.keys(snapshot.modules).sort()).toEqual(['Inspector', 'api', 'db']);
    } finally {
      await kernel.shutdown();
    }
    expect(kernel.status).toBe('stopped');
    expect(kernel.exitCode).toBe(0);
  });

  it('runs in a test kernel on port 0, as docs/inspector.md shows', async () => {
    const k = createTestKernel({
      modules: [Api, Inspector],
      providers: Inspector.configure({ port: 0 }),
    });
    await k.start();
    const res = await fetch(new URL('readyz', k.get(Inspector).url));
    expect(await res.json()).toMatchObject({ ready: true });
    await k.shutdown();
    k.expectNoLeaks();
  });
});
