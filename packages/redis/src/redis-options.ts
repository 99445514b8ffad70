import type { RedisOptions } from 'ioredis';
import type { ResolvedRedisFleetOptions } from './options.js';

/** What a client is for: fail-fast commands, or blocking reads that wait out an outage. */
export type ClientKind = 'command' | 'blocking';

/** Reconnect delay after the n-th failed attempt: 50 ms doubling, capped at 1 s. */
export function reconnectDelay(attempt: number): number {
  return Math.min(25 * 2 ** Math.min(Math.max(attempt, 1), 10), 1_000);
}

/**
 * The ioredis options of one kind of client for `options.url`. Command clients fail fast
 * where a caller waits (no offline queue, a command timeout); blocking clients queue while
 * disconnected and never time a blocking read out themselves (`maxRetriesPerRequest: null`,
 * what BullMQ workers need too); both reconnect with capped backoff.
 */
export function ioredisOptions(options: ResolvedRedisFleetOptions, kind: ClientKind): RedisOptions {
  const url = new URL(options.url);
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  const base: RedisOptions = {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? 6379 : Number(url.port),
    db: Number.isInteger(db) ? db : 0,
    connectTimeout: options.connectTimeoutMs,
    retryStrategy: reconnectDelay,
    lazyConnect: true,
    connectionName: `keel:${options.service}:${options.replicaId}:${kind}`,
    ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  return kind === 'command'
    ? {
        ...base,
        enableOfflineQueue: false,
        commandTimeout: options.commandTimeoutMs,
        maxRetriesPerRequest: 1,
      }
    : { ...base, enableOfflineQueue: true, maxRetriesPerRequest: null };
}
