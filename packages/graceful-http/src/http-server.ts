import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inject, KeelError, Module, ModuleContext, type Provider } from '@keel/core';
import { boundUrl } from './bound-url.js';
import { ConnectionDrain } from './connection-drain.js';
import { HTTP_MODULE_NAME, HttpListening } from './listening-event.js';
import {
  HTTP_SERVER_OPTIONS,
  resolveHttpServerOptions,
  type HttpServerOptions,
  type ResolvedHttpServerOptions,
} from './options.js';
import { serveRequest } from './serve-request.js';

/** One run of the server, from `start()` to `stop()`. */
interface Listening {
  readonly server: Server;
  readonly drain: ConnectionDrain;
  readonly address: AddressInfo;
  readonly url: string;
  /** Requests being served, each settling (never rejecting) when its worker ended. */
  readonly inFlight: Set<Promise<void>>;
}

/**
 * An HTTP server module whose shutdown drains connections: each request runs as a worker
 * of the module, so the kernel's stop waits for requests in flight; the drain begins the
 * moment the module's signal aborts (new connections are refused, idle keep-alive
 * connections close, responses ask for `Connection: close`), and after `drainTimeout` what
 * is left is closed by force.
 *
 * Use it as is, with `HttpServer.configure()`, for a handler that needs no other module.
 * A handler that uses other modules belongs in a subclass that injects them: the kernel
 * then keeps them running until the requests are done. A subclass declares its own
 * `@Module({ name, events: ['listening'] })` and passes its options to `super()`.
 * @example
 * ```ts
 * const kernel = Kernel.create({
 *   modules: [HttpServer],
 *   providers: [...HttpServer.configure({ port: 8080, handler: (_req, res) => void res.end('hi') })],
 * });
 * ```
 * @example
 * ```ts
 * @Module({ name: 'api', events: ['listening'] })
 * class Api extends HttpServer {
 *   constructor(ctx: ModuleContext, store: Store) {
 *     super(ctx, { port: 8080, handler: new Router().get('/items', (_req, res) => void res.end(store.json())) });
 *   }
 * }
 * ```
 */
@Module({ name: HTTP_MODULE_NAME, events: ['listening'] })
export class HttpServer {
  private readonly options: ResolvedHttpServerOptions;
  private current: Listening | undefined;

  /**
   * @param options from `HttpServer.configure()`, or passed by a subclass to `super()`.
   * @throws KeelError `E_INVALID_OPTION` when there are none or one is bad.
   */
  constructor(
    private readonly ctx: ModuleContext,
    @inject(HTTP_SERVER_OPTIONS, { isOptional: true }) options?: HttpServerOptions,
  ) {
    if (options === undefined) {
      throw new KeelError(
        'E_INVALID_OPTION',
        `Module "${ctx.name}" has no options. Add ...HttpServer.configure({ handler }) to ` +
          `Kernel.create({ providers }), or pass them to super(ctx, options) in a subclass.`,
        { module: ctx.name, details: { option: 'handler' } },
      );
    }
    this.options = resolveHttpServerOptions(options);
  }

  /**
   * Validates the options at once and returns the providers to spread into
   * `Kernel.create({ providers })`.
   * @throws KeelError `E_INVALID_OPTION` naming the bad option (`E_INVALID_DURATION` for
   * `drainTimeout`).
   */
  static configure(options: HttpServerOptions): Provider[] {
    resolveHttpServerOptions(options);
    return [{ provide: HTTP_SERVER_OPTIONS, useValue: Object.freeze({ ...options }) }];
  }

  /** The bound address while the server runs (from `start()` until `stop()`), else undefined. */
  get address(): AddressInfo | undefined {
    return this.current?.address;
  }

  /** The bound URL, e.g. `http://127.0.0.1:41234`, while the server runs; else undefined. */
  get url(): string | undefined {
    return this.current?.url;
  }

  /** Listens, then triggers `listening` with the bound address. */
  async start(): Promise<void> {
    const { host, port, drainTimeoutMs, bodyLimit, handler } = this.options;
    const server = createServer();
    await listen(server, port, host);
    server.on('error', (err) => this.ctx.report(err, { taskName: 'http server' }));
    const address = server.address() as AddressInfo;
    const url = boundUrl(address);
    const drain = new ConnectionDrain(server, drainTimeoutMs, this.ctx.logger);
    const inFlight = new Set<Promise<void>>();
    const deps = { ctx: this.ctx, handler, drain, baseUrl: url, bodyLimit };
    // Attached before any I/O callback can run, so no request is missed.
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const served = serveRequest(deps, req, res);
      inFlight.add(served);
      void served.finally(() => inFlight.delete(served));
    });
    this.current = { server, drain, address, url, inFlight };

    // The kernel aborts the signal, then waits for this module's workers (the requests in
    // flight) before it calls stop(): drain from the abort, or new connections would keep
    // arriving all that time.
    const signal = this.ctx.signal;
    if (signal.aborted) drain.begin();
    else signal.addEventListener('abort', () => drain.begin(), { once: true });

    this.ctx.logger.info({ url }, 'listening');
    // Not awaited: hooks run once this module is online, which is after start() returns.
    void this.ctx.triggerEvent(HttpListening, { url, address });
  }

  /**
   * Resolves once the server has closed. The drain began when the module's signal aborted;
   * by now the kernel has waited for the requests in flight, so at most the forced close
   * after `drainTimeout` is left to wait for.
   */
  async stop(): Promise<void> {
    const current = this.current;
    if (current === undefined) return;
    current.drain.begin();
    await current.drain.closed;
    await Promise.all(current.inFlight);
    this.current = undefined;
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
