import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { KeelError, toMs, type Duration } from '@keel/core';

/** Options of {@link redisFleet}. */
export interface RedisFleetOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS). */
  readonly url: string;
  /** The service name: replicas of one service see each other and share leases and events. */
  readonly service: string;
  /** The first segment of every key; default `'keel'`. */
  readonly prefix?: string;
  /** Lease time-to-live of singleton modules; default `'10s'`. Read by the kernel too. */
  readonly leaseTtl?: Duration;
  /** This replica's id; default `<hostname>-<pid>-<random>`. Read by the kernel too. */
  readonly replicaId?: string;
  /** How long `connect()` waits for Redis; default `'5s'`. */
  readonly connectTimeout?: Duration;
  /** How long a non-blocking command waits for its reply; default `'2s'`. */
  readonly commandTimeout?: Duration;
  /** Approximate cap (`MAXLEN ~`) of each event stream; default 10 000 entries. */
  readonly eventsMaxLen?: number;
  /** How long one stream read blocks on the server; default `'2s'` (bounds close and watchdog). */
  readonly blockMs?: Duration;
}

/** {@link RedisFleetOptions} validated, with defaults, in milliseconds. */
export interface ResolvedRedisFleetOptions {
  readonly url: string;
  readonly service: string;
  readonly prefix: string;
  readonly leaseTtlMs: number;
  readonly replicaId: string;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly eventsMaxLen: number;
  readonly blockMs: number;
}

const KNOWN = new Set([
  'url',
  'service',
  'prefix',
  'leaseTtl',
  'replicaId',
  'connectTimeout',
  'commandTimeout',
  'eventsMaxLen',
  'blockMs',
]);
const NAME = /^[A-Za-z0-9][\w.-]*$/;
const PREFIX = /^[A-Za-z0-9][\w.:-]*$/;
const REPLICA_ID = /^[^\s]+$/;

function invalid(option: string, message: string, cause?: unknown): KeelError {
  return new KeelError('E_INVALID_OPTION', `redisFleet option ${option}: ${message}`, {
    details: { option },
    cause,
  });
}

function duration(
  options: RedisFleetOptions,
  option: 'leaseTtl' | 'connectTimeout' | 'commandTimeout' | 'blockMs',
  fallback: number,
  min: number,
  max: number,
): number {
  const value: Duration | undefined = options[option];
  if (value === undefined) return fallback;
  let ms: number;
  try {
    ms = toMs(value, `redisFleet option ${option}`);
  } catch (error) {
    throw invalid(
      option,
      `${JSON.stringify(value) ?? String(value)} is not a duration; use milliseconds or a string like "10s".`,
      error,
    );
  }
  if (ms < min || ms > max) {
    throw invalid(option, `${ms} ms is out of range; use ${min} ms to ${max} ms.`);
  }
  return Math.round(ms);
}

function name(value: unknown, option: string, pattern: RegExp, hint: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw invalid(option, `${JSON.stringify(value) ?? String(value)} is not valid; ${hint}`);
  }
  return value;
}

/** A default replica id: host name, pid and a random suffix (unique across restarts). */
export function defaultReplicaId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/**
 * Validates `redisFleet()` options once, at the call, naming the first bad option.
 * @throws KeelError `E_INVALID_OPTION`
 */
export function resolveOptions(options: RedisFleetOptions): ResolvedRedisFleetOptions {
  if (typeof options !== 'object' || options === null) {
    throw new KeelError(
      'E_INVALID_OPTION',
      'redisFleet(options): options must be an object like { url, service }.',
      { details: { option: 'options' } },
    );
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) {
      throw invalid(key, `unknown option; known options are ${[...KNOWN].join(', ')}.`);
    }
  }
  const url = options.url;
  if (typeof url !== 'string') throw invalid('url', 'give a string like "redis://127.0.0.1:6379".');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    // Not echoed: a malformed URL may still hold a password.
    throw invalid('url', 'is not a URL; use "redis://[user:password@]host:port[/db]".', error);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw invalid('url', `protocol "${parsed.protocol}" is not supported; use redis: or rediss:.`);
  }
  const eventsMaxLen = options.eventsMaxLen ?? 10_000;
  if (!Number.isInteger(eventsMaxLen) || eventsMaxLen < 1) {
    throw invalid('eventsMaxLen', `${String(eventsMaxLen)} is not a positive integer.`);
  }
  return {
    url,
    service: name(options.service, 'service', NAME, 'use letters, digits, ".", "_" or "-".'),
    prefix: name(
      options.prefix ?? 'keel',
      'prefix',
      PREFIX,
      'use letters, digits, ".", "_", ":" or "-".',
    ),
    leaseTtlMs: duration(options, 'leaseTtl', 10_000, 100, 86_400_000),
    replicaId:
      options.replicaId === undefined
        ? defaultReplicaId()
        : name(
            options.replicaId,
            'replicaId',
            REPLICA_ID,
            'use a non-empty string without spaces.',
          ),
    connectTimeoutMs: duration(options, 'connectTimeout', 5_000, 1, 600_000),
    commandTimeoutMs: duration(options, 'commandTimeout', 2_000, 1, 600_000),
    eventsMaxLen,
    blockMs: duration(options, 'blockMs', 2_000, 10, 60_000),
  };
}

/** `url` with its password replaced by `***`, for messages and logs. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '<unparseable url>';
  }
}
