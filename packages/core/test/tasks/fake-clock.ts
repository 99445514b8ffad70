import type { Clock } from '../../src/time/clock.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/** Lets pending promise callbacks (async task bodies) run. */
export async function settle(turns = 4): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * A deterministic clock for tests: time moves only with `advance`, which fires due
 * timeouts in order and lets async work settle between them. Counts pending timeouts so a
 * test can assert how many clock timers the kernel armed.
 */
export class FakeClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();

  constructor(start: number | Date = Date.UTC(2024, 0, 1)) {
    this.time = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.time + Math.max(0, ms), seq: id, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Number of armed timeouts. */
  get pendingTimeouts(): number {
    return this.pending.size;
  }

  /** Moves time forward by `ms`, firing due timeouts in order and settling after each. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await settle();
    for (;;) {
      const next = this.earliest();
      if (next === undefined || next[1].at > target) break;
      this.pending.delete(next[0]);
      this.time = Math.max(this.time, next[1].at);
      next[1].fn();
      await settle();
    }
    this.time = target;
    await settle();
  }

  private earliest(): [number, Pending] | undefined {
    let best: [number, Pending] | undefined;
    for (const entry of this.pending) {
      const [, p] = entry;
      if (best === undefined || p.at < best[1].at || (p.at === best[1].at && p.seq < best[1].seq))
        best = entry;
    }
    return best;
  }
}
