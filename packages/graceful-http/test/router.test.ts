import { KeelError } from '@keel/core';
import { Router } from '../src/index.js';
import { fetchText } from './support/client.js';
import { serve } from './support/serve.js';

describe('Router', () => {
  it('routes by method and path, with parameters, 404 and 405', async () => {
    const router = new Router()
      .get('/items', (_req, res) => void res.end('all items'))
      .get('/items/new', (_req, res) => void res.end('the form'))
      .get('/items/:id', (_req, res, { params }) => void res.end(`item ${params.id}`))
      .post('/items', (_req, res) => {
        res.statusCode = 201;
        res.end('created');
      })
      .delete('/items/:id', (_req, res, { params }) => void res.end(`deleted ${params.id}`));
    const { k, url } = await serve({ handler: router });

    expect(await fetchText(`${url}/items`)).toMatchObject({ status: 200, body: 'all items' });
    expect(await fetchText(`${url}/items`, { method: 'POST' })).toMatchObject({
      status: 201,
      body: 'created',
    });
    // The first matching route wins.
    expect((await fetchText(`${url}/items/new`)).body).toBe('the form');
    expect((await fetchText(`${url}/items/a%20b?x=1`)).body).toBe('item a b');
    expect((await fetchText(`${url}/items/7`, { method: 'DELETE' })).body).toBe('deleted 7');
    const head = await fetchText(`${url}/items`, { method: 'HEAD' });
    expect(head).toMatchObject({ status: 200, body: '' });

    expect(await fetchText(`${url}/nothing`)).toMatchObject({ status: 404, body: 'Not Found\n' });
    expect(await fetchText(`${url}/items/`)).toMatchObject({ status: 404 });
    const wrongMethod = await fetchText(`${url}/items`, { method: 'PUT' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('GET, HEAD, POST');
    expect((await fetchText(`${url}/items/%E0%A4%A`)).status).toBe(400);

    await k.shutdown();
    k.expectNoErrors();
    k.expectNoLeaks();
  });

  it('reports a failing route like any handler', async () => {
    const router = new Router().get('/boom', async () => {
      throw new Error('route failed');
    });
    const { k, url } = await serve({ handler: router });
    expect((await fetchText(`${url}/boom`)).status).toBe(500);
    expect(k.errors).toEqual([
      expect.objectContaining({ taskType: 'worker', taskName: 'request GET /boom' }),
    ]);
    await k.shutdown();
    k.expectNoLeaks();
  });

  it.each([
    ['items', 'must start with'],
    ['/items/:', 'bad or repeated parameter'],
    ['/a/:id/b/:id', 'bad or repeated parameter'],
  ])('rejects the pattern %p', (pattern, message) => {
    const add = (): Router => new Router().get(pattern, () => undefined);
    expect(add).toThrow(KeelError);
    expect(add).toThrow(message);
  });

  it('rejects a route added twice, a bad method and a missing handler', () => {
    const handler = (): void => undefined;
    expect(() => new Router().get('/a', handler).get('/a', handler)).toThrow('routed twice');
    expect(() => new Router().on('GET /a', '/a', handler)).toThrow('HTTP method');
    expect(() => new Router().get('/a', undefined as never)).toThrow('must be a function');
  });
});
