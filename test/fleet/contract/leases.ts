import { uniqueName } from './harness.js';
import type { ContractScope } from './scope.js';

/** Leases: `SET NX PX` with a fencing counter. */
export function describeLeaseScenarios(s: ContractScope): void {
  describe('leases', () => {
    it('one holder at a time; the first token is 1', async () => {
      const [a, b] = [await s.replica('a'), await s.replica('b')];
      const lease = uniqueName('lease');
      expect(await a.conn.acquire(lease, s.timings.ttlMs)).toBe(1);
      expect(await b.conn.acquire(lease, s.timings.ttlMs)).toBeUndefined();
      expect(await a.conn.acquire(lease, s.timings.ttlMs)).toBeUndefined();
      expect(await b.conn.currentToken(lease)).toBe(1);
      expect(await a.conn.currentToken(uniqueName('never-taken'))).toBe(0);
    });

    it('release with the token lets another take it at once, with a greater token', async () => {
      const [a, b] = [await s.replica('a'), await s.replica('b')];
      const lease = uniqueName('lease');
      const t1 = (await a.conn.acquire(lease, s.timings.ttlMs))!;
      await b.conn.release(lease, t1 + 1); // a stale or foreign token does nothing
      expect(await b.conn.acquire(lease, s.timings.ttlMs)).toBeUndefined();
      await a.conn.release(lease, t1);
      const t2 = await b.conn.acquire(lease, s.timings.ttlMs);
      expect(t2).toBeGreaterThan(t1);
      expect(await a.conn.currentToken(lease)).toBe(t2);
    });

    it('renew extends only with the current token, before expiry', async () => {
      const [a, b] = [await s.replica('a'), await s.replica('b')];
      const { ttlMs } = s.timings;
      const lease = uniqueName('lease');
      const t1 = (await a.conn.acquire(lease, ttlMs))!;
      expect(await a.conn.renew(lease, t1 + 1, ttlMs)).toBe(false);
      // Renewing at 2/3 of the TTL twice keeps it past the first TTL.
      await s.advance((ttlMs * 2) / 3);
      expect(await a.conn.renew(lease, t1, ttlMs)).toBe(true);
      await s.advance((ttlMs * 2) / 3);
      expect(await b.conn.acquire(lease, ttlMs)).toBeUndefined();
      expect(await a.conn.renew(lease, t1, ttlMs)).toBe(true);
    });

    it('an expired lease cannot be renewed and goes to the next taker with a greater token', async () => {
      const [a, b] = [await s.replica('a'), await s.replica('b')];
      const { ttlMs, slackMs } = s.timings;
      const lease = uniqueName('lease');
      const t1 = (await a.conn.acquire(lease, ttlMs))!;
      await s.advance(ttlMs + slackMs);
      expect(await a.conn.renew(lease, t1, ttlMs)).toBe(false);
      const t2 = await b.conn.acquire(lease, ttlMs);
      expect(t2).toBeGreaterThan(t1);
      expect(await a.conn.renew(lease, t1, ttlMs)).toBe(false);
      await a.conn.release(lease, t1); // the old holder's release leaves the new holding alone
      expect(await a.conn.acquire(lease, ttlMs)).toBeUndefined();
    });

    it("a killed holder's lease stays until its TTL, then is free", async () => {
      const [a, b] = [await s.replica('a'), await s.replica('b')];
      const { ttlMs, slackMs } = s.timings;
      const lease = uniqueName('lease');
      const t1 = (await a.conn.acquire(lease, ttlMs))!;
      await s.fleet.kill('a');
      expect(await b.conn.acquire(lease, ttlMs)).toBeUndefined();
      await s.advance(ttlMs + slackMs);
      expect(await b.conn.acquire(lease, ttlMs)).toBeGreaterThan(t1);
    });
  });
}
