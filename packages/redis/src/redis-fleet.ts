import type { FleetHost, FleetProvider } from '@keel/core';
import {
  resolveOptions,
  type RedisFleetOptions,
  type ResolvedRedisFleetOptions,
} from './options.js';
import { RedisFleetConnection } from './redis-fleet-connection.js';

/** The provider `redisFleet()` returns: a {@link FleetProvider} with its settings readable. */
export interface RedisFleetProvider extends FleetProvider {
  readonly kind: 'redis';
  /** The lease TTL in ms (option `leaseTtl`, default 10 s); the kernel renews every third of it. */
  readonly leaseTtlMs: number;
  /** This replica's id (option `replicaId`, or generated once per provider). */
  readonly replicaId: string;
  /** The validated options, with defaults. */
  readonly options: ResolvedRedisFleetOptions;
  connect(host: FleetHost, signal: AbortSignal): Promise<RedisFleetConnection>;
}

/**
 * A fleet on Redis: replicas by heartbeat keys, singleton leases with fencing tokens, fleet
 * events on Streams. Each call returns a fresh provider for one kernel. Options are
 * validated here, at once (`E_INVALID_OPTION` naming the option).
 * @example
 * const kernel = Kernel.create({
 *   modules: [Billing],
 *   fleet: redisFleet({ url: 'redis://127.0.0.1:6379', service: 'billing', leaseTtl: '10s' }),
 * });
 */
export function redisFleet(options: RedisFleetOptions): RedisFleetProvider {
  const resolved = resolveOptions(options);
  return Object.freeze({
    kind: 'redis' as const,
    leaseTtlMs: resolved.leaseTtlMs,
    replicaId: resolved.replicaId,
    options: resolved,
    connect: (host: FleetHost, signal: AbortSignal) =>
      RedisFleetConnection.open(resolved, host, signal),
  });
}
