import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { Module, ModuleContext } from '@keel/core';
import { HttpServer, type RequestContext } from '@keel/graceful-http';
import { route } from '../http/routes.js';
import { Config } from './config.js';
import { REPORTS_QUEUE, type ReportRequest } from './reports.js';
import { Storage } from './storage.js';

/**
 * The HTTP API on `DEMO_HOST:DEMO_PORT`, on `@keel/graceful-http`: each request runs as a
 * worker of this module, so a stop waits for requests in flight; the server drains from the
 * moment the module begins to stop. Injecting `Storage` and `Config` makes them
 * dependencies, so they stop only after the requests are done.
 */
@Module({ events: ['listening'] })
export class Http extends HttpServer {
  constructor(
    private readonly storage: Storage,
    private readonly config: Config,
    private readonly context: ModuleContext,
  ) {
    const { host, port } = config.settings;
    super(context, {
      host,
      port,
      handler: (req, res, ctx) => this.onRequest(req, res, ctx),
    });
  }

  override async stop(): Promise<void> {
    await super.stop();
    const { slowStopMs } = this.config.settings;
    if (slowStopMs > 0) {
      // DEMO_SLOW_STOP_MS: pretend draining takes a while, to try the second Ctrl-C. A real
      // timer: ctx.sleep() would return at once, as this module's signal is already aborted.
      this.context.logger.info({ slowStopMs }, 'stopping slowly (press Ctrl-C again to force)');
      await delay(slowStopMs);
    }
    this.context.logger.info('stopped');
  }

  private async onRequest(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: RequestContext,
  ): Promise<void> {
    if (this.context.signal.aborted) {
      send(res, 503, { error: 'shutting down' });
      return;
    }
    const deps = {
      kernel: this.context.kernel,
      storage: this.storage,
      config: this.config,
      enqueueReport: (reason: string) =>
        this.context.fleet.enqueue(REPORTS_QUEUE, { reason } satisfies ReportRequest),
    };
    // A throw is reported by the server (a ModuleError of this module) and answered with a 500.
    const reply = await route(req, ctx, deps);
    send(res, reply.status, reply.body);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
