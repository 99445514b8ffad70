import { percentile, redisSuite, type Fact, type ReplicaSet } from './support/replicas.js';

// Three replicas of one service as child processes on a private redis-server, one singleton
// module. Real time, short TTLs; every wait is bounded polling in 20 ms steps.
// FAILOVER_TTL_MS / FAILOVER_TRIALS measure longer TTLs and more trials (docs/redis.md figures).
const TTL_MS = Number(process.env['FAILOVER_TTL_MS'] ?? 900);
const TRIALS = Number(process.env['FAILOVER_TRIALS'] ?? 5);
const BUDGET_MS = 60_000 + TRIALS * (TTL_MS * 2 + 3_000);
const RENEW_MS = Math.floor(TTL_MS / 3);
/** Process scheduling, a Redis round trip and the module's start, on a loaded CI machine. */
const SLACK_MS = 500;
/** Booting node with the built packages takes seconds on a loaded machine. */
const JOIN_WITHIN_MS = 30_000;

const suite = redisSuite();
let run = 0;

/** Spawns replica `id` and waits until its heartbeat is in the fleet's index. */
async function join(set: ReplicaSet, id: string): Promise<void> {
  await set.join(suite.admin, id, JOIN_WITHIN_MS);
}

function fleet(): ReplicaSet {
  run += 1;
  return suite.replicas(`failover${run}`, TTL_MS);
}

const activeAfter =
  (t: number, not?: string) =>
  (facts: Fact[]): Fact | undefined =>
    facts.find((f) => f.fx === 'active' && f.at >= t && f.replica !== not);

describe('a singleton on Redis, three replicas', () => {
  it(
    'SIGKILL of the leader: another is active within leaseTtl + one renew interval; tokens increase',
    async () => {
      const set = fleet();
      await Promise.all(['r1', 'r2', 'r3'].map((id) => join(set, id)));
      await set.waitFor(activeAfter(0), 10_000, 'a first leader');
      const failovers: number[] = [];
      const tokens: number[] = [set.leader()!.token!];
      for (let trial = 0; trial < TRIALS; trial += 1) {
        const leader = set.leader()!;
        const killedAt = Date.now();
        set.get(leader.replica).child.kill('SIGKILL');
        await set.get(leader.replica).exited;
        const next = await set.waitFor(
          activeAfter(killedAt, leader.replica),
          TTL_MS + RENEW_MS + SLACK_MS * 3,
          `a new leader after killing ${leader.replica}`,
        );
        failovers.push(next.at - killedAt);
        tokens.push(next.token!);
        await join(set, `r${4 + trial}`); // keep three replicas
      }
      process.stdout.write(
        `singleton failover after SIGKILL (ttl ${TTL_MS} ms, renew ${RENEW_MS} ms): ` +
          `p50 ${percentile(failovers, 50)} ms, max ${Math.max(...failovers)} ms, all ${failovers.join(', ')}\n`,
      );
      for (const ms of failovers) expect(ms).toBeLessThanOrEqual(TTL_MS + RENEW_MS + SLACK_MS);
      // Never before the killed leader's lease could have expired on Redis.
      for (const ms of failovers) expect(ms).toBeGreaterThan(TTL_MS - RENEW_MS - SLACK_MS);
      for (let i = 1; i < tokens.length; i += 1) expect(tokens[i]!).toBeGreaterThan(tokens[i - 1]!);
    },
    BUDGET_MS,
  );

  it('SIGSTOP past the TTL, then SIGCONT: the old leader steps down and its stale writes are refused', async () => {
    const set = fleet();
    await Promise.all(['r1', 'r2', 'r3'].map((id) => join(set, id)));
    const first = await set.waitFor(activeAfter(0), 10_000, 'a first leader');
    await set.waitFor(
      (facts) => facts.find((f) => f.fx === 'write' && f.replica === first.replica && f.accepted),
      5_000,
      'a first accepted write',
    );
    const old = set.get(first.replica);
    const stoppedAt = Date.now();
    old.child.kill('SIGSTOP');
    const next = await set.waitFor(
      activeAfter(stoppedAt, first.replica),
      TTL_MS + RENEW_MS + SLACK_MS * 3,
      'a new leader while the old one is frozen',
    );
    expect(next.token!).toBeGreaterThan(first.token!);
    await set.waitFor(
      (facts) => facts.find((f) => f.fx === 'write' && f.replica === next.replica && f.accepted),
      5_000,
      "the new leader's first accepted write",
    );
    const contAt = Date.now();
    old.child.kill('SIGCONT');
    const down = await set.waitFor(
      (facts) => facts.find((f) => f.fx === 'inactive' && f.replica === first.replica),
      TTL_MS + SLACK_MS * 3,
      'the old leader stepping down',
    );
    expect(down.at).toBeGreaterThanOrEqual(contAt - 50);
    // Let any write the old leader had queued reach the fenced resource.
    await set.waitFor(
      (facts) => {
        const last = facts.filter((f) => f.fx === 'write' && f.replica === next.replica).at(-1);
        return last !== undefined && last.at > down.at + 100 ? last : undefined;
      },
      5_000,
      'writes after the step-down',
    );
    const newLeaderFirst = set.all.find(
      (f) => f.fx === 'write' && f.replica === next.replica && f.accepted,
    )!;
    // By when a write was sent, not when its reply was read: a write the old leader sent just
    // before SIGSTOP was applied then, but its reply is read (and told) only after SIGCONT.
    // Anything it sent after the new leader's write had been applied must have been refused.
    const staleAccepted = set.all.filter(
      (f) =>
        f.fx === 'write' &&
        f.replica === first.replica &&
        f.accepted &&
        f.sentAt! > newLeaderFirst.at,
    );
    expect(staleAccepted).toEqual([]);
    const stale = set.all.filter(
      (f) => f.fx === 'write' && f.replica === first.replica && f.sentAt! >= contAt,
    );
    // Whatever it wrote after waking carried its old token and was refused.
    for (const f of stale) expect(f).toMatchObject({ token: first.token, accepted: false });
    // Replies read after SIGCONT of writes sent before SIGSTOP: what a reply-time check misread.
    const late = set.all.filter(
      (f) =>
        f.fx === 'write' && f.replica === first.replica && f.sentAt! < stoppedAt && f.at >= contAt,
    );
    process.stdout.write(
      `SIGSTOP/SIGCONT: ${stale.length} writes after waking, all refused; ${late.length} replies ` +
        `read after SIGCONT of writes sent before SIGSTOP (${late.filter((f) => f.accepted).length} accepted)\n`,
    );
    // And one leader only afterwards.
    expect(set.leader()?.replica).toBe(next.replica);
  }, 60_000);

  it('graceful shutdown of the leader hands over in under one renew interval', async () => {
    const set = fleet();
    await Promise.all(['r1', 'r2', 'r3'].map((id) => join(set, id)));
    await set.waitFor(activeAfter(0), 10_000, 'a first leader');
    const handovers: number[] = [];
    for (let trial = 0; trial < 3; trial += 1) {
      const leader = set.leader()!;
      const proc = set.get(leader.replica);
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
      const down = proc.facts.find((f) => f.fx === 'inactive')!;
      const next = await set.waitFor(
        activeAfter(down.at, leader.replica),
        RENEW_MS + SLACK_MS,
        'the handover',
      );
      handovers.push(next.at - down.at);
      expect(next.token!).toBeGreaterThan(leader.token!);
      await join(set, `g${trial}`);
    }
    process.stdout.write(
      `singleton handover on graceful shutdown (renew ${RENEW_MS} ms): ` +
        `p50 ${percentile(handovers, 50)} ms, max ${Math.max(...handovers)} ms\n`,
    );
    // One renew interval and the stated slack, as the wait above: measured from the module's
    // stop, it includes the release's and the next holder's round trips, its module start and
    // two processes' scheduling (up to 290 ms seen at load 9 on 2 cores, against 11 ms idle).
    for (const ms of handovers) expect(ms).toBeLessThan(RENEW_MS + SLACK_MS);
    // A handover, not a failover by expiry: each came well before the lease could run out.
    for (const ms of handovers) expect(ms).toBeLessThan(TTL_MS);
  }, 60_000);
});
