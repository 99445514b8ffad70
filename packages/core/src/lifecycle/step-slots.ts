/**
 * At most `concurrency` lifecycle steps in flight at once, the rest wait in FIFO order: what
 * `p-limit` did for the kernel. Its own small class so that importing `@keel/core` loads no
 * extra package, and so that the phase runner's check for a free slot, once per module,
 * reads two fields instead of calling three getters. The microtask structure is p-limit 7's
 * (a call begins one microtask after it got its slot; the slot frees one turn after the
 * call settles), so steps interleave as they did.
 */
export class StepSlots {
  /** Calls holding a slot. */
  activeCount = 0;
  /** Wake-ups of calls waiting for a slot, oldest at `head`. */
  private readonly waiting: Array<() => void> = [];
  private head = 0;

  constructor(readonly concurrency: number) {}

  /** Calls waiting for a slot. */
  get pendingCount(): number {
    return this.waiting.length - this.head;
  }

  /** Runs `fn` once a slot is free; settles as `fn`'s result does. */
  run<T>(fn: () => T | PromiseLike<T>): Promise<T> {
    return new Promise<T>((resolve) => {
      void new Promise<void>((wake) => this.waiting.push(wake)).then(() => this.begin(fn, resolve));
      if (this.activeCount < this.concurrency) this.resumeNext();
    });
  }

  private async begin<T>(
    fn: () => T | PromiseLike<T>,
    resolve: (result: Promise<T>) => void,
  ): Promise<void> {
    const result = (async () => fn())();
    resolve(result);
    try {
      await result;
    } catch {
      // The caller sees the rejection through `result`.
    }
    this.activeCount--;
    this.resumeNext();
  }

  private resumeNext(): void {
    if (this.activeCount >= this.concurrency || this.head === this.waiting.length) return;
    this.activeCount++;
    const wake = this.waiting[this.head]!;
    if (++this.head === this.waiting.length) {
      this.waiting.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.waiting.length) {
      // A queue that never empties: drop the woken part now and then (memory O(waiting)).
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
    wake();
  }
}
