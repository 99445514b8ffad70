import {
  Job,
  Module,
  ModuleContext,
  OnEvent,
  Task,
  type JobInfo,
  type ModuleClass,
} from '@keel/core';
import { createTestKernel, FakeFleet, type TestKernel } from '@keel/testing';

/** An invoice to render. */
export interface Invoice {
  number: string;
  cents: number;
}

/** Active on exactly one replica: it owns the nightly billing run. */
@Module({ singleton: true })
export class Billing {
  readonly runs: string[] = [];

  constructor(private readonly ctx: ModuleContext) {}

  /** Every replica declares it; each due time runs on one of them. */
  @Task({ every: '1m', fleet: 'once' })
  async bill(): Promise<void> {
    this.runs.push(`${this.ctx.fleet.replicaId} token ${this.ctx.fleet.token}`);
    await this.ctx.fleet.enqueue('invoices', { number: 'INV-1', cents: 4200 } satisfies Invoice, {
      jobId: `INV-1@${this.ctx.now()}`,
    });
  }
}

/** Takes invoices from a durable queue, on every replica. */
@Module({ events: ['rendered'] })
export class Renderer {
  readonly tries: string[] = [];

  constructor(private readonly ctx: ModuleContext) {}

  @Job({ queue: 'invoices', concurrency: 5, attempts: 3, backoff: '1s', timeout: '30s' })
  async render(invoice: Invoice, signal: AbortSignal, job: JobInfo): Promise<void> {
    this.tries.push(`${invoice.number} try ${job.attempt} on ${this.ctx.fleet.replicaId}`);
    if (job.attempt === 1) throw new Error('the PDF service timed out'); // retried after 1 s
    if (signal.aborted) return;
    await this.ctx.triggerEvent('rendered', invoice, { fleet: true });
  }
}

/** Hooks a fleet event: 'all' runs on every replica, 'one' on exactly one. */
@Module()
export class Mailer {
  readonly log: string[] = [];

  constructor(private readonly ctx: ModuleContext) {}

  @OnEvent(Renderer, 'rendered', { fleet: 'one' })
  send(invoice: Invoice): void {
    this.log.push(`mailed ${invoice.number} from ${this.ctx.fleet.replicaId}`);
  }

  @OnEvent(Renderer, 'rendered', { fleet: 'all' })
  dropCache(invoice: Invoice): void {
    this.log.push(`cache of ${invoice.number} dropped on ${this.ctx.fleet.replicaId}`);
  }
}

const modules: ModuleClass[] = [Billing, Renderer, Mailer];

/** Two replicas on one FakeFleet: the leader bills, jobs retry, events reach the fleet; then the leader dies. */
export async function main() {
  const fleet = new FakeFleet();
  const replica = (id: string): TestKernel =>
    createTestKernel({ modules, fleet: fleet.replica(id), clock: fleet.clock });
  const a = replica('a');
  const b = replica('b');
  await a.start();
  await b.start();
  const standby = b.inspect().modules['Billing']!.standby;

  await fleet.clock.advance('62s'); // one billing run at 1 min, its invoice tried twice
  const bill = [...a.get(Billing).runs, ...b.get(Billing).runs];
  const tries = [...a.get(Renderer).tries, ...b.get(Renderer).tries];
  const mail = [...a.get(Mailer).log, ...b.get(Mailer).log].sort();

  fleet.kill('a'); // a SIGKILL: b takes the lease once a's has run out (ttl 10 s)
  await fleet.clock.advance('15s');
  const takeover = {
    leader: b.module(Billing).status,
    token: (b.module(Billing).instance as { ctx: ModuleContext }).ctx.fleet.token,
    replicas: b.inspect().fleet.replicas.map((r) => `${r.replicaId}: ${r.leaderOf.join(',')}`),
  };

  const stopping = Promise.all([a.shutdown(), b.shutdown()]);
  await fleet.clock.advance('30s'); // a's engine calls never answer: bounded waits run out
  await stopping;
  return { standby, bill, tries, mail, takeover, errors: b.errors.length + a.errors.length };
}
