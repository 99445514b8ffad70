import type { AddressInfo } from 'node:net';
import { Module, ModuleContext, type Kernel, type Provider } from '@keel/core';
import type { Registry } from 'prom-client';
import { inspectorRoutes } from './api/routes.js';
import { checkHost } from './http/host-guard.js';
import { createRequestListener } from './http/request-listener.js';
import { Router } from './http/router.js';
import { HttpServer } from './http/server.js';
import { StaticAssets } from './http/static-assets.js';
import { KernelMetrics } from './metrics/kernel-metrics.js';
import {
  INSPECTOR_OPTIONS,
  resolveInspectorOptions,
  type InspectorOptions,
  type ResolvedInspectorOptions,
} from './options.js';
import { feedKernelEvents } from './stream/kernel-feed.js';
import { SseHub } from './stream/sse-hub.js';

/** What runs between start() and stop(). */
interface Running {
  readonly server: HttpServer;
  readonly hub: SseHub;
  readonly url: string;
  readonly unsubscribe: () => void;
}

/**
 * A plugin module that serves health probes, Prometheus metrics, a JSON API, a live event
 * stream and a web page for the kernel it runs in. Loopback only by default; read-only
 * unless a bearer token is configured.
 * @example
 * ```ts
 * const kernel = Kernel.create({
 *   modules: [Api, Inspector],
 *   providers: [...Inspector.configure({ port: 7117, token: process.env.INSPECTOR_TOKEN })],
 * });
 * await kernel.start();
 * console.log(kernel.get(Inspector).url); // http://127.0.0.1:7117/
 * ```
 */
@Module()
export class Inspector {
  private settings: ResolvedInspectorOptions | undefined;
  private running: Running | undefined;
  private readonly metrics = new KernelMetrics();

  constructor(private readonly ctx: ModuleContext) {}

  /**
   * Providers carrying the inspector's settings, to spread into `Kernel.create({ providers })`.
   * Validates at once: a bad option throws `E_INVALID_OPTION` naming it.
   */
  static configure(options: InspectorOptions = {}): Provider[] {
    resolveInspectorOptions(options);
    return [{ provide: INSPECTOR_OPTIONS, useValue: Object.freeze({ ...options }) }];
  }

  /** The page's address once started (e.g. `http://127.0.0.1:7117/`); `undefined` otherwise. */
  get url(): string | undefined {
    return this.running?.url;
  }

  /** This kernel's metrics registry (never prom-client's global one); add your own metrics here. */
  get registry(): Registry {
    return this.metrics.registry;
  }

  /** Reads and checks the settings, so a bad one fails `kernel.start()` before anything runs. */
  prep(): void {
    this.settings = resolveInspectorOptions(providedOptions(this.ctx.kernel));
  }

  /** Loads the page, listens, and starts forwarding kernel events. */
  async start(): Promise<void> {
    const settings = this.settings ?? resolveInspectorOptions(providedOptions(this.ctx.kernel));
    const kernel = this.ctx.kernel;
    const assets = await StaticAssets.load();
    const hub = new SseHub();
    const router = new Router(
      inspectorRoutes({
        kernel,
        ownName: this.ctx.name,
        token: settings.token,
        hub,
        metrics: this.metrics,
        assets,
      }),
    );
    const server = new HttpServer(
      createRequestListener({
        router,
        guard: (req) => checkHost(req, settings.host, settings.allowedHosts),
        report: (err, where) =>
          this.ctx.report(err, { taskName: `http ${where}`, taskType: 'worker' }),
      }),
    );
    const address = await server.listen(settings.host, settings.port);
    const offFeed = feedKernelEvents(kernel, hub);
    const offMetrics = this.metrics.observe(kernel);
    const url = formatUrl(address);
    this.running = {
      server,
      hub,
      url,
      unsubscribe: () => {
        offFeed();
        offMetrics();
      },
    };
    this.ctx.logger.info(
      { url, mutations: settings.token !== undefined },
      `inspector listening on ${url}`,
    );
  }

  /** Ends the event streams and closes the server (busy connections get a short grace). */
  async stop(): Promise<void> {
    const running = this.running;
    if (running === undefined) return;
    this.running = undefined;
    running.unsubscribe();
    running.hub.close();
    await running.server.close();
  }
}

/** The configured options, or none: the inspector works without `Inspector.configure()`. */
function providedOptions(kernel: Kernel): unknown {
  // Asked, not guessed from an error message: a factory that throws still fails loudly.
  return kernel.has(INSPECTOR_OPTIONS) ? kernel.get(INSPECTOR_OPTIONS) : {};
}

function formatUrl(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}/`;
}
