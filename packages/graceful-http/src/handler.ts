import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestBody } from './request-body.js';

/**
 * What a handler learns about the request besides `req` and `res`, and how it reads the
 * body: `await ctx.json()`, `ctx.text()`, `ctx.bytes()`, each with an optional limit in
 * bytes (default: the server's `bodyLimit`, 1 MiB). A body over the limit, of the wrong type
 * or malformed rejects with a `RequestBodyError`; left uncaught, it is answered with its
 * status (413, 415, 400) and not reported as a module error.
 * @example
 * ```ts
 * new Router().post('/items', async (_req, res, ctx) => {
 *   const item = await ctx.json<{ text: string }>(64 * 1024);
 *   res.end(JSON.stringify(item));
 * });
 * ```
 */
export interface RequestContext extends RequestBody {
  /** The request URL, parsed against the server's own address. */
  readonly url: URL;
  /** Route parameters (`/items/:id` gives `{ id }`); empty outside a {@link Router} route. */
  readonly params: Readonly<Record<string, string>>;
  /**
   * Aborted when the client goes away (a body being read rejects with it) or when the
   * shutdown's drain timeout force-closes the connection. Not the moment shutdown begins: a
   * draining server lets requests finish (watch `ctx.signal` of your own module for that).
   */
  readonly signal: AbortSignal;
}

/**
 * Answers one request. The request counts as in flight (and delays shutdown) until the
 * returned promise settles and the response has ended. A throw is reported as a
 * `ModuleError` of the `http` module and answered with a 500.
 */
export type RequestHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  context: RequestContext,
) => void | Promise<void>;

/** An object that answers requests, such as a {@link Router}. */
export interface RequestDispatcher {
  handle: RequestHandler;
}

/** What `HttpServer.configure({ handler })` accepts: a function or a dispatcher. */
export type HttpHandler = RequestHandler | RequestDispatcher;
