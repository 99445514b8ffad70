import { Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Module, ModuleContext } from '@keel/core';
import { createTestKernel } from '@keel/testing';
import { HttpServer, RequestClosedError } from '../src/index.js';
import { fetchText, rejection } from './support/client.js';
import { deferred } from './support/deferred.js';
import { serve } from './support/serve.js';

// Node closes an idle keep-alive connection after 5 s (keepAliveTimeout) on its own; a
// shutdown that ends well before that closed the connection itself.
const WELL_BEFORE_KEEP_ALIVE_TIMEOUT_MS = 2000;

describe('HttpServer: graceful shutdown', () => {
  it('lets an in-flight request finish, refuses new connections, and resolves after it', async () => {
    const agent = new Agent({ keepAlive: true });
    const entered = deferred();
    const release = deferred();
    const order: string[] = [];
    const { k, url } = await serve({
      handler: async (_req, res) => {
        entered.resolve();
        await release.promise;
        res.end('slow but complete');
        order.push('response sent');
      },
    });

    const slow = fetchText(`${url}/slow`, { agent });
    await entered.promise;
    const shutdown = k.shutdown().then(() => order.push('shutdown resolved'));
    await k.waitFor(HttpServer, 'stopping');

    // Draining: the listening socket is closed at once, while the request still runs.
    const refused = await rejection(fetchText(`${url}/new`));
    expect(refused.code).toBe('ECONNREFUSED');
    expect(k.inspect().modules.http!.running).toEqual([
      expect.objectContaining({ kind: 'worker', name: 'request GET /slow' }),
    ]);
    expect(order).toEqual([]);

    release.resolve();
    const reply = await slow;
    expect(reply).toMatchObject({ status: 200, body: 'slow but complete' });
    // The client asked for keep-alive; the draining server answers that it closes.
    expect(reply.headers.connection).toBe('close');
    await shutdown;
    agent.destroy();
    expect(order).toEqual(['response sent', 'shutdown resolved']);
    expect(k.logs).toContainEqual(
      expect.objectContaining({ module: 'http', msg: 'draining connections', inFlight: 1 }),
    );
    k.expectNoErrors();
    k.expectNoLeaks();
  });

  it('closes idle keep-alive connections and unused pre-connections at once', async () => {
    const agent = new Agent({ keepAlive: true });
    const { k, url } = await serve({ handler: (_req, res) => void res.end('ok') });
    const first = await fetchText(url, { agent });
    expect(first.headers.connection).toBe('keep-alive');
    const [idle] = Object.values(agent.freeSockets).flat();
    const idleClosed = closed(idle!);
    const { port } = new URL(url);
    const preconnected = connect(Number(port), '127.0.0.1');
    const preconnectedClosed = closed(preconnected);
    await new Promise((resolve) => preconnected.once('connect', resolve));

    const began = Date.now();
    await k.shutdown();
    expect(Date.now() - began).toBeLessThan(WELL_BEFORE_KEEP_ALIVE_TIMEOUT_MS);
    await Promise.all([idleClosed, preconnectedClosed]);
    agent.destroy();
    k.expectNoErrors();
    k.expectNoLeaks();
  });

  it('closes a keep-alive connection right after a response that began before the drain', async () => {
    const agent = new Agent({ keepAlive: true });
    const headersOut = deferred();
    const release = deferred();
    const { k, url } = await serve({
      handler: async (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('begun, ');
        headersOut.resolve();
        await release.promise;
        res.end('ended');
      },
    });

    const streaming = fetchText(url, { agent });
    await headersOut.promise;
    const began = Date.now();
    const shutdown = k.shutdown();
    await k.waitFor(HttpServer, 'stopping');
    release.resolve();
    const reply = await streaming;
    expect(reply).toMatchObject({ status: 200, body: 'begun, ended' });
    // Too late for `Connection: close`: the drain closes the connection once it is idle.
    expect(reply.headers.connection).toBe('keep-alive');
    await shutdown;
    expect(Date.now() - began).toBeLessThan(WELL_BEFORE_KEEP_ALIVE_TIMEOUT_MS);
    agent.destroy();
    k.expectNoErrors();
    k.expectNoLeaks();
  });

  it('counts a request in flight until its response ends, also when the handler returned', async () => {
    const entered = deferred();
    const release = deferred();
    const order: string[] = [];
    const { k, url } = await serve({
      // Callback style: the handler returns at once and answers later.
      handler: (_req, res) => {
        entered.resolve();
        void release.promise.then(() => {
          res.end('answered later');
          order.push('response sent');
        });
      },
    });

    const reply = fetchText(url);
    await entered.promise;
    const shutdown = k.shutdown().then(() => order.push('shutdown resolved'));
    await k.waitFor(HttpServer, 'stopping');
    expect(k.inspect().modules.http!.running).toHaveLength(1);
    release.resolve();
    expect(await reply).toMatchObject({ status: 200, body: 'answered later' });
    await shutdown;
    expect(order).toEqual(['response sent', 'shutdown resolved']);
    k.expectNoErrors();
    k.expectNoLeaks();
  });

  it('closes a stuck request by force after drainTimeout, and shutdown completes', async () => {
    const entered = deferred();
    const { k, url } = await serve({
      drainTimeout: '50ms',
      handler: async () => {
        entered.resolve();
        await new Promise(() => undefined); // never settles, ignores every signal
      },
    });

    const stuck = rejection(fetchText(`${url}/stuck`));
    await entered.promise;
    await k.shutdown();
    expect((await stuck).code).toBe('ECONNRESET');
    expect(k.module('http').status).toBe('offline');
    expect(k.logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        module: 'http',
        msg: 'drain timeout: closing the remaining connections by force',
        inFlight: 1,
        drainTimeoutMs: 50,
      }),
    );
    k.expectNoErrors();
    expect(k.exitCode).toBe(0);
    k.expectNoLeaks();
  });

  it('aborts the signal of a request closed by force; a late failure is still reported', async () => {
    const entered = deferred();
    const reason = deferred<unknown>();
    const { k, url } = await serve({
      drainTimeout: 0,
      handler: async (_req, _res, { signal }) => {
        entered.resolve();
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        reason.resolve(signal.reason);
        throw new Error('cleanup failed after the connection was gone');
      },
    });

    const cut = rejection(fetchText(url));
    await entered.promise;
    await k.shutdown();
    expect((await cut).code).toBe('ECONNRESET');
    expect(await reason.promise).toBeInstanceOf(RequestClosedError);
    await eventually(() => k.errors.length > 0);
    expect(k.errors).toEqual([
      expect.objectContaining({
        module: 'http',
        taskType: 'worker',
        taskName: 'request GET /',
        message: 'cleanup failed after the connection was gone',
      }),
    ]);
    k.expectNoLeaks();
  });

  it('keeps the modules a subclass injects running until its requests are done', async () => {
    const order: string[] = [];
    const entered = deferred();
    const release = deferred();

    @Module({ name: 'store' })
    class Store {
      private readonly items = ['milk', 'bread'];
      list(): string[] {
        return this.items;
      }
      stop(): void {
        order.push('store stopped');
      }
    }

    @Module({ name: 'api', events: ['listening'] })
    class Api extends HttpServer {
      constructor(ctx: ModuleContext, store: Store) {
        super(ctx, {
          handler: async (_req, res) => {
            entered.resolve();
            await release.promise;
            res.end(store.list().join(','));
            order.push('request done');
          },
        });
      }
    }

    const k = createTestKernel({ modules: [Api] });
    await k.start();
    expect(k.module(Api).dependencies).toEqual(['store']);
    const url = (k.module(Api).instance as Api).url!;

    const reply = fetchText(url);
    await entered.promise;
    const shutdown = k.shutdown();
    await k.waitFor(Api, 'stopping');
    expect(k.module(Store).status).toBe('online');
    release.resolve();
    expect(await reply).toMatchObject({ status: 200, body: 'milk,bread' });
    await shutdown;
    expect(order).toEqual(['request done', 'store stopped']);
    k.expectNoErrors();
    k.expectNoLeaks();
  });
});

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

/** Waits (a few real event-loop turns at most) for something that happens after a callback. */
async function eventually(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 100 && !condition(); turn++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(condition()).toBe(true);
}
