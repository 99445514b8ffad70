import type { IncomingMessage, ServerResponse } from 'node:http';
import { KeelError } from '@keel/core';
import type { RequestContext, RequestDispatcher, RequestHandler } from './handler.js';

/** One segment of a route pattern: a literal, or a named parameter (`:id`). */
type Segment = { literal: string } | { param: string };

interface Route {
  readonly method: string;
  readonly pattern: string;
  readonly segments: readonly Segment[];
  readonly handler: RequestHandler;
}

/**
 * A small router: exact paths with `:name` parameters, one handler per method and path.
 * Answers 404 when no path matches and 405 (with `Allow`) when only the method is wrong;
 * `HEAD` falls back to `GET`. Pass it as `HttpServer.configure({ handler: router })`.
 * @example
 * ```ts
 * const router = new Router()
 *   .get('/health', (_req, res) => void res.end('ok'))
 *   .get('/items/:id', (_req, res, { params }) => void res.end(params.id));
 * ```
 */
export class Router implements RequestDispatcher {
  private readonly routes: Route[] = [];

  /** Adds a route for `method` (case-insensitive) and `pattern`, e.g. `/items/:id`. */
  on(method: string, pattern: string, handler: RequestHandler): this {
    if (typeof method !== 'string' || !/^[A-Za-z]+$/.test(method)) {
      throw new KeelError(
        'E_INVALID_OPTION',
        `Router.on: method must be an HTTP method such as 'GET', got ${String(method)}.`,
        { details: { option: 'method', value: method } },
      );
    }
    if (typeof handler !== 'function') {
      throw new KeelError(
        'E_INVALID_OPTION',
        `Router: the handler of ${method.toUpperCase()} ${String(pattern)} must be a function.`,
        { details: { option: 'handler' } },
      );
    }
    const segments = parsePattern(pattern);
    const upper = method.toUpperCase();
    if (this.routes.some((r) => r.method === upper && r.pattern === pattern)) {
      throw new KeelError(
        'E_INVALID_OPTION',
        `Router: ${upper} ${pattern} is routed twice. Keep one handler per method and path.`,
        { details: { option: 'pattern', value: pattern } },
      );
    }
    this.routes.push({ method: upper, pattern, segments, handler });
    return this;
  }

  /** Adds a `GET` route (also used for `HEAD`). */
  get(pattern: string, handler: RequestHandler): this {
    return this.on('GET', pattern, handler);
  }

  /** Adds a `POST` route. */
  post(pattern: string, handler: RequestHandler): this {
    return this.on('POST', pattern, handler);
  }

  /** Adds a `PUT` route. */
  put(pattern: string, handler: RequestHandler): this {
    return this.on('PUT', pattern, handler);
  }

  /** Adds a `PATCH` route. */
  patch(pattern: string, handler: RequestHandler): this {
    return this.on('PATCH', pattern, handler);
  }

  /** Adds a `DELETE` route. */
  delete(pattern: string, handler: RequestHandler): this {
    return this.on('DELETE', pattern, handler);
  }

  /**
   * Answers a request with the first route (in the order added) whose method and path
   * match, or 404/405.
   */
  handle(req: IncomingMessage, res: ServerResponse, context: RequestContext): void | Promise<void> {
    const parts = context.url.pathname.split('/').slice(1);
    const method = (req.method ?? 'GET').toUpperCase();
    const candidates: Array<{ route: Route; params: Record<string, string> }> = [];
    for (const route of this.routes) {
      const params = match(route.segments, parts);
      if (params === null) return plain(res, 400, 'Bad Request: malformed path\n');
      if (params !== undefined) candidates.push({ route, params });
    }
    const found =
      candidates.find((c) => c.route.method === method) ??
      (method === 'HEAD' ? candidates.find((c) => c.route.method === 'GET') : undefined);
    if (found !== undefined) {
      return found.route.handler(req, res, { ...context, params: found.params });
    }
    if (candidates.length === 0) return plain(res, 404, 'Not Found\n');
    const allowed = new Set(candidates.map((c) => c.route.method));
    if (allowed.has('GET')) allowed.add('HEAD');
    res.setHeader('allow', [...allowed].sort().join(', '));
    return plain(res, 405, 'Method Not Allowed\n');
  }
}

function parsePattern(pattern: string): Segment[] {
  if (typeof pattern !== 'string' || !pattern.startsWith('/')) {
    throw new KeelError(
      'E_INVALID_OPTION',
      `Router: a path pattern must start with '/', got ${JSON.stringify(pattern) ?? String(pattern)}.`,
      { details: { option: 'pattern', value: pattern } },
    );
  }
  const seen = new Set<string>();
  return pattern
    .split('/')
    .slice(1)
    .map((part) => {
      if (!part.startsWith(':')) return { literal: part };
      const param = part.slice(1);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(param) || seen.has(param)) {
        throw new KeelError(
          'E_INVALID_OPTION',
          `Router: pattern ${pattern} has a bad or repeated parameter ":${param}". Use unique names like :id.`,
          { details: { option: 'pattern', value: pattern } },
        );
      }
      seen.add(param);
      return { param };
    });
}

/**
 * The route's parameters; `undefined` when the path does not match, `null` when it matches
 * but a parameter is not valid percent-encoding.
 */
function match(
  segments: readonly Segment[],
  parts: readonly string[],
): Record<string, string> | undefined | null {
  if (segments.length !== parts.length) return undefined;
  const raw: Array<[string, string]> = [];
  for (const [i, segment] of segments.entries()) {
    const part = parts[i]!;
    if ('literal' in segment) {
      if (segment.literal !== part) return undefined;
    } else {
      if (part === '') return undefined;
      raw.push([segment.param, part]);
    }
  }
  try {
    return Object.fromEntries(raw.map(([name, value]) => [name, decodeURIComponent(value)]));
  } catch {
    return null;
  }
}

function plain(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(body);
}
