import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkDeclaredLength } from './body.js';
import { HttpError, sendError } from './respond.js';
import type { Router } from './router.js';

/** What the request listener needs besides the routes. */
export interface ListenerOptions {
  readonly router: Router;
  /** Throws an `HttpError` to refuse a request before routing (host check). */
  readonly guard: (req: IncomingMessage) => void;
  /** Reports an unexpected handler error (a bug); the client gets a 500. */
  readonly report: (err: unknown, where: string) => void;
}

/**
 * Turns routes into a `node:http` request listener: guard, size check, route, run. An
 * `HttpError` becomes its status; anything else is reported and answered 500, never a crash.
 */
export function createRequestListener(
  options: ListenerOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void serve(options, req, res);
  };
}

async function serve(
  { router, guard, report }: ListenerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const method = req.method ?? 'GET';
  let where = `${method} ${req.url ?? ''}`;
  try {
    guard(req);
    const url = parseUrl(req.url);
    where = `${method} ${url.pathname}`;
    checkDeclaredLength(req);
    const { handler, params } = router.match(method, url.pathname);
    await handler({ req, res, url, params });
  } catch (err) {
    if (err instanceof HttpError) {
      answer(res, err);
    } else {
      report(err, where);
      answer(
        res,
        new HttpError(500, 'Internal error while serving the request; see the service logs.'),
      );
    }
  }
}

function answer(res: ServerResponse, err: HttpError): void {
  if (res.headersSent) {
    // Too late for a status: cut the response so the client sees it failed.
    res.destroy();
    return;
  }
  // A refused body may still be streaming in: do not keep this connection.
  if (err.status === 413) res.shouldKeepAlive = false;
  sendError(res, err);
}

function parseUrl(raw: string | undefined): URL {
  if (raw === undefined || !raw.startsWith('/')) {
    throw new HttpError(400, 'Malformed request target.');
  }
  try {
    // The base only makes the target absolute; the Host header is never trusted for it.
    return new URL(raw, 'http://inspector.invalid');
  } catch {
    throw new HttpError(400, 'Malformed request target.');
  }
}
