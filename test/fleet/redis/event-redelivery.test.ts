import { redisSuite, type Fact, type ReplicaSet } from './support/replicas.js';

// Fleet events at kernel level: replicas are child processes running a real Kernel with
// redisFleet() (fixtures/replica.mjs with HOOK_MS set) on a private redis-server. Real time;
// every wait is bounded polling in 20 ms steps.
const MIN_IDLE_MS = 1_500;
/** The reader's claim turn: every minIdle / 2. */
const CLAIM_EVERY_MS = MIN_IDLE_MS / 2;
/** Process scheduling and a few Redis round trips, on a loaded CI machine. */
const SLACK_MS = 1_500;
/** Booting node with the built packages takes seconds on a loaded machine. */
const BOOT_MS = 30_000;
const HOOK = 'catalog.changed->indexer.reindex';

const suite = redisSuite();
let run = 0;

function fleet(): ReplicaSet {
  run += 1;
  return suite.replicas(`events${run}`, 1_000);
}

const fact =
  (fx: Fact['fx'], where: (f: Fact) => boolean = () => true) =>
  (facts: Fact[]): Fact | undefined =>
    facts.find((f) => f.fx === fx && where(f));

/** Entries of the hook's group not yet acknowledged. */
async function pending(service: string): Promise<number> {
  const [count] = (await suite.admin.xpending(`keel:${service}:ev:catalog.changed`, HOOK)) as [
    number,
  ];
  return count;
}

describe("fleet events on Redis, replicas as processes: 'one'", () => {
  it(
    'a replica SIGKILLed while its hook runs: another runs the event to completion once, after minIdle',
    async () => {
      const set = fleet();
      // The first run of the hook, wherever it lands, would take a minute; any later run 50 ms.
      const env = { MIN_IDLE_MS: String(MIN_IDLE_MS), HOOK_MS: '50', FIRST_HOOK_MS: '60000' };
      set.spawn('r1', env);
      await set.waitFor(
        fact('online', (f) => f.replica === 'r1'),
        BOOT_MS,
        'r1 online',
      );
      // r2 triggers once its own indexer is subscribed; either replica may take the event.
      set.spawn('r2', { ...env, TRIGGER_EVENTS: '1' });
      const started = await set.waitFor(fact('hook-start'), BOOT_MS, 'a first hook run');
      const holder = set.get(started.replica);
      const killedAt = Date.now();
      holder.child.kill('SIGKILL');
      await holder.exited;
      const other = started.replica === 'r1' ? 'r2' : 'r1';
      const again = await set.waitFor(
        fact('hook-start', (f) => f.replica === other),
        MIN_IDLE_MS + CLAIM_EVERY_MS + SLACK_MS,
        `${other} taking the event over`,
      );
      const done = await set.waitFor(
        fact('hook-done'),
        5_000,
        'the redelivered hook running to completion',
      );
      process.stdout.write(
        `'one' redelivery after SIGKILL of ${started.replica} (minIdle ${MIN_IDLE_MS} ms): ` +
          `${again.at - killedAt} ms after the kill, ${again.at - started.at} ms after the first start\n`,
      );
      expect(started.n).toBe(0);
      expect(again.n).toBe(0);
      expect(done).toMatchObject({ replica: other, n: 0 });
      // Redelivered because its replica died (the kill came well within minIdle), and not
      // before the entry had been idle for minIdle (it went idle when the holder read it).
      expect(killedAt - started.at).toBeLessThan(MIN_IDLE_MS);
      expect(again.at).toBeGreaterThanOrEqual(killedAt);
      expect(again.at - started.at).toBeGreaterThanOrEqual(MIN_IDLE_MS - 50);
      // Acknowledged by the replica that completed it: nothing pending, no further delivery.
      const deadline = Date.now() + 5_000;
      // Bounded: 5 s in 20 ms steps.
      while ((await pending(set.service)) !== 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await pending(set.service)).toBe(0);
      await new Promise((r) => setTimeout(r, MIN_IDLE_MS + CLAIM_EVERY_MS * 2));
      const hooks = set.all.filter((f) => f.fx === 'hook-start' || f.fx === 'hook-done');
      expect(hooks.map((f) => `${f.replica}:${f.fx}:${f.n}`)).toEqual([
        `${started.replica}:hook-start:0`,
        `${other}:hook-start:0`,
        `${other}:hook-done:0`,
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
