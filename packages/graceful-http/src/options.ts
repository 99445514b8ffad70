import { KeelError, toMs, type Duration, type InjectionToken } from '@keel/core';
import type { HttpHandler, RequestHandler } from './handler.js';
import { DEFAULT_BODY_LIMIT } from './request-body.js';

/** Options of `HttpServer.configure()`. */
export interface HttpServerOptions {
  /** The interface to listen on; default `'127.0.0.1'` (use `'0.0.0.0'` or `'::'` for all). */
  host?: string;
  /** The TCP port, 0 to 65535; default 0: any free port (see `HttpServer.url`). */
  port?: number;
  /**
   * How long a shutdown lets in-flight requests finish before it closes their connections
   * by force; default `'10s'`. Keep it below three quarters of the kernel's `stopTimeout`,
   * the share of it the kernel waits for a module's work.
   */
  drainTimeout?: Duration;
  /**
   * The largest request body `ctx.json()`, `ctx.text()` and `ctx.bytes()` read, in bytes,
   * unless a call passes its own limit; default 1 MiB (1048576). Larger bodies get a 413.
   */
  bodyLimit?: number;
  /** Answers every request: a function, or a dispatcher such as a `Router`. */
  handler: HttpHandler;
}

/** {@link HttpServerOptions} after validation, with the defaults filled in. */
export interface ResolvedHttpServerOptions {
  readonly host: string;
  readonly port: number;
  readonly drainTimeoutMs: number;
  readonly bodyLimit: number;
  readonly handler: RequestHandler;
}

/**
 * The injection token of the `http` module's options: `HttpServer.configure()` provides it
 * (validated and frozen). `Symbol.for` so two copies of this package in one process agree
 * on it.
 */
export const HTTP_SERVER_OPTIONS: InjectionToken<HttpServerOptions> = Symbol.for(
  '@keel/graceful-http:options',
);

/** The interface listened on when none is configured. */
export const DEFAULT_HOST = '127.0.0.1';
/** How long a shutdown waits for requests when no `drainTimeout` is configured. */
export const DEFAULT_DRAIN_TIMEOUT: Duration = '10s';

const KNOWN = new Set(['host', 'port', 'drainTimeout', 'bodyLimit', 'handler']);
const WHERE = 'HttpServer.configure()';

/**
 * Validates options at once and fills in the defaults.
 * @throws KeelError `E_INVALID_OPTION` naming the bad option, or `E_INVALID_DURATION` for
 * a bad `drainTimeout`.
 */
export function resolveHttpServerOptions(options: HttpServerOptions): ResolvedHttpServerOptions {
  if (options === null || typeof options !== 'object') {
    throw invalid('options', options, 'pass an options object such as { handler }');
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) {
      throw invalid(
        key,
        (options as unknown as Record<string, unknown>)[key],
        `unknown option; known: ${[...KNOWN].join(', ')}`,
      );
    }
  }
  const {
    host = DEFAULT_HOST,
    port = 0,
    drainTimeout = DEFAULT_DRAIN_TIMEOUT,
    bodyLimit = DEFAULT_BODY_LIMIT,
  } = options;
  if (typeof host !== 'string' || host.trim() === '') {
    throw invalid('host', host, "use a host name or an IP address such as '127.0.0.1'");
  }
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw invalid('port', port, 'use a whole number from 0 to 65535 (0: any free port)');
  }
  if (typeof bodyLimit !== 'number' || !Number.isSafeInteger(bodyLimit) || bodyLimit < 0) {
    throw invalid(
      'bodyLimit',
      bodyLimit,
      'use a whole number of bytes, 0 or more (default 1048576, 1 MiB)',
    );
  }
  return Object.freeze({
    host,
    port,
    drainTimeoutMs: toMs(drainTimeout, `${WHERE}: drainTimeout`),
    bodyLimit,
    handler: toRequestHandler(options.handler),
  });
}

function toRequestHandler(handler: unknown): RequestHandler {
  if (typeof handler === 'function') return handler as RequestHandler;
  if (
    handler !== null &&
    typeof handler === 'object' &&
    typeof (handler as { handle?: unknown }).handle === 'function'
  ) {
    const dispatcher = handler as { handle: RequestHandler };
    return (req, res, context) => dispatcher.handle(req, res, context);
  }
  throw invalid(
    'handler',
    handler,
    'pass a function (req, res, context) => void | Promise<void>, or an object with such a handle() method, e.g. a Router',
  );
}

function invalid(option: string, value: unknown, fix: string): KeelError {
  return new KeelError('E_INVALID_OPTION', `${WHERE}: ${option} is ${show(value)}; ${fix}.`, {
    details: { option, value },
  });
}

function show(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
