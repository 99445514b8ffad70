import type { FleetDelivery, FleetSubscription } from '@keel/core';
import { deferred, uniqueName } from './harness.js';
import type { ContractScope } from './scope.js';

interface Got extends FleetDelivery {
  readonly replica: string;
}

/** Fleet events: broadcast (`'all'`) and consumer groups (`'one'`). */
export function describeEventScenarios(s: ContractScope): void {
  const spec = (mode: 'all' | 'one', topic: string, extra: Partial<FleetSubscription> = {}) => ({
    topic,
    hookId: `${topic}->${mode}`,
    mode,
    maxDeliveries: 5,
    minIdleMs: s.timings.minIdleMs,
    ...extra,
  });
  const within = (): number => s.timings.minIdleMs;

  describe('events', () => {
    it("'all': each subscribed replica gets each event once; a late subscriber misses earlier ones", async () => {
      const replicas = [await s.replica('a'), await s.replica('b'), await s.replica('c')];
      const topic = uniqueName('catalog.price-changed');
      const got: Got[] = [];
      for (const r of replicas.slice(0, 2)) {
        r.conn.subscribe(spec('all', topic), async (d) => void got.push({ ...d, replica: r.id }));
      }
      await replicas[0]!.conn.publish(topic, '{"n":1}');
      await s.waitUntil(() => got.length >= 2, within(), 'both deliveries');
      replicas[2]!.conn.subscribe(
        spec('all', topic),
        async (d) => void got.push({ ...d, replica: 'c' }),
      );
      await s.advance(s.timings.stepMs * 5); // the subscription is in place before the next publish
      await replicas[1]!.conn.publish(topic, '{"n":2}');
      await s.waitUntil(() => got.length >= 5, within(), 'three more deliveries');
      await s.advance(s.timings.slackMs);
      const seen = got.map((d) => `${d.replica}:${d.payload}`).sort();
      expect(seen).toEqual(['a:{"n":1}', 'a:{"n":2}', 'b:{"n":1}', 'b:{"n":2}', 'c:{"n":2}']);
      expect(got.every((d) => d.topic === topic && d.attempt === 1)).toBe(true);
      const ids = new Set(got.filter((d) => d.replica !== 'c').map((d) => d.id));
      expect(ids.size).toBe(2); // one id per event, the same on every replica
    });

    it("'one': each event goes to exactly one consumer of the group", async () => {
      const [a, b] = [await s.replica('a'), await s.replica('b')];
      const topic = uniqueName('orders.placed');
      const got: Got[] = [];
      for (const r of [a, b]) {
        r.conn.subscribe(spec('one', topic), async (d) => void got.push({ ...d, replica: r.id }));
      }
      for (let i = 0; i < 10; i++) await a.conn.publish(topic, JSON.stringify({ i }));
      await s.waitUntil(() => got.length >= 10, within(), 'ten deliveries');
      await s.advance(s.timings.minIdleMs + s.timings.slackMs);
      expect(got).toHaveLength(10);
      expect(
        got.map((d) => (JSON.parse(d.payload) as { i: number }).i).sort((x, y) => x - y),
      ).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(new Set(got.map((d) => d.id)).size).toBe(10);
      expect(got.every((d) => d.attempt === 1)).toBe(true);
    });

    it("'one': a rejected delivery is redelivered after minIdleMs with attempt + 1, then acknowledged", async () => {
      const a = await s.replica('a');
      const topic = uniqueName('mail.send');
      const got: FleetDelivery[] = [];
      a.conn.subscribe(spec('one', topic), async (d) => {
        got.push(d);
        if (d.attempt === 1) throw new Error('smtp down');
      });
      await a.conn.publish(topic, '"x"');
      await s.waitUntil(() => got.length >= 1, within(), 'first delivery');
      await s.waitUntil(() => got.length >= 2, s.timings.minIdleMs * 2, 'redelivery');
      await s.advance(s.timings.minIdleMs * 2 + s.timings.slackMs);
      expect(got.map((d) => d.attempt)).toEqual([1, 2]);
      expect(got[1]!.id).toBe(got[0]!.id);
      const stats = a.conn.snapshot().events[`${topic}->one`];
      expect(stats?.deadLettered ?? 0).toBe(0);
    });

    it("'one': a killed consumer's unacknowledged delivery is claimed by another replica", async () => {
      const [a, b] = [await s.replica('a'), await s.replica('b')];
      const topic = uniqueName('report.render');
      const stuck = deferred();
      const gotA: FleetDelivery[] = [];
      const gotB: FleetDelivery[] = [];
      a.conn.subscribe(spec('one', topic), async (d) => {
        gotA.push(d);
        await stuck.promise;
      });
      await b.conn.publish(topic, '{"id":7}');
      await s.waitUntil(() => gotA.length === 1, within(), 'delivery to a');
      b.conn.subscribe(spec('one', topic), async (d) => void gotB.push(d));
      await s.fleet.kill('a');
      await s.waitUntil(() => gotB.length >= 1, s.timings.minIdleMs * 2, 'claim by b');
      expect(gotB[0]).toMatchObject({ id: gotA[0]!.id, payload: '{"id":7}', attempt: 2 });
      stuck.resolve();
      await s.advance(s.timings.minIdleMs + s.timings.slackMs);
      expect(gotB).toHaveLength(1);
      expect(gotA).toHaveLength(1);
    });

    it("'one': after maxDeliveries failures the event is dead-lettered with the last error", async () => {
      const a = await s.replica('a');
      const topic = uniqueName('ledger.post');
      const got: FleetDelivery[] = [];
      const hookSpec = spec('one', topic, { maxDeliveries: 3 });
      a.conn.subscribe(hookSpec, async (d) => {
        got.push(d);
        throw new Error(`boom #${d.attempt}`);
      });
      await a.conn.publish(topic, '{}');
      const dead = (): number => a.conn.snapshot().events[hookSpec.hookId]?.deadLettered ?? 0;
      await s.waitUntil(() => dead() === 1, s.timings.minIdleMs * 4, 'dead letter');
      await s.advance(s.timings.minIdleMs * 2 + s.timings.slackMs);
      expect(got.map((d) => d.attempt)).toEqual([1, 2, 3]);
      const stats = a.conn.snapshot().events[hookSpec.hookId]!;
      expect(stats.deadLettered).toBe(1);
      expect(stats.pending).toBe(0);
      expect(stats.deadLetters).toHaveLength(1);
      expect(stats.deadLetters[0]!.id).toBe(got[0]!.id);
      expect(stats.deadLetters[0]!.error).toContain('boom #3');
      expect(JSON.parse(JSON.stringify(a.conn.snapshot()))).toEqual(a.conn.snapshot());
    });

    it('close() stops deliveries and waits for those in flight', async () => {
      const [a, b] = [await s.replica('a'), await s.replica('b')];
      const topic = uniqueName('cache.drop');
      const hold = deferred();
      let inHook = 0;
      let finished = 0;
      const handle = a.conn.subscribe(spec('all', topic), async () => {
        inHook++;
        await hold.promise;
        finished++;
      });
      await b.conn.publish(topic, '1');
      await s.waitUntil(() => inHook === 1, within(), 'delivery');
      let closed = false;
      const closing = handle.close().then(() => (closed = true));
      await s.advance(s.timings.stepMs * 3);
      expect(closed).toBe(false);
      hold.resolve();
      await closing;
      expect(finished).toBe(1);
      await b.conn.publish(topic, '2');
      await s.advance(s.timings.minIdleMs);
      expect(inHook).toBe(1);
    });
  });
}
