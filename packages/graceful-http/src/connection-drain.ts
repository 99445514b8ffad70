import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';

type Phase = 'serving' | 'draining' | 'forced';

/**
 * The graceful close of one listening server: stop accepting, close idle keep-alive
 * connections, ask busy ones to close after their response, and after the drain timeout
 * close whatever is left by force.
 *
 * Node's `server.close()` alone is not enough: it only stops accepting, and `close` waits
 * for every connection. A keep-alive connection whose response started before the drain
 * stays open until its `keepAliveTimeout`, and one that never sent a request (a browser's
 * or fetch's pre-connect) is not "idle" to `closeIdleConnections()` and stays until
 * `headersTimeout`.
 */
export class ConnectionDrain {
  /** Resolves once the server has closed: it no longer listens and every connection ended. */
  readonly closed: Promise<void>;
  private phase: Phase = 'serving';
  private timer: NodeJS.Timeout | undefined;
  /** Open responses, each with the function that releases its request when forced. */
  private readonly open = new Map<ServerResponse, () => void>();
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly server: Server,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.closed = new Promise((resolve) => {
      server.once('close', () => {
        this.clearTimer();
        resolve();
      });
    });
  }

  /** True once the drain began: new connections are refused. */
  get draining(): boolean {
    return this.phase !== 'serving';
  }

  /**
   * Tracks a response from its request's arrival. The returned promise resolves if the
   * drain times out while the response is still open: whoever waits for that request must
   * stop waiting then, as its connection was closed by force.
   */
  track(res: ServerResponse): Promise<void> {
    if (this.phase === 'forced') return Promise.resolve();
    if (this.draining) askToClose(res);
    const released = new Promise<void>((release) => this.open.set(res, release));
    res.once('close', () => {
      this.open.delete(res);
      // Its keep-alive connection just went idle: close it now, not after keepAliveTimeout.
      if (this.draining) this.server.closeIdleConnections();
    });
    return released;
  }

  /** Begins the drain; idempotent. */
  begin(): void {
    if (this.phase !== 'serving') return;
    this.phase = 'draining';
    this.logger.info(
      { inFlight: this.open.size, drainTimeoutMs: this.timeoutMs },
      'draining connections',
    );
    this.server.close();
    this.server.closeIdleConnections();
    // Connections that have not sent a byte carry no request: closing them loses nothing.
    for (const socket of this.sockets) if (socket.bytesRead === 0) socket.destroy();
    for (const res of this.open.keys()) askToClose(res);
    // Armed even with nothing in flight: a connection that was mid-request may still bring one.
    this.timer = setTimeout(() => this.force(), this.timeoutMs);
    // The server's sockets keep the process alive while they matter; this timer must not.
    this.timer.unref();
  }

  /** Closes every remaining connection now and releases the requests waited for. */
  force(): void {
    this.begin();
    if (this.phase === 'forced') return;
    this.phase = 'forced';
    this.clearTimer();
    if (this.open.size > 0) {
      this.logger.warn(
        { inFlight: this.open.size, drainTimeoutMs: this.timeoutMs },
        'drain timeout: closing the remaining connections by force',
      );
    }
    const releases = [...this.open.values()];
    this.open.clear();
    this.server.closeAllConnections();
    // Also those Node does not list as HTTP connections yet (no complete request so far).
    for (const socket of this.sockets) socket.destroy();
    for (const release of releases) release();
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** Makes the connection close once this response is sent (when its headers are not out yet). */
function askToClose(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('connection', 'close');
}
