import { Module, ModuleContext, Worker } from '@keel/core';
import { Config } from './config.js';
import { Storage } from './storage.js';

/** Every this many cycles, a tick fails on purpose. */
export const FAIL_EVERY = 5;
const WARNING_ID = 'tick-failed';

/**
 * A service worker that does periodic work and fails now and then, so the restart backoff,
 * the error reports and the failure status show in the logs.
 */
@Module()
export class Ticker {
  /** Cycles run so far, failed ones included. */
  cycles = 0;

  constructor(
    private readonly storage: Storage,
    private readonly config: Config,
    private readonly ctx: ModuleContext,
  ) {}

  /**
   * Ticks every `DEMO_TICK`. A failed cycle throws: the kernel reports it and restarts the
   * worker after 1 s × consecutive failures (at most 10 s), and the warning set here is
   * resolved by the next good cycle.
   */
  @Worker({ backoff: '1s', maxBackoff: '10s' })
  async tick(signal: AbortSignal): Promise<void> {
    for (;;) {
      // Kernel time (faked in tests); returns early when the module stops.
      await this.ctx.sleep(this.config.settings.tickMs);
      if (signal.aborted) return;
      this.cycles++;
      if (this.cycles % FAIL_EVERY === 0) {
        this.ctx.warning(
          WARNING_ID,
          'Ticker failed',
          `Cycle ${this.cycles} failed; the worker restarts with backoff.`,
        );
        throw new Error(
          `cycle ${this.cycles} failed (every ${FAIL_EVERY}th cycle fails on purpose)`,
        );
      }
      this.ctx.resolve(WARNING_ID);
      this.ctx.logger.info({ cycle: this.cycles, items: this.storage.size }, 'tick');
    }
  }
}
