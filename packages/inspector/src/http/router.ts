import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './respond.js';

/** What a handler gets: the request, the response, the parsed URL and the path parameters. */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly params: Readonly<Record<string, string>>;
}

/** Serves one method of one route. */
export type Handler = (ctx: RequestContext) => Promise<void> | void;

/** A path pattern (`/api/modules/:name/enable`) and its handlers by method. */
export interface Route {
  readonly path: string;
  readonly GET?: Handler;
  readonly POST?: Handler;
}

/** A matched route. */
export interface Match {
  readonly handler: Handler;
  readonly params: Record<string, string>;
}

/**
 * A small exact-segment router: unknown path 404, known path with another method 405
 * (with `Allow`). `HEAD` is served by the `GET` handler (Node drops the body).
 */
export class Router {
  private readonly routes: ReadonlyArray<{ route: Route; segments: string[] }>;

  constructor(routes: readonly Route[]) {
    this.routes = routes.map((route) => ({ route, segments: split(route.path) }));
  }

  /** The handler for a request, or an `HttpError` 404/405/400. */
  match(method: string, pathname: string): Match {
    const segments = split(pathname);
    for (const { route, segments: pattern } of this.routes) {
      const params = matchSegments(pattern, segments);
      if (params === undefined) continue;
      const handler = method === 'HEAD' ? route.GET : route[method as 'GET' | 'POST'];
      if (handler === undefined) {
        const allow = allowed(route);
        throw new HttpError(405, `Method ${method} is not allowed on ${route.path}.`, {
          allow: allow.join(', '),
        });
      }
      return { handler, params };
    }
    throw new HttpError(404, `No such path: ${pathname}`);
  }
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function matchSegments(
  pattern: readonly string[],
  actual: readonly string[],
): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of pattern.entries()) {
    const value = actual[i]!;
    if (part.startsWith(':')) {
      params[part.slice(1)] = decode(value);
    } else if (part !== value) {
      return undefined;
    }
  }
  return params;
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new HttpError(400, `Malformed path segment: ${value}`);
  }
}

function allowed(route: Route): string[] {
  const methods: string[] = [];
  if (route.GET !== undefined) methods.push('GET', 'HEAD');
  if (route.POST !== undefined) methods.push('POST');
  return methods;
}
