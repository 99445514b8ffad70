import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ModuleContext } from '@keel/core';
import type { ConnectionDrain } from './connection-drain.js';
import type { RequestContext, RequestHandler } from './handler.js';
import { BodyReader, RequestBodyError } from './request-body.js';

/** What serving a request needs from the server it arrived on. */
export interface ServeDeps {
  readonly ctx: ModuleContext;
  readonly handler: RequestHandler;
  readonly drain: ConnectionDrain;
  /** `http://host:port`, to parse request targets against. */
  readonly baseUrl: string;
  /** The default limit of a request body read, in bytes. */
  readonly bodyLimit: number;
}

type Outcome = { ok: true } | { ok: false; error: unknown };
const RELEASED = 'released' as const;

/**
 * Serves one request as a worker of the module, so the module's stop waits for it and a
 * throw is reported as a `ModuleError` (and answered with a 500). Never rejects.
 */
export async function serveRequest(
  deps: ServeDeps,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const released = deps.drain.track(res);
  const ended = new Promise<void>((resolve) => res.once('close', () => resolve()));
  const url = parseTarget(req.url, deps.baseUrl);
  if (url === undefined) {
    answer(res, 400, 'Bad Request\n', deps.drain.draining);
    return;
  }
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new RequestClosedError());
  });
  const body = new BodyReader(req, res, controller.signal, deps.bodyLimit);
  // Own properties, not methods: a Router hands on `{ ...context, params }`.
  const context: RequestContext = {
    url,
    params: {},
    signal: controller.signal,
    json: (limit) => body.json(limit),
    text: (limit) => body.text(limit),
    bytes: (limit) => body.bytes(limit),
  };
  const name = `request ${req.method ?? 'GET'} ${url.pathname}`;
  try {
    await deps.ctx.runWorker(name, async () => {
      const handled = settle(deps.handler, req, res, context);
      const first = await Promise.race([handled, released.then(() => RELEASED)]);
      if (first === RELEASED) {
        // Closed by force: stop waiting for the handler, but still report a late failure.
        void handled.then((late) => {
          if (!late.ok && !isAbort(late.error, controller.signal)) {
            deps.ctx.report(late.error, { taskName: name, taskType: 'worker' });
          }
        });
        return;
      }
      if (!first.ok) {
        // The client went away and the handler gave up, as asked: nothing failed.
        if (isAbort(first.error, controller.signal)) return;
        // The client sent a body it should not have: answered, not a failure of the service.
        if (first.error instanceof RequestBodyError) {
          answerRefusal(res, first.error, deps.drain.draining);
          return;
        }
        answerError(res, deps.drain.draining);
        throw first.error;
      }
      // A handler may answer from a callback after it returned: in flight until the response ends.
      if (!res.writableEnded) await Promise.race([ended, released]);
    });
  } catch {
    // runWorker reported it as a ModuleError of this worker; the client got its 500.
  }
}

/** Why a request's signal aborts: its connection closed before the response was sent. */
export class RequestClosedError extends Error {
  override readonly name = 'AbortError';
  constructor() {
    super('The connection closed before the response was sent.');
  }
}

async function settle(
  handler: RequestHandler,
  req: IncomingMessage,
  res: ServerResponse,
  context: RequestContext,
): Promise<Outcome> {
  try {
    await handler(req, res, context);
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The request target as a URL; `undefined` for one that is not a path or an absolute URL. */
function parseTarget(target: string | undefined, baseUrl: string): URL | undefined {
  const raw = target ?? '/';
  try {
    // Concatenated, not resolved: `new URL('//x', base)` would read `x` as a host.
    return raw.startsWith('/') ? new URL(baseUrl + raw) : new URL(raw);
  } catch {
    return undefined;
  }
}

function isAbort(error: unknown, signal: AbortSignal): boolean {
  if (!signal.aborted) return false;
  return error === signal.reason || (error instanceof Error && error.name === 'AbortError');
}

/** Answers 500, or cuts a response whose headers are out so it cannot pass for complete. */
function answerError(res: ServerResponse, draining: boolean): void {
  if (res.destroyed || res.writableEnded) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const header of res.getHeaderNames()) res.removeHeader(header);
  answer(res, 500, 'Internal Server Error\n', draining);
}

/** Answers a refused body with its status, unless the handler began an answer already. */
function answerRefusal(res: ServerResponse, error: RequestBodyError, draining: boolean): void {
  if (res.destroyed || res.writableEnded) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // The rest of the body stays unread: the connection must not be reused (set by the reader).
  const close = res.getHeader('connection') === 'close';
  for (const header of res.getHeaderNames()) res.removeHeader(header);
  answer(res, error.status, `${error.message}\n`, draining || close);
}

function answer(res: ServerResponse, status: number, body: string, draining: boolean): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    ...(draining ? { connection: 'close' } : {}),
  });
  res.end(body);
}
