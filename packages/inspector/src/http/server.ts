import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How long `close()` lets in-flight requests finish before cutting every connection. */
export const CLOSE_GRACE_MS = 1000;

/**
 * A `node:http` server with a quick, bounded close: idle keep-alive connections are closed
 * at once, busy ones get a grace period, then everything is cut.
 */
export class HttpServer {
  private readonly server: Server;
  private closing: Promise<void> | undefined;

  constructor(listener: (req: IncomingMessage, res: ServerResponse) => void) {
    this.server = createServer(listener);
    // Slow or stuck clients must not hold sockets open forever (slowloris).
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
    this.server.keepAliveTimeout = 5_000;
  }

  /** Listens; resolves with the bound address (the real port when asked for 0). */
  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen({ host, port, exclusive: true }, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Whether the server accepts connections. */
  get listening(): boolean {
    return this.server.listening;
  }

  /** Stops accepting, closes idle connections, and cuts the rest after `graceMs`. Idempotent. */
  close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (!this.server.listening) {
        resolve();
        return;
      }
      // Network time, not kernel time: a socket does not wait for a fake test clock.
      const cut = setTimeout(() => this.server.closeAllConnections(), graceMs);
      cut.unref();
      this.server.close(() => {
        clearTimeout(cut);
        resolve();
      });
      this.server.closeIdleConnections();
    });
    return this.closing;
  }
}
