import type { Queue } from 'bullmq';
import type { FleetConnectionSnapshot } from '@keel/core';
import { bounded, describe } from './bounded.js';
import type { ResolvedOptions } from './options.js';

type QueueView = FleetConnectionSnapshot['queues'][string];

/** Failures shown per queue. */
const LAST_FAILURES = 5;

/**
 * Queue counts for `snapshot()`, which is synchronous: refreshed every `statsIntervalMs` on
 * the kernel clock (one refresh at a time, each bounded), read from the cache.
 */
export class QueueStats {
  private readonly views = new Map<string, QueueView>();
  private timer: unknown;
  private refreshing: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly queues: () => ReadonlyMap<string, Queue>,
    private readonly extra: () => Promise<void>,
  ) {}

  start(): void {
    this.arm(0);
  }

  private arm(ms: number): void {
    if (this.stopped) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      this.refreshing = this.refresh().finally(() => {
        this.refreshing = undefined;
        this.arm(this.options.statsIntervalMs);
      });
    }, ms);
  }

  /** Reads every known queue's counts and last failures once (also used by tests). */
  async refresh(): Promise<void> {
    const { clock, statsIntervalMs } = this.options;
    const limit = Math.max(statsIntervalMs, 1000);
    await Promise.all(
      [...this.queues()].map(async ([name, queue]) => {
        try {
          const [counts, failed] = await bounded(
            Promise.all([
              queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'completed', 'failed'),
              queue.getFailed(0, LAST_FAILURES - 1),
            ]),
            limit,
            clock,
            `counts of queue "${name}"`,
          );
          const n = (k: string): number => counts[k] ?? 0;
          this.views.set(name, {
            waiting: n('wait') + n('prioritized'),
            active: n('active'),
            delayed: n('delayed'),
            completed: n('completed'),
            failed: n('failed'),
            lastFailures: failed.map((job) => ({
              id: job.id ?? '',
              error: job.failedReason ?? '',
              at: job.finishedOn ?? job.processedOn ?? job.timestamp,
            })),
          });
        } catch (err) {
          // Kept stale: the link state is reported by the fleet connection itself.
          this.options.logger.debug(
            { queue: name, err: describe(err) },
            'queue counts not refreshed',
          );
        }
      }),
    );
    await this.extra().catch(() => undefined);
  }

  view(): Record<string, QueueView> {
    const out: Record<string, QueueView> = {};
    for (const name of this.queues().keys()) {
      out[name] = this.views.get(name) ?? {
        waiting: 0,
        active: 0,
        delayed: 0,
        completed: 0,
        failed: 0,
        lastFailures: [],
      };
    }
    return out;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.refreshing;
  }
}
