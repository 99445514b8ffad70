import type { WorkOwner } from '../work/work-owner.js';
import { LinkedQueue } from '../util/linked-queue.js';
import type { QueueKind, TaskLink, TaskState } from './task-state.js';

/** Queue lengths, for inspect. */
export interface RunQueueStats {
  overdue: number;
  prioritized: number;
  normal: number;
  /** Queued tasks waiting for their module to come online. */
  parked: number;
}

/**
 * The kernel-wide task queue: overdue tasks (max delay passed) first, then prioritized, then
 * normal, each FIFO. Tasks of a module that is not online yet are parked per module, so they
 * do not block the queue, and return to the front once it is online.
 */
export class RunQueue {
  private readonly overdue = new LinkedQueue<TaskLink>();
  private readonly prioritized = new LinkedQueue<TaskLink>();
  private readonly normal = new LinkedQueue<TaskLink>();
  private readonly parked = new Map<WorkOwner, LinkedQueue<TaskLink>>();

  /** Appends `task` to a queue unless it already has a place there (or is parked from it). */
  add(task: TaskState, kind: QueueKind): void {
    const link = task.link(kind);
    if (link.queue === undefined) this.queueOf(kind).push(link);
  }

  /** Puts `task` at the front of the prioritized queue (unless overdue or parked already). */
  addFirst(task: TaskState): void {
    const link = task.link('prioritized');
    if (link.queue === undefined || link.queue === this.prioritized) this.prioritized.unshift(link);
  }

  /** Max delay passed: moves a queued task to the back of the overdue queue, ahead of all others. */
  promote(task: TaskState): void {
    const { prioritized, normal } = task;
    if (prioritized?.queue === this.prioritized) this.overdue.push(prioritized);
    else if (normal?.queue === this.normal) this.overdue.push(normal);
  }

  /** Takes `task` out of every queue. */
  remove(task: TaskState): void {
    const { prioritized, normal } = task;
    if (prioritized !== undefined) prioritized.queue?.remove(prioritized);
    if (normal !== undefined) normal.queue?.remove(normal);
  }

  /** The first queued task that is not busy (a busy one keeps its place until its run ends). */
  next(): TaskLink | undefined {
    return firstIdle(this.overdue) ?? firstIdle(this.prioritized) ?? firstIdle(this.normal);
  }

  /** Parks a link until its module is online; true for the module's first parked link. */
  park(link: TaskLink): boolean {
    const owner = link.task.owner;
    let queue = this.parked.get(owner);
    const first = queue === undefined;
    if (queue === undefined) {
      queue = new LinkedQueue<TaskLink>();
      this.parked.set(owner, queue);
    }
    queue.push(link);
    return first;
  }

  /** The module is online: its parked links go back to the front of their queues, in order. */
  unpark(owner: WorkOwner): void {
    const queue = this.parked.get(owner);
    this.parked.delete(owner);
    const links = queue?.drain() ?? [];
    for (let i = links.length - 1; i >= 0; i--) {
      const link = links[i]!;
      this.queueOf(link.kind).unshift(link);
    }
  }

  /** Forgets the (emptied) parking place of a module. */
  forget(owner: WorkOwner): void {
    if (this.parked.size === 0) return; // every module's stop asks: most have nothing parked
    const queue = this.parked.get(owner);
    this.parked.delete(owner);
    queue?.drain();
  }

  /** Empties every queue. */
  clear(): void {
    for (const queue of [this.overdue, this.prioritized, this.normal, ...this.parked.values()]) {
      queue.drain();
    }
    this.parked.clear();
  }

  /** Queue lengths. */
  stats(): RunQueueStats {
    let parked = 0;
    for (const queue of this.parked.values()) parked += queue.size;
    return {
      overdue: this.overdue.size,
      prioritized: this.prioritized.size,
      normal: this.normal.size,
      parked,
    };
  }

  private queueOf(kind: QueueKind): LinkedQueue<TaskLink> {
    return kind === 'prioritized' ? this.prioritized : this.normal;
  }
}

function firstIdle(queue: LinkedQueue<TaskLink>): TaskLink | undefined {
  for (let link = queue.head; link !== undefined; link = link.next) {
    if (!link.task.busy) return link;
  }
  return undefined;
}
