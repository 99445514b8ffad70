import { systemClock } from '@keel/core';
import { startRedisServer, type RedisServer } from '@keel/testing';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { redisFleet } from '@keel/redis';
import { MISSING, READY, ReplicaSet } from './support/replicas.js';

// What an idle replica costs Redis, from INFO commandstats deltas (real time, a few seconds).
let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
  if (!READY) throw new Error(MISSING);
  server = await startRedisServer();
  admin = new Redis(server.url);
});

afterAll(async () => {
  admin?.disconnect();
  await server?.stop();
});

// Commands our Lua scripts call inside Redis: INFO counts them too, but they are no round trips.
const INSIDE_SCRIPTS = new Set([
  'set',
  'get',
  'exists',
  'incr',
  'pexpire',
  'del',
  'zadd',
  'zrem',
  'zrange',
  'zremrangebyscore',
  'time',
]);

/** Calls so far (INFO itself left out): all commands executed, and client round trips. */
async function calls(): Promise<{ executed: number; roundTrips: number }> {
  const info = await admin.info('commandstats');
  let executed = 0;
  let roundTrips = 0;
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (m[1] === 'info') continue;
    executed += Number(m[2]);
    if (!INSIDE_SCRIPTS.has(m[1]!)) roundTrips += Number(m[2]);
  }
  return { executed, roundTrips };
}

/** Waits `ms` of real time in 20 ms steps (a measurement window, bounded). */
async function during(ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}

async function joined(service: string, n: number): Promise<void> {
  const deadline = Date.now() + 30_000; // booting node takes seconds on a loaded machine
  while (Date.now() < deadline) {
    if ((await admin.zcard(`keel:${service}:replicas`)) === n) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${n} replicas did not join within 30 s`);
}

describe('idle cost on Redis', () => {
  it('a leader and a standby replica (one singleton, ttl 3 s) issue a few commands per second', async () => {
    const set = new ReplicaSet({ url: server.url, service: 'idle', leaseTtlMs: 3_000 });
    try {
      set.spawn('leader', { WRITE_EVERY_MS: '0' });
      set.spawn('standby', { WRITE_EVERY_MS: '0' });
      await joined('idle', 2);
      const before = await calls();
      const windowMs = 6_000;
      await during(windowMs);
      const after = await calls();
      const perSecond = (n: number): number => n / 2 / (windowMs / 1000);
      const roundTrips = perSecond(after.roundTrips - before.roundTrips);
      const executed = perSecond(after.executed - before.executed);
      process.stdout.write(
        `idle replica, ttl 3 s (tick every 1 s), 2 replicas: ${roundTrips.toFixed(2)} round trips/s, ` +
          `${executed.toFixed(2)} commands executed/s (Lua-internal included) per replica\n`,
      );
      // Per tick: the heartbeat (it answers with the live replicas, so no replicas() call)
      // and a renew or acquire = 2 EVALSHA per second.
      expect(roundTrips).toBeGreaterThan(1.5);
      expect(roundTrips).toBeLessThanOrEqual(2.5);
      expect(executed).toBeLessThanOrEqual(12);
    } finally {
      await set.killAll();
    }
  }, 30_000);

  it("an idle 'one' and an idle 'all' subscription cost about one read per blockMs each", async () => {
    const provider = redisFleet({ url: server.url, service: 'subs', replicaId: 'a' });
    const connection = await provider.connect(
      {
        clock: systemClock,
        logger: pino({ level: 'silent' }),
        connectionChanged: () => undefined,
        report: () => undefined,
      },
      new AbortController().signal,
    );
    try {
      const spec = { topic: 'm.e', maxDeliveries: 5, minIdleMs: 30_000 };
      connection.subscribe({ ...spec, hookId: 'one', mode: 'one' }, async () => undefined);
      connection.subscribe({ ...spec, hookId: 'all', mode: 'all' }, async () => undefined);
      await during(500); // groups created, first claims done
      const before = await calls();
      const windowMs = 6_000;
      await during(windowMs);
      const rate = ((await calls()).roundTrips - before.roundTrips) / 2 / (windowMs / 1000);
      process.stdout.write(
        `idle fleet hook (blockMs 2 s, minIdle 30 s): ${rate.toFixed(2)} Redis commands/s per hook\n`,
      );
      // One XREADGROUP per 2 s, plus a claim turn (XAUTOCLAIM, MULTI XPENDING XLEN EXEC) per 5 s.
      expect(rate).toBeLessThanOrEqual(1.5);
    } finally {
      await connection.close();
    }
  }, 30_000);
});
