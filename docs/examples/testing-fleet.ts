import { Module, ModuleContext, Task } from '@keel/core';
import { FakeFleet, createTestKernel, type TestKernel } from '@keel/testing';

/** Polls a feed: must be active on exactly one replica. */
@Module({ name: 'feed', singleton: true })
export class FeedPoller {
  /** `ctx.fleet.token` at each start here (the fencing token). */
  readonly tokens: (number | undefined)[] = [];

  constructor(private readonly ctx: ModuleContext) {}

  start(): void {
    this.tokens.push(this.ctx.fleet.token);
  }
}

/** Builds a report once per minute across the whole fleet. */
@Module({ name: 'reports' })
export class Reports {
  readonly builtAt: number[] = [];

  constructor(private readonly ctx: ModuleContext) {}

  @Task({ every: '1m', fleet: 'once' })
  build(): void {
    this.builtAt.push(this.ctx.now());
  }
}

/** Two replicas of one service on one FakeFleet and its clock. */
export function twoReplicas(): { fleet: FakeFleet; a: TestKernel; b: TestKernel } {
  const fleet = new FakeFleet({ leaseTtl: '3s' });
  const replica = (id: string): TestKernel =>
    createTestKernel({
      modules: [FeedPoller, Reports],
      fleet: fleet.replica(id),
      clock: fleet.clock, // every replica reads the fleet's time
    });
  return { fleet, a: replica('a'), b: replica('b') };
}

/** What {@link failover} saw. */
export interface FailoverResult {
  leaderBefore: string;
  leaderAfter: string;
  tokens: (number | undefined)[];
  reportsBuilt: number;
}

/** Kills the leader and lets the other replica take over, as a test would. */
export async function failover(): Promise<FailoverResult> {
  const { fleet, a, b } = twoReplicas();
  await a.start();
  await b.start();
  const leader = (): string =>
    fleet
      .snapshot()
      .replicas.filter((r) => r.leaderOf.includes('feed'))
      .map((r) => r.replicaId)
      .join(',');
  await fleet.clock.advance('1s'); // a heartbeat names the leader
  const leaderBefore = leader(); // 'a': it started first

  fleet.kill('a'); // gone without a shutdown: its lease stays until the TTL
  await fleet.clock.advance('4s'); // ttl + ttl/3 at most
  const leaderAfter = leader();

  await fleet.clock.advance('3m');
  const reportsBuilt = a.get(Reports).builtAt.length + b.get(Reports).builtAt.length;
  const tokens = [...a.get(FeedPoller).tokens, ...b.get(FeedPoller).tokens];

  await b.shutdown();
  // A killed replica's fleet calls never settle, as a dead process's would: its kernel's
  // shutdown ends at its stopTimeout (60 s of fake time here).
  const stopping = a.shutdown();
  await fleet.clock.advance('61s');
  await stopping;
  b.expectNoErrors();
  b.expectNoLeaks();
  return { leaderBefore, leaderAfter, tokens, reportsBuilt };
}
