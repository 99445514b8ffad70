import { Job, Module, ModuleContext, OnEvent, Task, type JobInfo } from '@keel/core';

/** A singleton: active on exactly one replica of the fleet. */
@Module({ name: 'poller', singleton: true })
export class Poller {
  constructor(readonly ctx: ModuleContext) {}
}

/** Publishes a fleet event and feeds a job queue. */
@Module({ name: 'orders', events: ['placed'] })
export class Orders {
  /** Payloads the job handler saw. */
  readonly rendered: unknown[] = [];

  constructor(readonly ctx: ModuleContext) {}

  /** Fails any job whose data says so, to show a failed job with its error. */
  @Job({ queue: 'invoices', attempts: 1 })
  render(data: { fail?: boolean }, _signal: AbortSignal, job: JobInfo): void {
    if (data.fail === true) throw new Error(`printer on fire (job ${job.id})`);
    this.rendered.push(data);
  }

  /** Once per fleet, every 10 minutes. */
  @Task({ every: '10m', fleet: 'once' })
  async nightly(): Promise<void> {}
}

/** A fleet hook on exactly one replica; throws for poison payloads. */
@Module({ name: 'search' })
export class Search {
  constructor(readonly orders: Orders) {}

  @OnEvent(Orders, 'placed', { fleet: 'one', maxDeliveries: 1 })
  reindex(data: { poison?: boolean }): void {
    if (data.poison === true) throw new Error('cannot index a poison order');
  }
}
