import type { Redis } from 'ioredis';

// Server time in ms: heartbeat expiry is judged on Redis's clock, not on any replica's.
const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * KEYS: lease, fence. ARGV: ttlMs, replicaId, floor (highest token this replica has seen).
 * Takes the lease if free; the token is INCR of the fence, raised above `floor` so tokens
 * keep increasing even when a Redis without persistence lost the counter.
 */
const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = redis.call('INCR', KEYS[2])
local floor = tonumber(ARGV[3])
if token <= floor then token = floor + 1 redis.call('SET', KEYS[2], token) end
redis.call('SET', KEYS[1], token .. ':' .. ARGV[2], 'PX', ARGV[1])
return token`;

/** KEYS: lease. ARGV: holder value, ttlMs. 1 if still held by the holder and extended. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

/** KEYS: lease. ARGV: holder value. Deletes only the holder's own lease. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * KEYS: heartbeat, index. ARGV: json, ttlMs, replicaId, heartbeat key prefix.
 * Writes the heartbeat, indexes it by expiry, prunes expired members and returns the live
 * replicas as [serverNowMs, id, json, id, json, …] — one round trip for heartbeat and refresh.
 */
const HEARTBEAT = `
${NOW}
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
redis.call('ZADD', KEYS[2], now + ttl, ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local ids = redis.call('ZRANGE', KEYS[2], 0, -1)
local out = { tostring(now) }
for _, id in ipairs(ids) do
  local v = redis.call('GET', ARGV[4] .. id)
  if v then out[#out + 1] = id out[#out + 1] = v end
end
return out`;

/** KEYS: index. ARGV: heartbeat key prefix. The live replicas, as HEARTBEAT returns them. */
const REPLICAS = `
${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local out = {}
for _, id in ipairs(ids) do
  local v = redis.call('GET', ARGV[1] .. id)
  if v then out[#out + 1] = id out[#out + 1] = v end
end
return out`;

/** KEYS: heartbeat, index. ARGV: replicaId. Leaves the fleet at once (graceful close). */
const LEAVE = `
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1`;

/** The scripts' commands on a client (ioredis `defineCommand`: EVALSHA, EVAL on NOSCRIPT). */
export interface FleetScripts {
  keelAcquire(
    lease: string,
    fence: string,
    ttlMs: number,
    replicaId: string,
    floor: number,
  ): Promise<number | null>;
  keelRenew(lease: string, holder: string, ttlMs: number): Promise<number>;
  keelRelease(lease: string, holder: string): Promise<number>;
  keelHeartbeat(
    key: string,
    index: string,
    json: string,
    ttlMs: number,
    replicaId: string,
    prefix: string,
  ): Promise<string[]>;
  keelReplicas(index: string, prefix: string): Promise<string[]>;
  keelLeave(key: string, index: string, replicaId: string): Promise<number>;
}

/** Defines the fleet scripts on `client` and returns it typed with them. */
export function defineScripts(client: Redis): Redis & FleetScripts {
  client.defineCommand('keelAcquire', { numberOfKeys: 2, lua: ACQUIRE });
  client.defineCommand('keelRenew', { numberOfKeys: 1, lua: RENEW });
  client.defineCommand('keelRelease', { numberOfKeys: 1, lua: RELEASE });
  client.defineCommand('keelHeartbeat', { numberOfKeys: 2, lua: HEARTBEAT });
  client.defineCommand('keelReplicas', { numberOfKeys: 1, lua: REPLICAS });
  client.defineCommand('keelLeave', { numberOfKeys: 2, lua: LEAVE });
  return client as Redis & FleetScripts;
}
