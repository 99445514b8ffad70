import type { IncomingMessage, ServerResponse } from 'node:http';
import { TextDecoder } from 'node:util';
import { KeelError } from '@keel/core';

/** The largest request body `ctx.json()`, `ctx.text()` and `ctx.bytes()` read by default: 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1_048_576;

/** Why a request body was refused, and the status it is answered with. */
export type RequestBodyProblem = 'too-large' | 'unsupported-media-type' | 'malformed';

const STATUS: Readonly<Record<RequestBodyProblem, 400 | 413 | 415>> = {
  'too-large': 413,
  'unsupported-media-type': 415,
  malformed: 400,
};

/**
 * A request body the client got wrong: larger than the limit (413), not of the type asked
 * for (415), or not valid JSON or text (400). A handler may catch it to answer in its own
 * format; uncaught, the server answers `status` with the message as plain text, and it is
 * not reported as a module error: the client is at fault, not the service.
 */
export class RequestBodyError extends Error {
  override readonly name = 'RequestBodyError';
  /** The HTTP status to answer with. */
  readonly status: 400 | 413 | 415;

  constructor(
    readonly problem: RequestBodyProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = STATUS[problem];
  }
}

/** What a handler's `ctx` offers for the body; {@link RequestContext} has these methods. */
export interface RequestBody {
  /**
   * The body parsed as JSON. A request with a `Content-Type` must say `application/json`
   * (or a `+json` type such as `application/merge-patch+json`), else 415 before a byte is
   * read; one without is read as JSON (simple clients send none). An empty or malformed
   * body is a 400; one over `limit` bytes (default: the server's `bodyLimit`, 1 MiB) a 413.
   * @throws KeelError `E_INVALID_OPTION` (synchronously) for a `limit` that is not a whole
   * number of bytes, 0 or more.
   */
  json<T = unknown>(limit?: number): Promise<T>;
  /** The body as text, in the charset of its `Content-Type` (UTF-8 by default). */
  text(limit?: number): Promise<string>;
  /** The body as bytes, whatever its type. */
  bytes(limit?: number): Promise<Buffer>;
}

/**
 * Reads one request's body, once: later calls reuse what the first read (each checked
 * against its own limit). It stops reading at the limit and marks the response to close
 * its connection, so the rest of an oversized body is never buffered and the connection is
 * not reused with part of a body still unread.
 */
export class BodyReader implements RequestBody {
  private read: Promise<Buffer> | undefined;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly signal: AbortSignal,
    private readonly defaultLimit: number,
  ) {}

  bytes(limit?: number): Promise<Buffer> {
    const max = checkLimit(limit, this.defaultLimit, 'bytes');
    if (this.read === undefined) {
      this.read = this.readAll(max);
      return this.read;
    }
    return this.read.then((body) => {
      if (body.length > max) throw this.tooLarge(max);
      return body;
    });
  }

  text(limit?: number): Promise<string> {
    const max = checkLimit(limit, this.defaultLimit, 'text');
    const charset = mediaType(this.req).charset ?? 'utf-8';
    let decoder: TextDecoder;
    try {
      decoder = new TextDecoder(charset, { fatal: true });
    } catch {
      return Promise.reject(
        this.refused(
          'unsupported-media-type',
          `Unsupported Media Type: charset "${charset}" is not one this server reads`,
        ),
      );
    }
    return this.bytes(max).then((body) => {
      try {
        return decoder.decode(body);
      } catch (err) {
        throw new RequestBodyError(
          'malformed',
          `Bad Request: the body is not valid ${charset} text`,
          { cause: err },
        );
      }
    });
  }

  json<T = unknown>(limit?: number): Promise<T> {
    const max = checkLimit(limit, this.defaultLimit, 'json');
    const { type } = mediaType(this.req);
    // A form or text sent to a JSON endpoint is a client mistake worth naming; no type at
    // all is what curl-less scripts and `http.request` send, and JSON is what they meant.
    if (
      type !== undefined &&
      type !== 'application/json' &&
      !/^application\/[^/]+\+json$/.test(type)
    ) {
      return Promise.reject(
        this.refused(
          'unsupported-media-type',
          `Unsupported Media Type: expected Content-Type application/json, got ${type}`,
        ),
      );
    }
    return this.bytes(max).then((body) => {
      // JSON is UTF-8 (RFC 8259); a BOM is dropped.
      const text = new TextDecoder('utf-8').decode(body);
      if (text.trim() === '') {
        throw new RequestBodyError('malformed', 'Bad Request: the body is empty, not JSON');
      }
      try {
        return JSON.parse(text) as T;
      } catch (err) {
        throw new RequestBodyError(
          'malformed',
          `Bad Request: the body is not valid JSON (${(err as Error).message})`,
          { cause: err },
        );
      }
    });
  }

  private readAll(limit: number): Promise<Buffer> {
    const { req, signal } = this;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      // Refused before a byte is read.
      return Promise.reject(this.tooLarge(limit));
    }
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    if (req.readableEnded) {
      return Promise.reject(
        new Error('The request body was read already, not through ctx.json/text/bytes.'),
      );
    }
    return new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (): void => {
        req.off('data', onData);
        req.off('end', onEnd);
        req.off('error', onClosed);
        req.off('close', onClosed);
        signal.removeEventListener('abort', onAbort);
      };
      const onData = (chunk: Buffer): void => {
        size += chunk.length;
        if (size > limit) {
          done();
          // Stop reading here: the rest is never buffered; the connection closes after the 413.
          req.pause();
          chunks.length = 0;
          reject(this.tooLarge(limit));
          return;
        }
        chunks.push(chunk);
      };
      const onEnd = (): void => {
        done();
        resolve(Buffer.concat(chunks, size));
      };
      const onAbort = (): void => {
        done();
        reject(signal.reason as Error);
      };
      // The client went away mid-body (the request signal aborts too).
      const onClosed = (): void => {
        if (req.readableEnded) return;
        done();
        reject(signal.aborted ? (signal.reason as Error) : new RequestBodyClosed());
      };
      req.on('data', onData);
      req.once('end', onEnd);
      req.once('error', onClosed);
      req.once('close', onClosed);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private tooLarge(limit: number): RequestBodyError {
    return this.refused(
      'too-large',
      `Payload Too Large: the request body is larger than ${limit} bytes`,
    );
  }

  /** A refusal before or while the body is read: the rest of it will not be read. */
  private refused(problem: RequestBodyProblem, message: string): RequestBodyError {
    if (!this.res.headersSent) this.res.setHeader('connection', 'close');
    return new RequestBodyError(problem, message);
  }
}

/** Why a body read ends early: the connection closed before the body was complete. */
class RequestBodyClosed extends Error {
  override readonly name = 'AbortError';
  constructor() {
    super('The connection closed before the request body was complete.');
  }
}

/**
 * A body limit: the per-call one, else the default. Thrown, not rejected: a bad limit is
 * the handler's bug, not the client's.
 */
export function checkLimit(limit: unknown, fallback: number, method: string): number {
  if (limit === undefined) return fallback;
  if (typeof limit === 'number' && Number.isSafeInteger(limit) && limit >= 0) return limit;
  throw new KeelError(
    'E_INVALID_OPTION',
    `ctx.${method}(limit): limit is ${show(limit)}; use a whole number of bytes, 0 or more ` +
      `(default ${fallback}).`,
    { details: { option: 'limit', value: limit } },
  );
}

/** A value for a message; never throws (an object's own toString might). */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
    return String(value);
  }
  return typeof value === 'function' ? 'a function' : 'an object';
}

/** The media type (lower case, without parameters) and charset of the request. */
function mediaType(req: IncomingMessage): { type?: string; charset?: string } {
  const header = req.headers['content-type'];
  if (header === undefined || header.trim() === '') return {};
  const [type = '', ...params] = header.split(';');
  let charset: string | undefined;
  for (const param of params) {
    const [key, value] = param.split('=');
    if (key?.trim().toLowerCase() === 'charset' && value !== undefined) {
      charset = value.trim().replace(/^"|"$/g, '');
    }
  }
  return { type: type.trim().toLowerCase(), ...(charset === undefined ? {} : { charset }) };
}
