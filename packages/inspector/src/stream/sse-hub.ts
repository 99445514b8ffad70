import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, SECURITY_HEADERS } from '../http/respond.js';

/** Limits of a {@link SseHub}. */
export interface SseHubOptions {
  /** Streams open at once; more are refused with 503. Default 32. */
  maxClients?: number;
  /** A comment line this often keeps proxies and browsers from timing out. Default 15 s. */
  heartbeatMs?: number;
  /** A client that lets this many bytes pile up unread is dropped. Default 1 MiB. */
  maxBufferedBytes?: number;
}

/**
 * Server-Sent Events fan-out: every open `/api/stream` response gets each message once.
 * Serialises each message once, drops slow consumers instead of buffering without bound,
 * and ends every stream on `close()` so the server can stop quickly.
 */
export class SseHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly maxClients: number;
  private readonly heartbeatMs: number;
  private readonly maxBufferedBytes: number;
  private heartbeat: NodeJS.Timeout | undefined;
  private nextId = 1;
  private closed = false;

  constructor(options: SseHubOptions = {}) {
    this.maxClients = options.maxClients ?? 32;
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  }

  /** Open streams. */
  get size(): number {
    return this.clients.size;
  }

  /** Turns a response into an event stream (or refuses with 503 when full or closing). */
  open(req: IncomingMessage, res: ServerResponse): void {
    if (this.closed) throw new HttpError(503, 'The inspector is stopping.');
    if (this.clients.size >= this.maxClients) {
      throw new HttpError(503, `Too many open streams (at most ${this.maxClients}).`, {
        'retry-after': '5',
      });
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    res.write('retry: 2000\n\n');
    this.clients.add(res);
    res.once('close', () => this.remove(res));
    this.startHeartbeat();
  }

  /** Sends one event to every open stream. */
  send(event: string, data: unknown): void {
    if (this.clients.size === 0) return;
    const frame = `id: ${this.nextId++}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of this.clients) this.write(res, frame);
  }

  /** Ends every stream and refuses new ones. */
  close(): void {
    this.closed = true;
    for (const res of this.clients) res.end();
    this.clients.clear();
    this.stopHeartbeat();
  }

  private write(res: ServerResponse, frame: string): void {
    if (res.writableLength > this.maxBufferedBytes) {
      // A stalled reader: cut it rather than hold its backlog in memory.
      res.destroy();
      this.remove(res);
      return;
    }
    res.write(frame);
  }

  private remove(res: ServerResponse): void {
    this.clients.delete(res);
    if (this.clients.size === 0) this.stopHeartbeat();
  }

  private startHeartbeat(): void {
    if (this.heartbeat !== undefined) return;
    // Network keep-alive runs on wall time, independent of the kernel's (maybe fake) clock.
    this.heartbeat = setInterval(() => {
      for (const res of this.clients) this.write(res, ': keep-alive\n\n');
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat === undefined) return;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
