import { Module, ModuleContext, OnEvent, Task, Worker } from '@keel/core';
import { createTestKernel } from '@keel/testing';

/** The outside world the feed talks to (a remote service in production). */
class Upstream {
  /** Holds a live connection until `signal` aborts; throws when the connection fails. */
  async listen(signal: AbortSignal): Promise<void> {
    void signal;
    throw new Error('not wired in this example');
  }
  /** The current items. */
  async fetchItems(): Promise<string[]> {
    return [];
  }
}

@Module({ name: 'feed', events: ['refreshed'] })
class Feed {
  items: string[] = [];

  constructor(
    private readonly ctx: ModuleContext,
    private readonly upstream: Upstream,
  ) {}

  /** Keeps a live connection open; restarted after 2s, 4s, 6s… when it fails. */
  @Worker({ backoff: '2s' })
  async listen(signal: AbortSignal): Promise<void> {
    await this.upstream.listen(signal);
  }

  /** Re-reads the items every hour (the first run one hour after start). */
  @Task({ every: '1h' })
  async refresh(): Promise<void> {
    this.items = await this.upstream.fetchItems();
    await this.ctx.triggerEvent('refreshed', this.items.length);
  }
}

@Module({ name: 'stats' })
class Stats {
  refreshes = 0;
  lastCount = 0;

  @OnEvent(Feed, 'refreshed')
  onRefreshed(count: number): void {
    this.refreshes++;
    this.lastCount = count;
  }
}

describe('worked example: a week in the life of a feed', () => {
  it('runs 168 hourly refreshes, backs off 2s/4s/6s, and feeds the hook', async () => {
    const HOUR = 3_600_000;
    const connects: number[] = [];
    const fetches: number[] = [];
    const fakeUpstream: Upstream = {
      async listen(signal) {
        connects.push(k.clock.now());
        if (connects.length <= 3)
          throw new Error(`connection refused (attempt ${connects.length})`);
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      },
      async fetchItems() {
        fetches.push(k.clock.now());
        return ['a', 'b', 'c'];
      },
    };
    const k = createTestKernel({
      modules: [Feed, Stats],
      overrides: [{ provide: Upstream, useValue: fakeUpstream }],
    });
    const t0 = k.clock.now();

    await k.start();
    await k.clock.advance('7d');

    // The hourly task: exactly one run per hour, the first one hour after start.
    expect(fetches).toHaveLength(168);
    expect(fetches[0]).toBe(t0 + HOUR);
    expect(fetches.at(-1)).toBe(t0 + 168 * HOUR);
    expect(fetches.every((at, i) => at === t0 + (i + 1) * HOUR)).toBe(true);

    // The service worker: three failures, restarted after 2s, 4s and 6s, then connected.
    expect(connects.map((at) => at - t0)).toEqual([0, 2_000, 6_000, 12_000]);
    expect(k.errors.map((e) => [e.module, e.taskName, e.message])).toEqual([
      ['feed', 'listen', 'connection refused (attempt 1)'],
      ['feed', 'listen', 'connection refused (attempt 2)'],
      ['feed', 'listen', 'connection refused (attempt 3)'],
    ]);

    // The hook saw every refresh.
    const stats = k.module(Stats).instance as Stats;
    expect(stats.refreshes).toBe(168);
    expect(stats.lastCount).toBe(3);

    await k.shutdown();
    k.expectNoLeaks();
  });
});
