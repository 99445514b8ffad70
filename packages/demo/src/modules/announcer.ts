import { Module, ModuleContext, Worker } from '@keel/core';

/** How often the leader says so. */
export const ANNOUNCE_EVERY = '10s';

/**
 * A singleton: on a fleet (`DEMO_REDIS_URL`) it is active on exactly one replica, and the
 * others show it as standby in the inspector. Stop the leader and another takes over.
 */
@Module({ singleton: true })
export class Announcer {
  /** Announcements made while leading here. */
  announcements = 0;

  constructor(private readonly ctx: ModuleContext) {}

  /** Logs the fencing token while this replica leads; the worker ends when it steps down. */
  @Worker()
  async announce(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.announcements++;
      this.ctx.logger.info({ token: this.ctx.fleet.token }, 'this replica leads the announcer');
      await this.ctx.sleep(ANNOUNCE_EVERY);
    }
  }
}
