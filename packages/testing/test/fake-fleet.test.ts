import { pino } from 'pino';
import { isKeelError, type FleetConnection, type FleetDelivery, type FleetJob } from '@keel/core';
import { FakeFleet } from '../src/index.js';

interface Replica {
  conn: FleetConnection;
  changes: [boolean, string | undefined][];
}

async function join(fleet: FakeFleet, id: string): Promise<Replica> {
  const changes: Replica['changes'] = [];
  const conn = await fleet.replica(id).connect(
    {
      clock: fleet.clock,
      logger: pino({ level: 'silent' }),
      connectionChanged: (connected, reason) => void changes.push([connected, reason]),
      report: (err) => {
        throw err;
      },
    },
    new AbortController().signal,
  );
  return { conn, changes };
}

/** Settles promise work a few turns and says whether `p` settled. */
async function settled(fleet: FakeFleet, p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await fleet.clock.settle();
  return done;
}

describe('FakeFleet', () => {
  let fleet: FakeFleet;
  let replicas: Replica[];
  beforeEach(() => {
    fleet = new FakeFleet({ stalledAfter: '5s' });
    replicas = [];
  });
  afterEach(async () => {
    await Promise.allSettled(replicas.map((r) => r.conn.close()));
    expect(fleet.clock.pendingTimers).toBe(0);
  });
  const replica = async (id: string): Promise<Replica> => {
    const r = await join(fleet, id);
    replicas.push(r);
    return r;
  };

  it("gives each kernel a fresh 'fake' provider on one shared clock", async () => {
    expect(fleet.replica('a')).not.toBe(fleet.replica('a'));
    expect(fleet.replica('a').kind).toBe('fake');
    const a = await replica('a');
    expect(a.conn.service).toBe('test');
    expect(fleet.clock.now()).toBe(Date.UTC(2026, 0, 1));
    await expect(join(fleet, 'a')).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
  });

  it('partition: calls reject with E_FLEET_UNAVAILABLE, the host is told, the lease runs out; heal restores', async () => {
    const [a, b] = [await replica('a'), await replica('b')];
    const token = (await a.conn.acquire('Billing', 10_000))!;
    fleet.partition('a');
    expect(a.conn.connected).toBe(false);
    expect(a.changes).toEqual([[false, 'partitioned from the in-memory fleet']]);
    const err: unknown = await a.conn.renew('Billing', token, 10_000).catch((e: unknown) => e);
    expect(isKeelError(err, 'E_FLEET_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toContain('"a"');
    expect(await b.conn.acquire('Billing', 10_000)).toBeUndefined();
    await fleet.clock.advance('10s');
    expect(await b.conn.acquire('Billing', 10_000)).toBe(token + 1);
    fleet.heal('a');
    expect(a.changes.at(-1)).toEqual([true, undefined]);
    expect(a.conn.connected).toBe(true);
    expect(await a.conn.renew('Billing', token, 10_000)).toBe(false); // lost meanwhile
    expect(await a.conn.currentToken('Billing')).toBe(token + 1);
  });

  it('a partitioned replica cannot connect until healed', async () => {
    fleet.partition('late');
    await expect(join(fleet, 'late')).rejects.toMatchObject({ code: 'E_FLEET_UNAVAILABLE' });
    fleet.heal('late');
    const r = await join(fleet, 'late');
    replicas.push(r);
    expect(r.conn.connected).toBe(true);
  });

  it("kill: the replica's calls never settle until its connection is closed", async () => {
    const a = await replica('a');
    fleet.kill('a');
    const call = a.conn.acquire('x', 1000);
    expect(await settled(fleet, call)).toBe(false);
    await fleet.clock.advance('1m');
    expect(await settled(fleet, call)).toBe(false);
    await a.conn.close();
    await expect(call).rejects.toMatchObject({ code: 'E_FLEET_UNAVAILABLE' });
    expect(() => fleet.kill('a')).toThrow(/no replica of that id is connected/);
  });

  it("a killed or cut-off replica's heartbeat stays until its TTL; a graceful close leaves at once", async () => {
    const [a, b, c] = [await replica('a'), await replica('b'), await replica('c')];
    for (const r of [a, b, c]) await r.conn.heartbeat({ since: 0, leaderOf: [] }, 3000);
    const d = await replica('d');
    await d.conn.heartbeat({ since: 0, leaderOf: [] }, 3000);
    fleet.kill('b');
    await c.conn.close();
    fleet.partition('d');
    await d.conn.close(); // cannot reach the fleet to leave
    expect((await a.conn.replicas()).map((r) => r.replicaId)).toEqual(['a', 'b', 'd']);
    await fleet.clock.advance('3s');
    expect(fleet.snapshot().replicas).toEqual([]);
  });

  it("'one' events skip a partitioned consumer; its unacknowledged delivery is claimed by another", async () => {
    const [a, b] = [await replica('a'), await replica('b')];
    const spec = {
      topic: 't',
      hookId: 't->h',
      mode: 'one' as const,
      maxDeliveries: 5,
      minIdleMs: 1000,
    };
    const got: [string, FleetDelivery][] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    a.conn.subscribe(spec, async (d) => {
      got.push(['a', d]);
      await held;
    });
    await b.conn.publish('t', '1');
    await fleet.clock.settle();
    expect(got.map(([r]) => r)).toEqual(['a']);
    b.conn.subscribe(spec, async (d) => void got.push(['b', d]));
    fleet.partition('a');
    release(); // its ack cannot reach the fleet
    await b.conn.publish('t', '2');
    await fleet.clock.advance(1000);
    expect(got.map(([r, d]) => `${r}:${d.payload}#${d.attempt}`)).toEqual([
      'a:1#1',
      'b:2#1',
      'b:1#2',
    ]);
    fleet.heal('a');
    await fleet.clock.advance(2000);
    expect(got).toHaveLength(3);
    expect(fleet.snapshot().events['t->h']).toMatchObject({ delivered: 2, pending: 0 });
  });

  it("a partitioned replica's running job stalls and runs elsewhere; one healed in time keeps it", async () => {
    const [a, b] = [await replica('a'), await replica('b')];
    const spec = {
      concurrency: 1,
      attempts: 1,
      backoff: { type: 'fixed' as const, delayMs: 0 },
      timeoutMs: undefined,
    };
    const ran: string[] = [];
    const holds: (() => void)[] = [];
    const handler =
      (who: string) =>
      (job: FleetJob): Promise<void> => {
        ran.push(`${who}:${job.id}`);
        return new Promise<void>((r) => holds.push(r));
      };
    a.conn.consume('q', spec, handler('a'));
    await a.conn.enqueue('q', '1', { jobId: 'j1' });
    await fleet.clock.settle();
    b.conn.consume('q', spec, handler('b'));
    fleet.partition('a');
    await fleet.clock.advance('4s');
    fleet.heal('a'); // back before the stall check
    await fleet.clock.advance('2s');
    expect(ran).toEqual(['a:j1']);
    holds[0]!();
    await fleet.clock.settle();
    expect(fleet.snapshot().queues.q).toMatchObject({ completed: 1, active: 0 });

    await a.conn.enqueue('q', '2', { jobId: 'j2' });
    await fleet.clock.settle();
    const first = ran.at(-1)!;
    fleet.partition(first.startsWith('a') ? 'a' : 'b');
    await fleet.clock.advance('5s');
    expect(ran.slice(-2)).toEqual([first, `${first.startsWith('a') ? 'b' : 'a'}:j2`]);
    fleet.heal(first.startsWith('a') ? 'a' : 'b');
    for (const release of holds) release();
    await fleet.clock.settle();
    expect(fleet.snapshot().queues.q).toMatchObject({ completed: 2, active: 0, failed: 0 });
  });

  it('fleet task due times skip a partitioned replica', async () => {
    const [a, b] = [await replica('a'), await replica('b')];
    const runs: string[] = [];
    a.conn.scheduleTask({ key: 'M.t', everyMs: 1000 }, async () => void runs.push('a'));
    b.conn.scheduleTask({ key: 'M.t', everyMs: 1000 }, async () => void runs.push('b'));
    fleet.partition('a');
    await fleet.clock.advance('3s');
    expect(runs).toEqual(['b', 'b', 'b']);
    fleet.heal('a');
    await fleet.clock.advance('2s');
    expect(runs.slice(3).sort()).toEqual(['a', 'b']);
  });

  it('a task run on a killed replica blocks the key until the stall interval', async () => {
    const [a, b] = [await replica('a'), await replica('b')];
    const runs: string[] = [];
    a.conn.scheduleTask({ key: 'M.t', everyMs: 1000 }, () => {
      runs.push('a');
      return new Promise<void>(() => undefined);
    });
    await fleet.clock.advance('1s');
    b.conn.scheduleTask({ key: 'M.t', everyMs: 1000 }, async () => void runs.push('b'));
    fleet.kill('a');
    await fleet.clock.advance('4s');
    expect(runs).toEqual(['a']);
    await fleet.clock.advance('1s'); // 5 s after the kill
    expect(runs).toEqual(['a', 'b']);
  });
});
