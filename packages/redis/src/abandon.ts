import type { Redis } from 'ioredis';

/** What ioredis 5 does itself when a connection ends (`close()` in its event handler). */
interface ClientInternals {
  flushQueue?: (error: Error) => void;
  setStatus?: (status: string) => void;
}

/**
 * `client.disconnect()`, then rejects every command still waiting on it with `reason`.
 *
 * ioredis 5 ends a client on `disconnect()` by its socket's `close` event. A client between
 * two reconnect attempts (status `reconnecting`, Redis down) has no socket: `disconnect()`
 * only cancels the next attempt, no `close` follows, and the commands in its offline queue
 * (a blocking reader's bookkeeping written during an outage) wait forever, and with them
 * whoever awaits them. For that client this does what ioredis's own close does: status
 * `end` (which emits `end`) and the queues flushed with an error.
 */
export function abandon(client: Redis, reason: string): void {
  client.disconnect();
  if (client.status !== 'reconnecting') return;
  const internals = client as unknown as ClientInternals;
  try {
    internals.setStatus?.call(client, 'end');
    internals.flushQueue?.call(client, new Error(reason));
  } catch {
    // Internals of another ioredis version: callers bound their waits on their own.
  }
}
