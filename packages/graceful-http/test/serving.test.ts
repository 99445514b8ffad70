import { Module, ModuleContext, ModuleError, OnEvent } from '@keel/core';
import { createTestKernel, type TestKernel } from '@keel/testing';
import {
  HttpListening,
  HttpServer,
  RequestClosedError,
  type HttpListeningEvent,
  type RequestContext,
} from '../src/index.js';
import { fetchText, rejection } from './support/client.js';
import { deferred } from './support/deferred.js';
import { serve } from './support/serve.js';

describe('HttpServer: serving', () => {
  it('serves requests on the bound URL, logs it, and exposes url and address', async () => {
    const seen: RequestContext[] = [];
    const { k, http, url } = await serve({
      handler: (_req, res, context) => {
        seen.push(context);
        res.setHeader('content-type', 'text/plain');
        res.end(`hello ${context.url.searchParams.get('name') ?? ''}`);
      },
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(http.address).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });
    expect(url).toBe(`http://127.0.0.1:${http.address!.port}`);
    expect(k.logs).toContainEqual(
      expect.objectContaining({ level: 'info', module: 'http', url, msg: 'listening' }),
    );

    const reply = await fetchText(`${url}/greet?name=keel`);
    expect(reply).toMatchObject({ status: 200, body: 'hello keel' });
    expect(seen[0]!.url.pathname).toBe('/greet');
    expect(seen[0]!.params).toEqual({});
    expect(seen[0]!.signal.aborted).toBe(false);

    await k.shutdown();
    expect(http.url).toBeUndefined();
    k.expectNoErrors();
    k.expectNoLeaks();
  });

  it('answers 500 to a handler that throws, reports a ModuleError, and keeps serving', async () => {
    const { k, url } = await serve({
      handler: async (_req, res, { url: target }) => {
        if (target.pathname === '/boom') throw new Error('handler exploded');
        if (target.pathname === '/reject') return Promise.reject(new Error('async failure'));
        res.setHeader('x-partial', 'yes'); // dropped from the 500
        res.end('fine');
      },
    });

    const boom = await fetchText(`${url}/boom`);
    expect(boom.status).toBe(500);
    expect(boom.body).toBe('Internal Server Error\n');
    const rejected = await fetchText(`${url}/reject`);
    expect(rejected.status).toBe(500);
    expect(await fetchText(`${url}/ok`)).toMatchObject({ status: 200, body: 'fine' });

    expect(k.errors).toHaveLength(2);
    expect(k.errors[0]).toBeInstanceOf(ModuleError);
    expect(k.errors[0]).toMatchObject({
      module: 'http',
      taskType: 'worker',
      taskName: 'request GET /boom',
      severity: 'error',
      message: 'handler exploded',
    });
    expect(k.errors[1]).toMatchObject({
      taskName: 'request GET /reject',
      message: 'async failure',
    });
    expect(k.module('http').status).toBe('online');

    await k.shutdown();
    k.expectNoLeaks();
  });

  it('cuts the connection when a handler throws after the headers went out', async () => {
    const { k, url } = await serve({
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('half a ');
        throw new Error('after the headers');
      },
    });

    const err = await rejection(fetchText(url));
    expect(err.code).toBe('ECONNRESET');
    expect(k.errors).toHaveLength(1);
    expect(k.errors[0]).toMatchObject({ taskType: 'worker', message: 'after the headers' });

    await k.shutdown();
    k.expectNoLeaks();
  });

  it('aborts the request signal when the client goes away, without reporting an error', async () => {
    const entered = deferred();
    const aborted = deferred<unknown>();
    const { k, url } = await serve({
      handler: async (_req, _res, { signal }) => {
        entered.resolve();
        await new Promise<void>((_resolve, reject) =>
          signal.addEventListener('abort', () => {
            aborted.resolve(signal.reason);
            reject(signal.reason as Error);
          }),
        );
      },
    });

    const controller = new AbortController();
    const pending = rejection(fetchText(url, { signal: controller.signal }));
    await entered.promise;
    controller.abort();
    expect((await pending).name).toBe('AbortError');
    expect(await aborted.promise).toBeInstanceOf(RequestClosedError);

    await k.shutdown();
    k.expectNoErrors();
    k.expectNoLeaks();
  });

  it('delivers its listening event to @OnEvent hooks of other modules', async () => {
    const byClass = deferred<unknown>();
    const byKey = deferred<HttpListeningEvent>();

    @Module({ name: 'watcher' })
    class Watcher {
      constructor(readonly ctx: ModuleContext) {}

      @OnEvent(HttpServer, 'listening')
      onListening(data: unknown): void {
        byClass.resolve(data);
      }

      @OnEvent(HttpListening)
      onTyped(data: HttpListeningEvent): void {
        byKey.resolve(data);
      }
    }

    const { k, http, url } = await serve({ handler: (_req, res) => void res.end() }, [Watcher]);
    const expected = { url, address: http.address };
    expect(await byClass.promise).toEqual(expected);
    expect(await byKey.promise).toEqual(expected);

    await k.shutdown();
    k.expectNoErrors();
    k.expectNoLeaks();
  });

  it('listens again on a fresh server when management restarts the module', async () => {
    const k = createTestKernel({
      modules: [HttpServer],
      providers: [...HttpServer.configure({ handler: (_req, res) => void res.end('up') })],
    });
    k.enableManagement();
    k.module('http').enable();
    await k.start();
    const http = k.module('http').instance as HttpServer;
    const firstUrl = http.url!;
    expect((await fetchText(firstUrl)).body).toBe('up');

    k.module('http').disable();
    await k.manage();
    expect(http.url).toBeUndefined();
    expect((await rejection(fetchText(firstUrl))).code).toBe('ECONNREFUSED');

    k.module('http').enable();
    await k.manage();
    expect((await fetchText(http.url!)).body).toBe('up');

    await k.shutdown();
    k.expectNoErrors();
    k.expectNoLeaks();
  });

  it('fails start() with E_START_FAILED when the port is taken', async () => {
    const first = await serve({ handler: (_req, res) => void res.end() });
    const second = kernelOnPort(first.http.address!.port);
    await expect(second.start()).rejects.toMatchObject({
      code: 'E_START_FAILED',
      module: 'http',
      cause: expect.objectContaining({ code: 'EADDRINUSE' }),
    });
    await second.shutdown();
    second.expectNoLeaks();
    await first.k.shutdown();
    first.k.expectNoLeaks();
  });
});

/** A second kernel wanting the same port: kernels share nothing but the operating system. */
function kernelOnPort(port: number): TestKernel {
  return createTestKernel({
    modules: [HttpServer],
    providers: [...HttpServer.configure({ port, handler: (_req, res) => void res.end() })],
  });
}
