import { Module, ModuleContext, Task } from '@keel/core';
import { Config } from './config.js';
import { Storage } from './storage.js';

/** Items removed per microtask: short jobs, so other work gets slots in between. */
const BATCH = 100;

/** Keeps the store tidy: a repeating task, a cron task, and microtasks for the work. */
@Module()
export class Janitor {
  constructor(
    private readonly storage: Storage,
    private readonly config: Config,
    private readonly ctx: ModuleContext,
  ) {}

  /** Every 10 s (the first run 10 s after start): removes items older than `DEMO_ITEM_TTL`. */
  @Task({ every: '10s' })
  async sweep(signal: AbortSignal): Promise<void> {
    const ids = this.storage.idsOlderThan(this.ctx.now() - this.config.settings.itemTtlMs);
    let removed = 0;
    for (let i = 0; i < ids.length && !signal.aborted; i += BATCH) {
      const batch = ids.slice(i, i + BATCH);
      removed += await this.ctx.runMicroTask('remove expired items', () =>
        this.storage.remove(batch),
      );
    }
    if (removed > 0) this.ctx.logger.info({ removed }, 'expired items removed');
  }

  /** At second 0 of every minute: logs how full the store is. */
  @Task({ cron: '0 * * * * *' })
  async report(): Promise<void> {
    const items = await this.ctx.runMicroTask('count items', () => this.storage.size, {
      priority: 'low',
    });
    this.ctx.logger.info({ items, maxItems: this.config.settings.maxItems }, 'storage report');
  }
}
