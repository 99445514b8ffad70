import type { Timer, TimerHeap } from './timer-heap.js';

const MAX_IDLE_LANES = 16;

/** Something with a deadline that can be in one lane (a waiting microtask, a queued task). */
export interface LaneNode<N extends LaneNode<N>> {
  /** Its deadline, in the timer heap's time: now + its lane's delay when it joined. */
  readonly deadline: number;
  lane: DeadlineLane<N> | undefined;
  lanePrev: N | undefined;
  laneNext: N | undefined;
}

/** The nodes that share one delay, in arrival order and so in deadline order. */
export interface DeadlineLane<N extends LaneNode<N>> {
  readonly delayMs: number;
  head: N | undefined;
  tail: N | undefined;
  /** One kernel timer entry for the whole lane, at (or before) the head's deadline. */
  timer: Timer | undefined;
}

/**
 * Max-delay deadlines (of waiting microtasks, of queued tasks). Nodes with the same delay expire in
 * arrival order, so each lane needs ONE entry in the shared {@link TimerHeap} (for its head)
 * instead of one per waiter: joining and leaving a lane are O(1) and touch no timer. A lane's
 * entry is only re-aimed when it fires, so it may fire early for a waiter that already left;
 * it then simply moves on to the new head.
 */
export class DeadlineLanes<N extends LaneNode<N>> {
  private readonly lanes = new Map<number, DeadlineLane<N>>();

  constructor(
    private readonly timers: TimerHeap,
    private readonly onExpired: (node: N) => void,
    /** Cancel a lane's timer entry when its last node leaves (nothing left pending). */
    private readonly cancelWhenEmpty = false,
  ) {}

  /** Adds `waiter` to the lane of `delayMs`; its deadline must be now + delayMs. */
  add(waiter: N, delayMs: number): void {
    let lane = this.lanes.get(delayMs);
    if (lane === undefined) {
      lane = { delayMs, head: undefined, tail: undefined, timer: undefined };
      this.lanes.set(delayMs, lane);
    }
    waiter.lane = lane;
    waiter.lanePrev = lane.tail;
    if (lane.tail === undefined) lane.head = waiter;
    else lane.tail.laneNext = waiter;
    lane.tail = waiter;
    this.aim(lane, waiter.deadline);
  }

  /** Takes `waiter` out of its lane (it got a slot); O(1), its lane's timer stays as it is. */
  remove(waiter: N): void {
    const lane = waiter.lane;
    if (lane === undefined) return;
    const { lanePrev, laneNext } = waiter;
    if (lanePrev === undefined) lane.head = laneNext;
    else lanePrev.laneNext = laneNext;
    if (laneNext === undefined) lane.tail = lanePrev;
    else laneNext.lanePrev = lanePrev;
    waiter.lane = waiter.lanePrev = waiter.laneNext = undefined;
    if (this.cancelWhenEmpty && lane.head === undefined) {
      this.timers.cancel(lane.timer);
      // An empty lane is kept for reuse (its timer entry too), but never more than a few.
      if (this.lanes.size > MAX_IDLE_LANES) this.lanes.delete(lane.delayMs);
    }
  }

  /** Forgets every lane and cancels their timer entries. */
  clear(): void {
    for (const lane of this.lanes.values()) {
      this.timers.cancel(lane.timer);
      while (lane.head !== undefined) this.remove(lane.head);
    }
    this.lanes.clear();
  }

  private aim(lane: DeadlineLane<N>, at: number): void {
    const timer = lane.timer;
    if (timer === undefined) lane.timer = this.timers.at(at, () => this.fire(lane));
    else if (timer.index < 0 || timer.at > at) this.timers.move(timer, at);
  }

  private fire(lane: DeadlineLane<N>): void {
    const now = this.timers.now();
    for (let head = lane.head; head !== undefined && head.deadline <= now; head = lane.head) {
      this.remove(head);
      this.onExpired(head);
    }
    if (lane.head !== undefined) this.aim(lane, lane.head.deadline);
    else this.lanes.delete(lane.delayMs);
  }
}
