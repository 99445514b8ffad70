import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a handler learns about the request besides `req` and `res`. */
export interface RequestContext {
  /** The request URL, parsed against the server's own address. */
  readonly url: URL;
  /** Route parameters (`/items/:id` gives `{ id }`); empty outside a {@link Router} route. */
  readonly params: Readonly<Record<string, string>>;
  /**
   * Aborted when the client goes away or the drain timeout force-closes the connection.
   * Not when shutdown begins: a draining server lets requests finish (watch `ctx.signal`
   * of your own module for that).
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
