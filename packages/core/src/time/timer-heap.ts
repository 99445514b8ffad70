import { nextTurn } from '../util/next-turn.js';
import { monotonicOf, systemClock, type Clock } from './clock.js';

/** A pending deadline in a {@link TimerHeap}. Keep it to cancel or move the deadline. */
export interface Timer {
  /** Due time, in the clock's monotonic milliseconds. */
  readonly at: number;
  /** Position in the heap; negative once fired or cancelled. */
  readonly index: number;
}

/**
 * What the heap holds. A long-lived owner of a deadline (a task) can be its own entry and be
 * added with {@link TimerHeap.move}: no separate entry object and closure per deadline.
 */
export interface TimerEntry extends Timer {
  at: number;
  index: number;
  /** Tie-break among equal due times: first added (or moved) fires first. */
  seq: number;
  /** Called once the clock reached `at`. */
  fire(): void;
}

/** The entry of a plain `at(at, fn)` deadline. */
class FnEntry implements TimerEntry {
  index = -1;
  constructor(
    public at: number,
    public seq: number,
    private readonly fn: () => void,
  ) {}

  fire(): void {
    this.fn();
  }
}

type Entry = TimerEntry;

const MAX_TIMEOUT = 2_147_483_647;

/**
 * Compact once the dead slots exceed this multiple of the live ones (plus
 * {@link COMPACT_SLACK}): memory stays O(live), and each O(n) compaction is paid for by the
 * ≥ 2n/3 cancels since the last one, so a cancel stays O(1) amortised.
 */
const COMPACT_RATIO = 2;
/** Small heaps never compact: popping a few dead slots costs less than the pass. */
const COMPACT_SLACK = 1024;

const noop = (): void => {};

/**
 * Every deadline of one kernel in a binary min-heap, with ONE armed clock timer for the
 * earliest. Adding and moving a deadline are O(log n) at worst and O(1) on average for random
 * due times (a new entry is near the bottom, where most entries are). Cancelling is O(1): the
 * slot becomes a tombstone (the heap's own sentinel entry, its due time left in `keys`), so
 * no other entry is touched; dead slots are dropped as they reach the top, all at once when
 * the last live deadline goes, and by a compaction when they outnumber the live ones
 * ({@link COMPACT_RATIO}). The clock timer is re-armed only when the earliest deadline moves
 * earlier (an early wake-up simply re-arms).
 */
export class TimerHeap {
  private readonly heap: Entry[] = [];
  /**
   * `heap[i].at` at `keys[i]`: a sift compares due times in one array instead of reading
   * entries scattered in memory (it touches an entry only to move it).
   */
  private keys = new Float64Array(64);
  /**
   * What a cancelled slot holds: the heap must not keep a cancelled entry alive. Its `at`
   * and `index` are never read (a slot's due time is in `keys`); `seq` -1 so that a dead slot
   * sorts first among equal due times (dropped sooner, and a consistent order).
   */
  private readonly tomb: Entry = new FnEntry(NaN, -1, noop);
  /** Tombstones in {@link heap}. */
  private dead = 0;
  private handle: unknown = undefined;
  private armedAt = Infinity;
  private seq = 0;
  private firing = false;
  private closed = false;
  private readonly monotonic: () => number;
  /** The clock has a monotonic reading: a past reading is a lower bound of the time now. */
  private readonly steady: boolean;
  /** The latest monotonic reading of the heap, when {@link steady}. */
  private reading = -Infinity;
  /**
   * Monotonic minus wall time, read once per synchronous turn (NaN: not read in this turn).
   * Only for the system clock: a fake clock's wall time can be set within a turn.
   */
  private wallOffset = NaN;
  private readonly cachesOffset: boolean;
  private readonly forgetOffset = (): void => {
    this.wallOffset = NaN;
  };

  constructor(
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void,
  ) {
    this.monotonic = monotonicOf(clock);
    this.steady = typeof clock.monotonic === 'function';
    this.cachesOffset = clock === systemClock;
  }

  /**
   * The clock's monotonic time: every deadline of the heap is on it (a wall-clock step
   * does not move it).
   */
  now(): number {
    return this.monotonic();
  }

  /**
   * True once the monotonic clock reached `at`: from the heap's latest reading when that one
   * already passed `at` (it reads the clock as it fires), else from a new one.
   */
  reached(at: number): boolean {
    if (at <= this.reading) return true;
    const now = this.monotonic();
    if (this.steady) this.reading = now;
    return at <= now;
  }

  /**
   * The monotonic time at which the wall clock will read `wallAt`, as of now. With the
   * system clock, the offset between the two is read once per synchronous turn (again in
   * the next): exact unless the wall clock steps within the turn, and then as if it had
   * stepped just after the call.
   */
  fromWall(wallAt: number): number {
    return wallAt + this.offset();
  }

  /** The wall time a monotonic `at` corresponds to, as of now (see {@link fromWall}). */
  toWall(at: number): number {
    return at - this.offset();
  }

  /** Monotonic minus wall time. */
  private offset(): number {
    if (!this.cachesOffset) return this.monotonic() - this.clock.now();
    let offset = this.wallOffset;
    if (offset !== offset) {
      offset = this.wallOffset = this.monotonic() - this.clock.now();
      queueMicrotask(this.forgetOffset);
    }
    return offset;
  }

  /** Number of pending deadlines. */
  get size(): number {
    return this.heap.length - this.dead;
  }

  /** Calls `fn` once the monotonic clock reaches `at` (never earlier). */
  at(at: number, fn: () => void): Timer {
    const entry = new FnEntry(at, this.seq++, fn);
    // A closed heap never fires and holds nothing.
    if (this.closed) return entry;
    this.grow();
    this.heap.push(entry);
    this.up(this.heap.length - 1, at);
    this.arm();
    return entry;
  }

  /** Calls `fn` after `ms` milliseconds of clock time. */
  after(ms: number, fn: () => void): Timer {
    return this.at(this.monotonic() + ms, fn);
  }

  /**
   * Cancels a pending deadline; a fired or cancelled one is ignored. Its slot becomes a
   * tombstone without touching any other entry (removing it would sift, and the cache
   * misses of that sift were most of a cancel's cost); the entry is out of the heap at once.
   */
  cancel(timer: Timer | undefined): void {
    const entry = timer as Entry | undefined;
    if (entry === undefined || entry.index < 0) return;
    this.heap[entry.index] = this.tomb;
    entry.index = -1;
    const live = this.heap.length - ++this.dead;
    if (live === 0) this.clear();
    else if (this.dead > COMPACT_RATIO * live + COMPACT_SLACK) this.compact();
  }

  /**
   * Moves a pending deadline to `at`, or adds one that is not in the heap (fired, cancelled,
   * or a {@link TimerEntry} with index -1 that was never added).
   */
  move(timer: Timer, at: number): void {
    const entry = timer as Entry;
    if (this.closed) return;
    entry.at = at;
    entry.seq = this.seq++;
    if (entry.index < 0) {
      this.grow();
      this.heap.push(entry);
      this.up(this.heap.length - 1, at);
    } else {
      this.up(entry.index, at);
      this.down(entry.index, at);
    }
    this.arm();
  }

  /**
   * Resolves after `ms` of clock time, or early (without rejecting) when `signal` aborts.
   * A sleep that is over before it began (aborted signal, closed heap) still resolves on a
   * macrotask: a loop of such sleeps that ignores its signal must not starve the timers
   * (the stop and shutdown deadlines) with an endless chain of microtasks.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true || this.closed) return nextTurn();
    return new Promise((resolve) => {
      const done = (): void => {
        this.cancel(timer);
        if (signal !== undefined) this.forgetSleeper(signal, done);
        resolve();
      };
      const timer = this.after(ms, done);
      if (signal !== undefined) this.addSleeper(signal, done);
    });
  }

  /** Sleepers per signal: ONE abort listener per signal, however many sleep on it. */
  private readonly sleepers = new WeakMap<
    AbortSignal,
    { wake: Set<() => void>; listener: () => void }
  >();

  private addSleeper(signal: AbortSignal, wake: () => void): void {
    let entry = this.sleepers.get(signal);
    if (entry === undefined) {
      const woken = new Set<() => void>();
      const listener = (): void => {
        this.sleepers.delete(signal);
        for (const sleeper of [...woken]) sleeper();
      };
      entry = { wake: woken, listener };
      this.sleepers.set(signal, entry);
      signal.addEventListener('abort', listener, { once: true });
    }
    entry.wake.add(wake);
  }

  private forgetSleeper(signal: AbortSignal, wake: () => void): void {
    const entry = this.sleepers.get(signal);
    if (entry === undefined || !entry.wake.delete(wake) || entry.wake.size > 0) return;
    this.sleepers.delete(signal);
    signal.removeEventListener('abort', entry.listener);
  }

  /**
   * Time is up for good: every pending deadline fires now, in due order (a deadline
   * nobody will wait for any more ends its wait), and nothing is armed again. A deadline
   * added later never fires; waits that use {@link closed} end at once instead.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const tomb = this.tomb;
    const pending = this.heap
      .filter((entry) => entry !== tomb)
      .sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.clear();
    for (const entry of pending) {
      try {
        entry.fire();
      } catch (err) {
        this.onError(err);
      }
    }
  }

  /** True once {@link close} ran. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Drops every deadline and the armed clock timer. */
  clear(): void {
    // Only live entries need it (dead slots hold the tomb); none are left when the last
    // cancel cleared.
    if (this.heap.length > this.dead) for (const entry of this.heap) entry.index = -1;
    this.heap.length = 0;
    this.dead = 0;
    this.disarm();
  }

  private arm(): void {
    if (this.firing) return;
    // Arm for the earliest LIVE deadline, not a cancelled one.
    while (this.heap[0] === this.tomb) this.dropTop();
    if (this.heap.length === 0) return;
    const at = this.keys[0]!;
    if (this.handle !== undefined && this.armedAt <= at) return;
    this.disarm();
    const delay = Math.min(MAX_TIMEOUT, Math.max(0, at - this.monotonic()));
    this.armedAt = at;
    this.handle = this.clock.setTimeout(() => this.fire(), delay);
  }

  /** Drops the tombstone at the top. */
  private dropTop(): void {
    this.removeAt(0);
    this.dead--;
  }

  /**
   * Drops every tombstone: the live entries keep their relative order in the array (with
   * their keys) and a bottom-up heapify restores the heap, O(n).
   */
  private compact(): void {
    const heap = this.heap;
    const keys = this.keys;
    const tomb = this.tomb;
    let j = 0;
    for (let i = 0; i < heap.length; i++) {
      const entry = heap[i]!;
      if (entry === tomb) continue;
      heap[j] = entry;
      keys[j] = keys[i]!;
      entry.index = j++;
    }
    heap.length = j;
    this.dead = 0;
    for (let i = (j >> 1) - 1; i >= 0; i--) this.down(i, keys[i]!);
  }

  private disarm(): void {
    if (this.handle === undefined) return;
    this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    this.armedAt = Infinity;
  }

  private fire(): void {
    this.handle = undefined;
    this.armedAt = Infinity;
    this.firing = true;
    try {
      // One reading while it shows the next entry due, a new one when it does not (a
      // callback may take time, and a due time is never early).
      let now = this.monotonic();
      if (this.steady) this.reading = now;
      const tomb = this.tomb;
      for (let first = this.heap[0]; first !== undefined; first = this.heap[0]) {
        if (first === tomb) {
          this.dropTop();
          continue;
        }
        const at = this.keys[0]!;
        if (at > now) {
          now = this.monotonic();
          if (this.steady) this.reading = now;
          if (at > now) break;
        }
        this.removeAt(0);
        first.index = -1;
        try {
          first.fire();
        } catch (err) {
          this.onError(err);
        }
      }
    } finally {
      this.firing = false;
      this.arm();
    }
  }

  /** Makes room for one more entry in {@link keys}. */
  private grow(): void {
    if (this.heap.length < this.keys.length) return;
    const keys = new Float64Array(this.keys.length * 2);
    keys.set(this.keys);
    this.keys = keys;
  }

  /**
   * Empties the slot at `index` (the last entry takes it); the caller resets the removed
   * entry's `index`. The moving entry's due time comes from `keys` (it may be the tomb).
   */
  private removeAt(index: number): void {
    const heap = this.heap;
    const last = heap.pop()!;
    const length = heap.length;
    if (index < length) {
      const at = this.keys[length]!;
      heap[index] = last;
      if (index > 0 && this.less(at, last.seq, (index - 1) >> 1)) this.up(index, at);
      else this.down(index, at);
    }
  }

  /** Due at `at` with `seq` is before the slot at `pos` (first added or moved first among equals). */
  private less(at: number, seq: number, pos: number): boolean {
    const key = this.keys[pos]!;
    return at < key || (at === key && seq < this.heap[pos]!.seq);
  }

  /** Sifts the entry at `index`, due at `at` (its key: an entry's own `at` is not read). */
  private up(index: number, at: number): void {
    const heap = this.heap;
    const keys = this.keys;
    const entry = heap[index]!;
    const seq = entry.seq;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      if (!this.less(at, seq, parentIndex)) break;
      const parent = heap[parentIndex]!;
      heap[index] = parent;
      keys[index] = keys[parentIndex]!;
      parent.index = index;
      index = parentIndex;
    }
    heap[index] = entry;
    keys[index] = at;
    entry.index = index;
  }

  /** Sifts the entry at `index`, due at `at`, down. */
  private down(index: number, at: number): void {
    const heap = this.heap;
    const keys = this.keys;
    const length = heap.length;
    const entry = heap[index]!;
    const seq = entry.seq;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      let key = keys[left]!;
      if (right < length) {
        const rightKey = keys[right]!;
        if (rightKey < key || (rightKey === key && heap[right]!.seq < heap[left]!.seq)) {
          child = right;
          key = rightKey;
        }
      }
      const candidate = heap[child]!;
      if (!(key < at || (key === at && candidate.seq < seq))) break;
      heap[index] = candidate;
      keys[index] = key;
      candidate.index = index;
      index = child;
    }
    heap[index] = entry;
    keys[index] = at;
    entry.index = index;
  }
}
