import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** A finished response. */
export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

/** Options of {@link send}. */
export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body in chunks without a content-length. */
  chunked?: boolean;
}

/**
 * One request on its own connection (no agent: no pooled keep-alive socket outlives the
 * test). Relative paths resolve against `base`.
 */
export function send(base: string, path: string, options: SendOptions = {}): Promise<Reply> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: <T>() => JSON.parse(text) as T,
          });
        });
        res.on('error', reject);
      },
    );
    // The server may answer (413) and close before the whole body is written.
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
    });
    if (options.body === undefined) {
      req.end();
    } else if (options.chunked) {
      const body = Buffer.from(options.body);
      for (let i = 0; i < body.length; i += 256) req.write(body.subarray(i, i + 256));
      req.end();
    } else {
      req.end(options.body);
    }
  });
}

/** A message received on an event stream. */
export interface StreamMessage {
  event: string;
  data: unknown;
  raw: string;
}

/** An open `/api/stream` connection. */
export interface Stream {
  status: number;
  headers: IncomingHttpHeaders;
  messages: StreamMessage[];
  /** Every byte received so far, as text. */
  readonly raw: string;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  /** Resolves with the first message (seen or future) matching; rejects after `ms`. */
  waitFor(match: (m: StreamMessage) => boolean, ms?: number): Promise<StreamMessage>;
  close(): void;
}

/** Opens an SSE stream and parses its messages as they arrive. */
export function openStream(base: string, path = '/api/stream'): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, base), { agent: false }, (res) => {
      const messages: StreamMessage[] = [];
      const wakers = new Set<() => void>();
      let raw = '';
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        pending += chunk;
        let end: number;
        while ((end = pending.indexOf('\n\n')) !== -1) {
          const frame = pending.slice(0, end);
          pending = pending.slice(end + 2);
          const message = parseFrame(frame);
          if (message !== undefined) messages.push(message);
        }
        for (const wake of wakers) wake();
      });
      const ended = new Promise<void>((done) => {
        res.on('end', done);
        res.on('close', done);
      });
      res.on('error', () => undefined);
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        messages,
        get raw() {
          return raw;
        },
        ended,
        waitFor(match, ms = 5000) {
          return new Promise((found, fail) => {
            const check = (): boolean => {
              const hit = messages.find(match);
              if (hit === undefined) return false;
              cleanup();
              found(hit);
              return true;
            };
            const timer = setTimeout(() => {
              cleanup();
              fail(new Error(`no matching stream message within ${ms} ms; got:\n${raw}`));
            }, ms);
            const cleanup = (): void => {
              clearTimeout(timer);
              wakers.delete(wake);
            };
            const wake = (): void => void check();
            if (!check()) wakers.add(wake);
          });
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function parseFrame(frame: string): StreamMessage | undefined {
  let event = 'message';
  const data: string[] = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  if (data.length === 0) return undefined;
  const text = data.join('\n');
  return { event, data: JSON.parse(text) as unknown, raw: frame };
}
