import { request, type Agent, type IncomingHttpHeaders } from 'node:http';

/** A complete response, as a client saw it. */
export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Options of {@link fetchText}. */
export interface FetchOptions {
  method?: string;
  /** A keep-alive agent to reuse connections; default: a fresh connection, closed after. */
  agent?: Agent;
  /** Aborting it destroys the request (the client goes away). */
  signal?: AbortSignal;
}

/**
 * Sends a request with `node:http` and reads the whole body. Rejects when the connection
 * fails or is cut before the response is complete (`code` tells which).
 */
export function fetchText(url: string, options: FetchOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: options.method ?? 'GET',
      agent: options.agent ?? false,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('error', reject);
      res.on('aborted', () =>
        reject(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })),
      );
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.end();
  });
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<NodeJS.ErrnoException> {
  try {
    await promise;
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
  throw new Error('expected the promise to reject, but it resolved');
}
