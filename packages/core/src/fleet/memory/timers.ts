import type { Clock } from '../../time/clock.js';

/** Formats any thrown value for a record (dead letters, failed jobs); never throws. */
export function errorText(err: unknown): string {
  try {
    if (err instanceof Error) return err.message || err.name;
    return String(err);
  } catch {
    return 'unprintable error';
  }
}

/**
 * Timers armed on the fleet clock for one owner (a replica's connection), so closing or
 * killing the owner clears every one of them.
 */
export class OwnedTimers {
  private readonly handles = new Set<unknown>();

  constructor(
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void,
  ) {}

  set(fn: () => void, ms: number): unknown {
    const handle = this.clock.setTimeout(
      () => {
        this.handles.delete(handle);
        try {
          fn();
        } catch (err) {
          this.onError(err);
        }
      },
      Math.max(0, ms),
    );
    this.handles.add(handle);
    return handle;
  }

  clear(handle: unknown): void {
    if (this.handles.delete(handle)) this.clock.clearTimeout(handle);
  }

  clearAll(): void {
    for (const handle of this.handles) this.clock.clearTimeout(handle);
    this.handles.clear();
  }
}

/**
 * One re-armable wake-up of a shared fleet structure (a consumer group, a queue, a task):
 * armed only while a live replica needs it, so a fleet whose replicas all left has no timer.
 */
export class Alarm {
  private handle: unknown;
  private at: number | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly fire: () => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Wakes at `at` (epoch ms), replacing any earlier setting; `undefined` disarms. */
  arm(at: number | undefined): void {
    if (at === this.at && this.handle !== undefined) return;
    this.clear();
    if (at === undefined) return;
    this.at = at;
    this.handle = this.clock.setTimeout(
      () => {
        this.handle = undefined;
        this.at = undefined;
        try {
          this.fire();
        } catch (err) {
          this.onError(err);
        }
      },
      Math.max(0, at - this.clock.now()),
    );
  }

  clear(): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    this.at = undefined;
  }
}
