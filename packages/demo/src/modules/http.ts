import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { Module, ModuleContext } from '@keel/core';
import { route } from '../http/routes.js';
import { Config } from './config.js';
import { REPORTS_QUEUE, type ReportRequest } from './reports.js';
import { Storage } from './storage.js';

/**
 * The HTTP API on `DEMO_HOST:DEMO_PORT`. Each request runs as a worker of this module, so
 * a stop waits for requests in flight; the server stops accepting as soon as the module
 * begins to stop, and `stop()` returns once it has drained.
 */
@Module()
export class Http {
  /** The bound URL, e.g. `http://127.0.0.1:41234`; empty until started. */
  url = '';
  private closed: Promise<void> = Promise.resolve();

  constructor(
    private readonly storage: Storage,
    private readonly config: Config,
    private readonly ctx: ModuleContext,
  ) {}

  async start(): Promise<void> {
    const { host, port } = this.config.settings;
    const server = createServer((req, res) => this.onRequest(req, res));
    await listen(server, port, host);
    server.on('error', (err) => this.ctx.report(err, { taskName: 'http server' }));
    // Stop accepting at once when the module begins to stop; stop() waits for the drain.
    this.closed = new Promise((resolve) => {
      this.ctx.signal.addEventListener('abort', () => close(server, resolve), { once: true });
    });
    this.url = `http://${host}:${(server.address() as AddressInfo).port}`;
    this.ctx.logger.info({ url: this.url }, 'listening');
  }

  async stop(): Promise<void> {
    await this.closed;
    const { slowStopMs } = this.config.settings;
    if (slowStopMs > 0) {
      // DEMO_SLOW_STOP_MS: pretend draining takes a while, to try the second Ctrl-C. A real
      // timer: ctx.sleep() would return at once, as this module's signal is already aborted.
      this.ctx.logger.info({ slowStopMs }, 'stopping slowly (press Ctrl-C again to force)');
      await delay(slowStopMs);
    }
    this.ctx.logger.info('stopped');
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.ctx.signal.aborted) {
      send(res, 503, { error: 'shutting down' });
      return;
    }
    const deps = {
      kernel: this.ctx.kernel,
      storage: this.storage,
      config: this.config,
      enqueueReport: (reason: string) =>
        this.ctx.fleet.enqueue(REPORTS_QUEUE, { reason } satisfies ReportRequest),
    };
    // runWorker reports an unexpected error (and rethrows it here, answered with a 500).
    this.ctx
      .runWorker(`${req.method ?? 'GET'} ${req.url ?? '/'}`, async () => {
        const reply = await route(req, deps);
        send(res, reply.status, reply.body);
      })
      .catch(() => send(res, 500, { error: 'internal error' }));
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Stops accepting, closes idle keep-alive sockets, calls `done` once every request ended. */
function close(server: Server, done: () => void): void {
  server.close(() => done());
  server.closeIdleConnections();
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
