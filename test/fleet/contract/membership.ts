import type { ContractScope } from './scope.js';

/** Membership: heartbeats with a TTL. */
export function describeMembershipScenarios(s: ContractScope): void {
  describe('membership', () => {
    it('lists live replicas with since, lastSeen and leaderOf', async () => {
      const [a, b] = [await s.replica('a'), await s.replica('b')];
      const since = s.fleet.clock.now();
      await a.conn.heartbeat({ since, leaderOf: ['Billing'] }, s.timings.ttlMs);
      await b.conn.heartbeat({ since: since + 1, leaderOf: [] }, s.timings.ttlMs);
      const list = await a.conn.replicas();
      expect(list.map((r) => r.replicaId).sort()).toEqual(['a', 'b']);
      const ra = list.find((r) => r.replicaId === 'a')!;
      expect(ra.since).toBe(since);
      expect(ra.leaderOf).toEqual(['Billing']);
      expect(ra.lastSeen).toBeGreaterThanOrEqual(since);
      expect(a.conn.service).toBe(b.conn.service);
      expect(a.conn.replicaId).toBe('a');
      expect(a.conn.connected).toBe(true);
    });

    it('a replica that stops heartbeating drops out after its TTL', async () => {
      const [a, b] = [await s.replica('a'), await s.replica('b')];
      const { ttlMs, slackMs } = s.timings;
      const since = s.fleet.clock.now();
      await a.conn.heartbeat({ since, leaderOf: [] }, ttlMs);
      await b.conn.heartbeat({ since, leaderOf: [] }, ttlMs);
      await s.fleet.kill('b');
      for (let waited = 0; waited < ttlMs + slackMs; waited += ttlMs / 3) {
        await s.advance(ttlMs / 3);
        await a.conn.heartbeat({ since, leaderOf: [] }, ttlMs);
      }
      const list = await a.conn.replicas();
      expect(list.map((r) => r.replicaId)).toEqual(['a']);
      expect(list[0]!.lastSeen).toBeGreaterThan(since);
    });
  });
}
