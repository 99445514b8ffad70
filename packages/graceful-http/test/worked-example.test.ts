import { Module, ModuleContext, OnEvent } from '@keel/core';
import { HttpServer, Router, type HttpListeningEvent } from '@keel/graceful-http';
import { createTestKernel } from '@keel/testing';

/** The service's data: a module like any other. */
@Module({ name: 'store' })
export class Store {
  private readonly items: string[] = [];

  add(item: string): void {
    this.items.push(item);
  }

  list(): readonly string[] {
    return this.items;
  }
}

/**
 * The HTTP API: the plugin's module, extended so that it can inject what its routes use.
 * Injecting Store makes it a dependency, so Store stops only after the requests drained.
 */
@Module({ name: 'api', events: ['listening'] })
export class Api extends HttpServer {
  constructor(ctx: ModuleContext, store: Store) {
    super(ctx, {
      port: 0, // any free port; the bound URL is logged and in `api.url`
      drainTimeout: '5s',
      handler: new Router()
        .get('/items', (_req, res) => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(store.list()));
        })
        .post('/items/:item', (_req, res, { params }) => {
          store.add(params.item!);
          res.statusCode = 201;
          res.end();
        }),
    });
  }
}

/** Another module, told when the API listens. */
@Module({ name: 'announcer' })
export class Announcer {
  readonly urls: string[] = [];

  constructor(private readonly ctx: ModuleContext) {}

  @OnEvent(Api, 'listening')
  onListening({ url }: HttpListeningEvent): void {
    this.urls.push(url);
    this.ctx.logger.info({ url }, 'the API is up');
  }
}

describe('worked example: an API on @keel/graceful-http', () => {
  it('serves, tells other modules where, and drains on shutdown', async () => {
    const k = createTestKernel({ modules: [Api, Announcer] }); // Store comes with Api
    await k.start();
    const api = k.module(Api).instance as Api;

    const created = await fetch(`${api.url}/items/milk`, { method: 'POST' });
    expect(created.status).toBe(201);
    const listed = await fetch(`${api.url}/items`);
    expect(await listed.json()).toEqual(['milk']);
    expect((k.module(Announcer).instance as Announcer).urls).toEqual([api.url]);

    await k.shutdown();
    k.expectNoErrors();
    k.expectNoLeaks();
  });
});
