import type { IncomingMessage } from 'node:http';
import { KeelError, type Kernel } from '@keel/core';
import { RequestBodyError, type RequestContext } from '@keel/graceful-http';
import type { Config } from '../modules/config.js';
import { StorageFullError, type Storage } from '../modules/storage.js';
import { ClientError, field } from './client-error.js';

/** The largest request body the demo reads (the plugin's default is 1 MiB). */
const MAX_BODY_BYTES = 64 * 1024;

/** What a route answers: a status and a JSON body. */
export interface Reply {
  readonly status: number;
  readonly body: unknown;
}

/** What the routes work with. */
export interface RouteDeps {
  readonly kernel: Kernel;
  readonly storage: Storage;
  readonly config: Config;
  /** Enqueues a report job (`ctx.fleet.enqueue`); resolves with the job id. */
  readonly enqueueReport: (reason: string) => Promise<string>;
}

/**
 * Answers one request. `GET /health`, `GET /items`, `POST /items` (`{ "text": "..." }`) and
 * `PUT /config` (`{ "maxItems": 10 }`, which triggers `Config`'s `changed` event) and
 * `POST /reports` (enqueues a report job).
 */
export async function route(
  req: IncomingMessage,
  ctx: RequestContext,
  deps: RouteDeps,
): Promise<Reply> {
  const path = ctx.url.pathname;
  const key = `${req.method ?? 'GET'} ${path}`;
  try {
    switch (key) {
      case 'GET /health':
        return health(deps.kernel);
      case 'GET /items':
        return { status: 200, body: { items: deps.storage.list() } };
      case 'POST /items':
        return addItem(await ctx.json(MAX_BODY_BYTES), deps.storage);
      case 'PUT /config':
        return await updateConfig(await ctx.json(MAX_BODY_BYTES), deps.config);
      case 'POST /reports':
        return await enqueueReport(deps);
      default:
        return { status: 404, body: { error: `no route for ${key}` } };
    }
  } catch (err) {
    if (err instanceof ClientError) return { status: err.status, body: { error: err.message } };
    // Too large (413), not JSON (415), malformed (400): the plugin's reader says which.
    if (err instanceof RequestBodyError) {
      return { status: err.status, body: { error: err.message } };
    }
    throw err;
  }
}

/** 200 while the kernel is online, 503 otherwise; with each module's status and failure. */
function health(kernel: Kernel): Reply {
  const snapshot = kernel.inspect();
  const modules = Object.fromEntries(
    Object.values(snapshot.modules).map((m) => [m.name, { status: m.status, failure: m.failure }]),
  );
  const online = snapshot.status === 'online';
  return {
    status: online ? 200 : 503,
    body: { status: online ? 'ok' : snapshot.status, failure: snapshot.failure, modules },
  };
}

function addItem(body: unknown, storage: Storage): Reply {
  const text = field(body, 'text');
  if (typeof text !== 'string' || text === '') {
    throw new ClientError(400, 'expected a JSON body like { "text": "milk" }');
  }
  try {
    return { status: 201, body: storage.add(text) };
  } catch (err) {
    if (err instanceof StorageFullError) throw new ClientError(409, err.message);
    throw err;
  }
}

async function updateConfig(body: unknown, config: Config): Promise<Reply> {
  const maxItems = field(body, 'maxItems');
  if (typeof maxItems !== 'number' || !Number.isInteger(maxItems) || maxItems < 1) {
    throw new ClientError(400, 'expected a JSON body like { "maxItems": 10 }');
  }
  const settings = await config.update({ maxItems });
  return { status: 200, body: { maxItems: settings.maxItems } };
}

async function enqueueReport(deps: RouteDeps): Promise<Reply> {
  try {
    return { status: 202, body: { jobId: await deps.enqueueReport('http') } };
  } catch (err) {
    // No queue here (Reports left out) or the fleet engine is down: the caller may retry.
    if (
      err instanceof KeelError &&
      (err.code === 'E_JOB_QUEUE_UNKNOWN' || err.code === 'E_FLEET_UNAVAILABLE')
    ) {
      return { status: 503, body: { error: err.message, code: err.code } };
    }
    throw err;
  }
}
