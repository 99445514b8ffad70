import { alive, redisSuite, type ActiveInterval } from './support/replicas.js';

// Three replicas of one service as child processes on a private redis-server, one singleton
// module, and 30 s of rolling restarts: one replica at a time is stopped (SIGTERM or SIGKILL,
// the leader or a standby) and replaced by a fresh process.
//
// How it samples: every replica prints 'active' when the kernel starts the singleton and
// 'inactive' when it stops it, stamped with Date.now() — one clock for all, the host's (all
// processes run on this machine). A replica killed while active ends its interval when this
// process sees its exit, which is later than its real end, so the overlap check can only err
// on the strict side. The old leader steps down ttl/6 before its lease can expire on Redis and
// a new one can only win after that expiry (or after the release on a graceful stop), so two
// intervals may not overlap at all, not even by a millisecond.
const TTL_MS = 2_400;
const RENEW_MS = TTL_MS / 3;
const ROLLING_MS = 30_000;
/**
 * Process scheduling, a Redis round trip and the module's start on a loaded 2-core CI machine
 * (with a replacement replica booting at the same time). A gap bound, never an overlap allowance.
 */
const SLACK_MS = 700;
/** After a SIGKILL: the lease expires at most ttl after the last renew; a standby tries each tick. */
const GAP_AFTER_KILL_MS = TTL_MS + RENEW_MS + SLACK_MS;
/** After a graceful stop: the lease is released; a standby takes it at its next tick. */
const GAP_AFTER_STOP_MS = RENEW_MS + SLACK_MS;
/** A steady stretch after each restart, as a deployment has between pods. */
const DWELL_MS = 1_000;
/** Sampling step of the "exactly one active" check. */
const SAMPLE_MS = 10;

// The rotation: the leader and a standby in turn, graceful and killed in turn.
const PLAN = [
  { target: 'leader', signal: 'SIGKILL' },
  { target: 'standby', signal: 'SIGTERM' },
  { target: 'leader', signal: 'SIGTERM' },
  { target: 'standby', signal: 'SIGKILL' },
] as const;

interface Restart {
  readonly victim: string;
  readonly signal: 'SIGKILL' | 'SIGTERM';
  readonly wasLeader: boolean;
  readonly at: number;
}

const suite = redisSuite();

/** How long nobody was active after `prev` ended, and the bound that applies to that end. */
function allowedGap(prev: ActiveInterval, restarts: readonly Restart[]): number {
  if (prev.endedBy === 'death') return GAP_AFTER_KILL_MS;
  const stopped = restarts.find(
    (r) => r.victim === prev.replica && r.signal === 'SIGTERM' && r.at <= prev.end,
  );
  // An 'inactive' without a SIGTERM is a step-down (a renew that did not answer in time on a
  // loaded machine): the lease then expires on Redis, as after a kill.
  return stopped !== undefined ? GAP_AFTER_STOP_MS : GAP_AFTER_KILL_MS;
}

describe('a singleton on Redis through rolling restarts', () => {
  it('three replicas, 30 s of rolling restarts: exactly one active at every sampled instant, tokens strictly increase', async () => {
    const set = suite.replicas('rolling', TTL_MS);
    const leaderWithin = GAP_AFTER_KILL_MS + SLACK_MS + 10_000;
    const aLeader = (what: string) =>
      set.waitFor(() => set.leader(), leaderWithin, `a leader ${what}`);
    for (const id of ['r1', 'r2', 'r3']) await set.join(suite.admin, id);
    await aLeader('at first');

    const restarts: Restart[] = [];
    const began = Date.now();
    // Bounded: each turn waits for one exit, one join and one leader, each with a deadline.
    for (let step = 0; Date.now() - began < ROLLING_MS; step += 1) {
      const { target, signal } = PLAN[step % PLAN.length]!;
      const leader = set.leader()!.replica;
      const victim =
        target === 'leader' ? leader : set.processes().find((p) => p.id !== leader && alive(p))!.id;
      const proc = set.get(victim);
      restarts.push({ victim, signal, wasLeader: victim === leader, at: Date.now() });
      proc.child.kill(signal);
      const code = await proc.exited;
      if (signal === 'SIGTERM') expect(code).toBe(0);
      await set.join(suite.admin, `n${step}`);
      await aLeader(`after ${signal} of ${victim}`);
      const steadyUntil = Date.now() + DWELL_MS;
      while (Date.now() < steadyUntil) await new Promise((r) => setTimeout(r, 20));
    }
    const windowEnd = Date.now();
    await set.killAll();

    const intervals = set
      .intervals()
      .map((i) => (i.end > windowEnd ? { ...i, end: windowEnd } : i))
      .filter((i) => i.start <= windowEnd);
    const leaderRestarts = restarts.filter((r) => r.wasLeader);
    // The rotation really moved the singleton, both ways.
    expect(leaderRestarts.filter((r) => r.signal === 'SIGKILL').length).toBeGreaterThanOrEqual(1);
    expect(leaderRestarts.filter((r) => r.signal === 'SIGTERM').length).toBeGreaterThanOrEqual(1);
    expect(intervals.length).toBeGreaterThanOrEqual(leaderRestarts.length + 1);

    // Sampled: at no instant two replicas active; nobody active only right after a leader ended.
    const from = intervals[0]!.start;
    let crowded: { at: number; active: ActiveInterval[] } | undefined;
    let idle = 0;
    let samples = 0;
    for (let t = from; t <= windowEnd; t += SAMPLE_MS) {
      const active = intervals.filter((i) => i.start <= t && t <= i.end);
      if (active.length > 1) crowded ??= { at: t, active };
      samples += 1;
      if (active.length === 0) idle += 1;
    }
    expect(crowded).toBeUndefined();

    const gaps: { after: ActiveInterval; ms: number; allowed: number }[] = [];
    for (let i = 1; i < intervals.length; i += 1) {
      const prev = intervals[i - 1]!;
      const next = intervals[i]!;
      // Exactly: the next leader became active after the previous one stopped, never before.
      expect({ prev, next, overlap: next.start <= prev.end }).toEqual({
        prev,
        next,
        overlap: false,
      });
      expect(next.token).toBeGreaterThan(prev.token);
      gaps.push({ after: prev, ms: next.start - prev.end, allowed: allowedGap(prev, restarts) });
    }
    const margin = Math.min(...gaps.map((g) => g.ms));
    const kills = gaps.filter((g) => g.after.endedBy === 'death').map((g) => g.ms);
    const stops = gaps.filter((g) => g.allowed === GAP_AFTER_STOP_MS).map((g) => g.ms);
    const stepDowns = gaps.length - kills.length - stops.length;
    process.stdout.write(
      `rolling restarts (ttl ${TTL_MS} ms, ${ROLLING_MS / 1000} s): ${restarts.length} restarts, ` +
        `${intervals.length} leaders, tokens ${intervals.map((i) => i.token).join(' < ')}; ` +
        `leader present ${(((samples - idle) / samples) * 100).toFixed(1)} % of ${samples} samples; ` +
        `gaps after SIGKILL ${kills.join(', ')} ms, after SIGTERM ${stops.join(', ')} ms, ` +
        `${stepDowns} step-downs; smallest gap ${margin} ms\n`,
    );
    for (const g of gaps) {
      expect({ after: g.after, gapMs: g.ms }).toEqual({
        after: g.after,
        gapMs: Math.min(g.ms, g.allowed),
      });
    }
  }, 120_000);
});
