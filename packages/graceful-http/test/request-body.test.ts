import { request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { KeelError } from '@keel/core';
import {
  DEFAULT_BODY_LIMIT,
  HttpServer,
  RequestBodyError,
  Router,
  type RequestHandler,
} from '../src/index.js';
import { deferred } from './support/deferred.js';
import { serve } from './support/serve.js';

interface Sent {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** True when the response arrived while the request body was still being sent. */
  early: boolean;
  /** The connection closed after the response. */
  closed: Promise<void>;
}

/**
 * POSTs `chunks` with `node:http`, one write each. With `hold`, the body is not ended until
 * the response arrives (or `hold` resolves), as a client streaming a large upload.
 */
function post(
  url: string,
  chunks: Array<string | Buffer>,
  headers: OutgoingHttpHeaders = { 'content-type': 'application/json' },
  hold?: Promise<void>,
): Promise<Sent> {
  return new Promise((resolve, reject) => {
    let ended = false;
    const req = request(url, { method: 'POST', headers, agent: false });
    const closed = new Promise<void>((done) => req.once('close', () => done()));
    req.on('error', (err) => {
      // The server closing the connection on an unread body is the expected end.
      if (!ended) reject(err);
    });
    req.on('response', (res) => {
      const early = !ended;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        ended = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, early, closed });
      });
    });
    for (const chunk of chunks) req.write(chunk);
    if (hold === undefined) {
      ended = true;
      req.end();
    } else {
      void hold.then(() => {
        if (!ended) {
          ended = true;
          req.end();
        }
      });
    }
  });
}

const echoJson: RequestHandler = async (_req, res, ctx) => {
  const value = await ctx.json();
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ got: value }));
};

describe('HttpServer: request bodies', () => {
  it('reads JSON, text and bytes, through a Router too', async () => {
    const router = new Router()
      .post('/json/:id', async (_req, res, ctx) => {
        const value = await ctx.json<{ n: number }>();
        res.end(`${ctx.params.id}:${value.n + 1}`);
      })
      .post('/text', async (_req, res, ctx) => void res.end((await ctx.text()).toUpperCase()))
      .post('/bytes', async (_req, res, ctx) => void res.end(String((await ctx.bytes()).length)))
      .post('/twice', async (_req, res, ctx) => {
        const text = await ctx.text();
        const value = await ctx.json<{ a: number }>();
        res.end(`${text.length}/${value.a}`);
      });
    const { k, url } = await serve({ handler: router });

    expect(await post(`${url}/json/7`, ['{"n":', '41}'])).toMatchObject({
      status: 200,
      body: '7:42',
    });
    const latin1 = Buffer.from('café', 'latin1');
    expect(
      await post(`${url}/text`, [latin1], { 'content-type': 'text/plain; charset=ISO-8859-1' }),
    ).toMatchObject({ status: 200, body: 'CAFÉ' });
    expect(await post(`${url}/text`, ['héllo'], { 'content-type': 'text/plain' })).toMatchObject({
      status: 200,
      body: 'HÉLLO',
    });
    expect(
      await post(`${url}/bytes`, [Buffer.alloc(5000, 1)], {
        'content-type': 'application/octet-stream',
      }),
    ).toMatchObject({ status: 200, body: '5000' });
    expect(await post(`${url}/twice`, ['{"a":3}'])).toMatchObject({ status: 200, body: '7/3' });

    await k.shutdown();
    k.expectNoErrors();
    k.expectNoLeaks();
  });

  it('accepts application/json with parameters and +json types', async () => {
    const { k, url } = await serve({ handler: echoJson });
    for (const type of [
      'application/json; charset=utf-8',
      'Application/JSON',
      'application/merge-patch+json',
    ]) {
      expect(await post(url, ['[1,2]'], { 'content-type': type })).toMatchObject({
        status: 200,
        body: '{"got":[1,2]}',
      });
    }
    await k.shutdown();
    k.expectNoErrors();
  });

  it('answers 400 to malformed or empty JSON, without reporting an error', async () => {
    const { k, url } = await serve({ handler: echoJson });
    const bad = await post(url, ['{"text": "milk"']);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatch(/^Bad Request: the body is not valid JSON \(.+\)\n$/);
    expect(bad.headers['content-type']).toBe('text/plain; charset=utf-8');
    const empty = await post(url, []);
    expect(empty).toMatchObject({
      status: 400,
      body: 'Bad Request: the body is empty, not JSON\n',
    });
    const badText = await post(`${url}`, [Buffer.from([0xff, 0xfe, 0xfd])], {
      'content-type': 'application/json',
    });
    expect(badText.status).toBe(400);
    await k.shutdown();
    expect(k.errors).toEqual([]);
    k.expectNoLeaks();
  });

  it('answers 415 to JSON sent with another Content-Type, before reading it', async () => {
    const { k, url } = await serve({ handler: echoJson });
    const plain = await post(url, ['{"a":1}'], { 'content-type': 'text/plain' });
    expect(plain).toMatchObject({
      status: 415,
      body: 'Unsupported Media Type: expected Content-Type application/json, got text/plain\n',
    });
    expect(plain.headers.connection).toBe('close');
    const form = await post(url, ['a=1'], { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    // No Content-Type at all: read as JSON.
    expect(await post(url, ['{"a":1}'], {})).toMatchObject({
      status: 200,
      body: '{"got":{"a":1}}',
    });
    await k.shutdown();
    expect(k.errors).toEqual([]);
  });

  it('answers 415 to text in a charset it cannot decode', async () => {
    const { k, url } = await serve({
      handler: async (_req, res, ctx) => void res.end(await ctx.text()),
    });
    const reply = await post(url, ['x'], { 'content-type': 'text/plain; charset=klingon' });
    expect(reply).toMatchObject({
      status: 415,
      body: 'Unsupported Media Type: charset "klingon" is not one this server reads\n',
    });
    await k.shutdown();
    expect(k.errors).toEqual([]);
  });

  it('answers 413 from Content-Length alone, reading nothing, and closes the connection', async () => {
    let flowing: boolean | null | undefined;
    const { k, url } = await serve({
      handler: async (req, res, ctx) => {
        try {
          await ctx.bytes(10);
        } finally {
          flowing = req.readableFlowing;
        }
        res.end('unreachable');
      },
    });
    const reply = await post(url, ['x'.repeat(11)], { 'content-type': 'text/plain' });
    expect(reply).toMatchObject({
      status: 413,
      body: 'Payload Too Large: the request body is larger than 10 bytes\n',
    });
    expect(reply.headers.connection).toBe('close');
    await reply.closed;
    expect(flowing).not.toBe(true); // true once a data listener reads it
    await k.shutdown();
    expect(k.errors).toEqual([]);
    k.expectNoLeaks();
  });

  it('stops reading a streamed body at the limit and answers 413 before the upload ends', async () => {
    const seen = deferred<unknown>();
    const { k, url } = await serve({
      bodyLimit: 64 * 1024,
      handler: async (_req, res, ctx) => {
        try {
          await ctx.bytes();
        } catch (err) {
          seen.resolve(err);
          throw err;
        }
        res.end('unreachable');
      },
    });
    const never = new Promise<void>(() => undefined);
    // Chunked (no Content-Length): the limit is found while reading.
    const chunks = Array.from({ length: 5 }, () => Buffer.alloc(16 * 1024, 97));
    const reply = await post(url, chunks, { 'content-type': 'application/octet-stream' }, never);
    expect(reply.status).toBe(413);
    expect(reply.early).toBe(true); // answered with the upload still open: not read to the end
    expect(reply.headers.connection).toBe('close');
    await reply.closed; // and the server closed the connection
    const err = await seen.promise;
    expect(err).toBeInstanceOf(RequestBodyError);
    expect(err).toMatchObject({ status: 413, problem: 'too-large' });
    await k.shutdown();
    expect(k.errors).toEqual([]);
    k.expectNoLeaks();
  });

  it('takes the default limit from bodyLimit, and a per-call limit over it', async () => {
    const { k, url } = await serve({
      bodyLimit: 16,
      handler: async (req, res, ctx) => {
        const text = req.url === '/big' ? await ctx.text(100) : await ctx.text();
        res.end(String(text.length));
      },
    });
    expect(
      await post(`${url}/small`, ['x'.repeat(16)], { 'content-type': 'text/plain' }),
    ).toMatchObject({ status: 200, body: '16' });
    expect(
      (await post(`${url}/small`, ['x'.repeat(17)], { 'content-type': 'text/plain' })).status,
    ).toBe(413);
    expect(
      await post(`${url}/big`, ['x'.repeat(100)], { 'content-type': 'text/plain' }),
    ).toMatchObject({ status: 200, body: '100' });
    await k.shutdown();
    expect(k.errors).toEqual([]);
  });

  it('lets a handler answer a refused body itself', async () => {
    const { k, url } = await serve({
      handler: async (_req, res, ctx) => {
        try {
          await ctx.json(4);
        } catch (err) {
          if (!(err instanceof RequestBodyError)) throw err;
          res.writeHead(err.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: err.problem }));
        }
      },
    });
    const reply = await post(url, ['[1,2,3]']);
    expect(reply).toMatchObject({ status: 413, body: '{"error":"too-large"}' });
    expect(reply.headers.connection).toBe('close'); // the unread rest is not left on a reused connection
    await k.shutdown();
    expect(k.errors).toEqual([]);
  });

  it('refuses a bad limit at the call, and a bad bodyLimit at configure()', async () => {
    const thrown = deferred<unknown>();
    const { k, url } = await serve({
      handler: (_req, res, ctx) => {
        try {
          void ctx.json(-1);
        } catch (err) {
          thrown.resolve(err);
        }
        res.end('ok');
      },
    });
    await post(url, ['{}']);
    expect(await thrown.promise).toMatchObject({
      code: 'E_INVALID_OPTION',
      message: expect.stringContaining('ctx.json(limit): limit is -1'),
    });
    await k.shutdown();
    for (const bodyLimit of [-1, 1.5, '1mb', Number.NaN]) {
      expect(() =>
        HttpServer.configure({ bodyLimit: bodyLimit as number, handler: () => undefined }),
      ).toThrow(
        expect.objectContaining({
          code: 'E_INVALID_OPTION',
          message: expect.stringContaining('bodyLimit is'),
        }) as KeelError,
      );
    }
    expect(DEFAULT_BODY_LIMIT).toBe(1024 * 1024);
  });

  it('rejects the read with the request signal when the client goes away mid-body, reporting nothing', async () => {
    const outcome = deferred<{ err: unknown; aborted: boolean }>();
    const arrived = deferred<void>();
    const { k, url } = await serve({
      handler: async (_req, res, ctx) => {
        arrived.resolve();
        try {
          await ctx.bytes();
          res.end('unreachable');
        } catch (err) {
          outcome.resolve({ err, aborted: ctx.signal.aborted });
          throw err;
        }
      },
    });
    const req = request(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'content-length': '100' },
      agent: false,
    });
    req.on('error', () => undefined); // the client destroys it itself
    req.write('only ten..');
    await arrived.promise;
    req.destroy();
    const { err, aborted } = await outcome.promise;
    expect(aborted).toBe(true);
    expect((err as Error).name).toBe('AbortError');
    await k.shutdown();
    expect(k.errors).toEqual([]);
    k.expectNoLeaks();
  });

  it('ends a read that shutdown cuts off at the drain timeout', async () => {
    const outcome = deferred<unknown>();
    const arrived = deferred<void>();
    const { k, url } = await serve({
      drainTimeout: '30ms', // a real timer (see docs/plugins.md); short
      handler: async (_req, res, ctx) => {
        arrived.resolve();
        try {
          await ctx.bytes();
        } catch (err) {
          outcome.resolve(err);
          throw err;
        }
        res.end('unreachable');
      },
    });
    const req = request(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'content-length': '100' },
      agent: false,
    });
    req.on('error', () => undefined); // cut by the server
    req.write('a slow upload');
    await arrived.promise;
    await k.shutdown();
    expect((await outcome.promise) as Error).toMatchObject({ name: 'AbortError' });
    expect(k.status).toBe('stopped');
    expect(k.errors).toEqual([]);
    k.expectNoLeaks();
    req.destroy();
  });
});
