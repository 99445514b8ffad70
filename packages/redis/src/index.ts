export { redisFleet } from './redis-fleet.js';
export type { RedisFleetProvider } from './redis-fleet.js';
export { RedisFleetConnection } from './redis-fleet-connection.js';
export type { RedisFleetReplica } from './redis-fleet-connection.js';
export { maskUrl } from './options.js';
export type { RedisFleetOptions, ResolvedRedisFleetOptions } from './options.js';
export { ioredisOptions, reconnectDelay } from './redis-options.js';
export type { ClientKind } from './redis-options.js';
export { FleetKeys } from './keys.js';
