import type { Redis } from 'ioredis';

/** What ioredis 5 itself does when a connection ends (`disconnect()`, `close()` in its event handler). */
interface ClientInternals {
  manuallyClosing?: boolean;
  reconnectTimeout?: ReturnType<typeof setTimeout> | null;
  flushQueue?: (error: Error) => void;
  setStatus?: (status: string) => void;
}

/**
 * Ends `client` now and rejects every command still waiting on it with `reason`.
 *
 * ioredis 5 ends a client on `disconnect()` by its socket's `close` event. A client between
 * two reconnect attempts (status `reconnecting`, Redis down) has no socket: `disconnect()`
 * only cancels the next attempt, no `close` follows, the commands in its offline queue (a
 * blocking reader's bookkeeping written during an outage) wait forever, and with them whoever
 * awaits them; it also arms a 2 s timer to destroy the socket that is already gone. For that
 * client this does what ioredis's own disconnect and close do, minus the socket: no more
 * reconnects, status `end` (which emits `end`), the queues flushed with an error.
 */
export function abandon(client: Redis, reason: string): void {
  // Ended already: disconnect() again would only arm that timer for a socket long gone.
  if (client.status === 'end') return;
  const internals = client as unknown as ClientInternals;
  if (
    client.status !== 'reconnecting' ||
    typeof internals.setStatus !== 'function' ||
    typeof internals.flushQueue !== 'function'
  ) {
    // A live socket (or internals of another ioredis version): its close ends the client.
    client.disconnect();
    return;
  }
  internals.manuallyClosing = true;
  if (internals.reconnectTimeout) clearTimeout(internals.reconnectTimeout);
  internals.reconnectTimeout = null;
  internals.setStatus.call(client, 'end');
  internals.flushQueue.call(client, new Error(reason));
}
