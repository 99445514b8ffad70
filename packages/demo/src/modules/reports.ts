import { Job, Module, ModuleContext, Task, type JobInfo } from '@keel/core';
import { Storage } from './storage.js';

/** The job queue of reports. */
export const REPORTS_QUEUE = 'reports';

/** What a report job carries. */
export interface ReportRequest {
  /** Who asked: `'http'` (POST /reports) or `'schedule'` (the fleet task). */
  readonly reason: string;
}

/** A built report. */
export interface Report {
  readonly jobId: string;
  readonly reason: string;
  readonly items: number;
  readonly attempt: number;
}

/**
 * A job queue and a once-per-fleet task: every minute one replica of the fleet enqueues a
 * report, and `POST /reports` enqueues one on demand; any replica may build it.
 */
@Module()
export class Reports {
  /** Reports built on this replica, oldest first (at most the last 20). */
  readonly built: Report[] = [];

  constructor(
    private readonly storage: Storage,
    private readonly ctx: ModuleContext,
  ) {}

  /** Builds one report; a failed try is retried after 1 s, 2 s (3 tries). */
  @Job({ queue: REPORTS_QUEUE, attempts: 3, backoff: '1s' })
  build(data: ReportRequest, _signal: AbortSignal, job: JobInfo): void {
    const report = {
      jobId: job.id,
      reason: data.reason,
      items: this.storage.size,
      attempt: job.attempt,
    };
    this.built.push(report);
    if (this.built.length > 20) this.built.shift();
    this.ctx.logger.info(report, 'report built');
  }

  /** Once per fleet: each minute exactly one replica enqueues the scheduled report. */
  @Task({ every: '1m', fleet: 'once' })
  async schedule(): Promise<void> {
    await this.ctx.fleet.enqueue(REPORTS_QUEUE, { reason: 'schedule' } satisfies ReportRequest);
  }
}
