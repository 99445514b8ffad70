import type { Queue } from 'bullmq';
import type { FleetConnectionSnapshot } from '@keel/core';
import { bounded, describe } from './bounded.js';
import type { ResolvedOptions } from './options.js';

type QueueView = FleetConnectionSnapshot['queues'][string];

/** Failures shown per queue. */
const LAST_FAILURES = 5;

/**
 * Queue counts for `snapshot()`, which is synchronous: read from a cache that is refreshed
 * on demand. Once at start; then a read arms refreshing every `statsIntervalMs` on the kernel
 * clock (one refresh at a time, each bounded), and `statsIdleMs` without a read pauses it, so
 * a replica nobody inspects sends Redis nothing for its counts. A read while paused gets the
 * cached counts (their `countsAt` tells their age) and refreshes at once.
 */
export class QueueStats {
  private readonly views = new Map<string, QueueView>();
  private timer: unknown;
  private refreshing: Promise<void> | undefined;
  private stopped = false;
  private started = false;
  private lastReadAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly queues: () => ReadonlyMap<string, Queue>,
    private readonly extra: () => Promise<void>,
  ) {}

  /** One refresh now; periodic ones only once something reads. */
  start(): void {
    this.started = true;
    this.arm(0);
  }

  /** True while refreshes are scheduled or running (not paused). */
  get active(): boolean {
    return this.timer !== undefined || this.refreshing !== undefined;
  }

  /** Someone read the cache: keep (or start) refreshing for another `statsIdleMs`. */
  touch(): void {
    this.lastReadAt = this.options.clock.now();
    if (this.started && !this.active) this.arm(0);
  }

  private arm(ms: number): void {
    if (this.stopped) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      this.refreshing = this.refresh().finally(() => {
        this.refreshing = undefined;
        // Paused until the next read once nobody read for statsIdleMs.
        if (this.options.clock.now() - this.lastReadAt < this.options.statsIdleMs)
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
            countsAt: clock.now(),
          });
        } catch (err) {
          // Kept stale (countsAt shows how stale): the fleet connection reports the link.
          this.options.logger.debug(
            { queue: name, err: describe(err) },
            'queue counts not refreshed',
          );
        }
      }),
    );
    await this.extra().catch(() => undefined);
  }

  /** The cached counts of every known queue (a read: see {@link touch}). */
  view(): Record<string, QueueView> {
    this.touch();
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
