import { startRedisServer, type RedisServer } from '@keel/testing';
import { Redis } from 'ioredis';
import { MISSING, READY, ReplicaSet, type Fact } from './support/replicas.js';

// Fleet events at kernel level: replicas are child processes running a real Kernel with
// redisFleet() (fixtures/replica.mjs with HOOK_MS set) on a private redis-server. Real time;
// every wait is bounded polling in 20 ms steps.
const MIN_IDLE_MS = 1_000;
/** The reader's claim turn: every minIdle / 2 (docs/redis.md). */
const CLAIM_EVERY_MS = MIN_IDLE_MS / 2;
/** Process scheduling and a few Redis round trips, on a loaded CI machine. */
const SLACK_MS = 1_500;
/** Booting node with the built packages takes seconds on a loaded machine. */
const BOOT_MS = 30_000;
const HOOK = 'catalog.changed->indexer.reindex';

let server: RedisServer;
let admin: Redis;
let replicas: ReplicaSet | undefined;
let run = 0;

beforeAll(async () => {
  if (!READY) throw new Error(MISSING);
  server = await startRedisServer();
  admin = new Redis(server.url);
});

afterEach(async () => {
  await replicas?.killAll();
  replicas = undefined;
});

afterAll(async () => {
  admin?.disconnect();
  await server?.stop();
});

function fleet(): ReplicaSet {
  run += 1;
  replicas = new ReplicaSet({ url: server.url, service: `events${run}`, leaseTtlMs: 1_000 });
  return replicas;
}

const fact =
  (fx: Fact['fx'], where: (f: Fact) => boolean = () => true) =>
  (facts: Fact[]): Fact | undefined =>
    facts.find((f) => f.fx === fx && where(f));

/** Entries of the hook's group not yet acknowledged. */
async function pending(service: string): Promise<number> {
  const [count] = (await admin.xpending(`keel:${service}:ev:catalog.changed`, HOOK)) as [number];
  return count;
}

describe("fleet events on Redis, replicas as processes: 'one'", () => {
  it(
    'a replica SIGKILLed while its hook runs: another runs the event to completion once, after minIdle',
    async () => {
      const set = fleet();
      const env = { MIN_IDLE_MS: String(MIN_IDLE_MS) };
      // r1 alone consumes, so the event is its own; its hook would take a minute.
      set.spawn('r1', { ...env, HOOK_MS: '60000', TRIGGER_EVENTS: '1' });
      const started = await set.waitFor(fact('hook-start'), BOOT_MS, 'r1 starting the hook');
      expect(started).toMatchObject({ replica: 'r1', n: 0 });
      set.spawn('r2', { ...env, HOOK_MS: '50' });
      await set.waitFor(
        fact('booted', (f) => f.replica === 'r2'),
        BOOT_MS,
        'r2 booted',
      );
      const r1 = set.get('r1');
      const killedAt = Date.now();
      r1.child.kill('SIGKILL');
      await r1.exited;
      const again = await set.waitFor(
        fact('hook-start', (f) => f.replica === 'r2'),
        BOOT_MS + MIN_IDLE_MS + CLAIM_EVERY_MS + SLACK_MS,
        'r2 taking the event over',
      );
      const done = await set.waitFor(
        fact('hook-done'),
        5_000,
        'the redelivered hook running to completion',
      );
      expect(again.n).toBe(0);
      expect(done).toMatchObject({ replica: 'r2', n: 0 });
      // Not before the entry had been idle for minIdle (it went idle when r1 read it).
      expect(again.at - started.at).toBeGreaterThanOrEqual(MIN_IDLE_MS - 50);
      process.stdout.write(
        `'one' redelivery after SIGKILL (minIdle ${MIN_IDLE_MS} ms): ` +
          `${again.at - killedAt} ms after the kill, ${again.at - started.at} ms after the first start\n`,
      );
      // Acknowledged on r2: nothing is left pending, and no further delivery comes.
      const deadline = Date.now() + 5_000;
      // Bounded: 5 s in 20 ms steps.
      while ((await pending(set.service)) !== 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await pending(set.service)).toBe(0);
      await new Promise((r) => setTimeout(r, MIN_IDLE_MS + CLAIM_EVERY_MS * 2));
      const hooks = set.all.filter((f) => f.fx === 'hook-start' || f.fx === 'hook-done');
      expect(hooks.map((f) => `${f.replica}:${f.fx}:${f.n}`)).toEqual([
        'r1:hook-start:0',
        'r2:hook-start:0',
        'r2:hook-done:0',
      ]);
    },
    BOOT_MS * 2 + 30_000,
  );

  it(
    'one consumer: the hook sees the events of one source in trigger order',
    async () => {
      const set = fleet();
      set.spawn('r1', { HOOK_MS: '0', TRIGGER_EVENTS: '100' });
      await set.waitFor(
        fact('hook-done', (f) => f.n === 99),
        BOOT_MS + 10_000,
        'the last hook done',
      );
      const order = set.all.filter((f) => f.fx === 'hook-start').map((f) => f.n);
      expect(order).toEqual(Array.from({ length: 100 }, (_, n) => n));
    },
    BOOT_MS + 20_000,
  );
});
