import type { Kernel } from '@keel/core';
import { requireBearer } from '../http/auth.js';
import { sendJson, sendText } from '../http/respond.js';
import type { Handler, Route } from '../http/router.js';
import type { StaticAssets } from '../http/static-assets.js';
import type { KernelMetrics } from '../metrics/kernel-metrics.js';
import type { SseHub } from '../stream/sse-hub.js';
import { moduleActionHandler, moduleRestartHandler, type ModuleAction } from './module-actions.js';
import { readiness } from './readiness.js';
import { collectSections, sectionMetricsText } from './plugin-sections.js';

/** What the routes serve from. */
export interface RouteDeps {
  readonly kernel: Kernel;
  /** The inspector module's own name (it refuses to disable itself). */
  readonly ownName: string;
  readonly token: string | undefined;
  readonly hub: SseHub;
  readonly metrics: KernelMetrics;
  readonly assets: StaticAssets;
}

/** Every endpoint of the inspector. */
export function inspectorRoutes(deps: RouteDeps): Route[] {
  const { kernel, hub, metrics, assets } = deps;
  const mutation = (action: ModuleAction | 'restart'): Handler => {
    const handler =
      action === 'restart'
        ? moduleRestartHandler(kernel, deps.ownName)
        : moduleActionHandler(kernel, deps.ownName, action);
    return (ctx) => {
      requireBearer(ctx.req, deps.token);
      return handler(ctx);
    };
  };
  return [
    { path: '/', GET: ({ res }) => assets.send(res, 'index.html') },
    { path: '/assets/:file', GET: ({ res, params }) => assets.send(res, params.file!) },
    {
      path: '/healthz',
      GET: ({ res }) => {
        const alive = kernel.status !== 'stopped';
        sendJson(res, alive ? 200 : 503, {
          status: alive ? 'ok' : 'stopped',
          kernel: kernel.status,
        });
      },
    },
    {
      path: '/readyz',
      GET: ({ res }) => {
        const verdict = readiness(kernel.inspect());
        sendJson(res, verdict.ready ? 200 : 503, verdict);
      },
    },
    {
      path: '/api/info',
      GET: ({ res }) => {
        const snapshot = kernel.inspect();
        sendJson(res, 200, {
          inspector: deps.ownName,
          kernel: snapshot.status,
          managed: snapshot.managed,
          mutations: deps.token !== undefined,
        });
      },
    },
    { path: '/api/snapshot', GET: ({ res }) => sendJson(res, 200, kernel.inspect()) },
    { path: '/api/sections', GET: ({ res }) => sendJson(res, 200, collectSections(kernel)) },
    {
      path: '/api/graph',
      GET: ({ res }) => sendText(res, 200, 'application/json; charset=utf-8', kernel.graph('json')),
    },
    { path: '/api/stream', GET: ({ req, res }) => hub.open(req, res) },
    {
      path: '/metrics',
      GET: async ({ res }) => {
        const text = await metrics.render(kernel.inspect());
        const extra = sectionMetricsText(collectSections(kernel), metrics.names());
        sendText(res, 200, metrics.contentType, text + extra);
      },
    },
    { path: '/api/modules/:name/enable', POST: mutation('enable') },
    { path: '/api/modules/:name/disable', POST: mutation('disable') },
    { path: '/api/modules/:name/restart', POST: mutation('restart') },
  ];
}
