import {
  connectReplica,
  waitUntil,
  type ContractFleet,
  type ContractTimings,
  type MakeFleet,
  type Replica,
} from './harness.js';

/** One scenario's fleet and replicas; everything it opened is closed after it. */
export class ContractScope {
  private current: ContractFleet | undefined;
  private replicas: Replica[] = [];

  constructor(
    private readonly makeFleet: MakeFleet,
    readonly timings: ContractTimings,
  ) {}

  get fleet(): ContractFleet {
    if (this.current === undefined) throw new Error('ContractScope: no scenario is running');
    return this.current;
  }

  async open(): Promise<void> {
    this.current = await this.makeFleet(this.timings);
    this.replicas = [];
  }

  /** Connects replica `id` (closed after the scenario). */
  async replica(id: string): Promise<Replica> {
    const r = await connectReplica(this.fleet, id);
    this.replicas.push(r);
    return r;
  }

  advance(ms: number): Promise<void> {
    return this.fleet.advance(ms);
  }

  waitUntil(cond: () => boolean, withinMs: number, what: string): Promise<void> {
    return waitUntil(this.fleet, this.timings, cond, withinMs, what);
  }

  async close(): Promise<void> {
    const fleet = this.current;
    if (fleet === undefined) return;
    this.current = undefined;
    const results = await Promise.allSettled(this.replicas.map((r) => r.conn.close()));
    await fleet.close();
    const failed = results.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    fleet.checkClean?.();
  }
}
