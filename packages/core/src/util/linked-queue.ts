/**
 * A node of a {@link LinkedQueue}. Subclass it: the links live on the node itself, so putting
 * something in a queue allocates nothing, and removing it from the middle is O(1).
 */
export class QueueNode<N extends QueueNode<N>> {
  prev: N | undefined = undefined;
  next: N | undefined = undefined;
  /** The queue this node is in, if any; a node is in at most one queue at a time. */
  queue: LinkedQueue<N> | undefined = undefined;
}

/**
 * An intrusive doubly-linked FIFO: O(1) push, unshift, shift and removal of any node.
 * Used instead of arrays so that long queues never pay for `Array.shift`.
 */
export class LinkedQueue<N extends QueueNode<N>> {
  private first: N | undefined = undefined;
  private last: N | undefined = undefined;
  private count = 0;

  /** Number of nodes in the queue. */
  get size(): number {
    return this.count;
  }

  /** The first node, without removing it. */
  get head(): N | undefined {
    return this.first;
  }

  /** True if `node` is in this queue. */
  has(node: N): boolean {
    return node.queue === this;
  }

  /** Appends `node`, taking it out of any queue it is in. */
  push(node: N): void {
    node.queue?.remove(node);
    node.queue = this;
    node.prev = this.last;
    if (this.last === undefined) this.first = node;
    else this.last.next = node;
    this.last = node;
    this.count++;
  }

  /** Puts `node` first, taking it out of any queue it is in (also this one). */
  unshift(node: N): void {
    node.queue?.remove(node);
    node.queue = this;
    node.next = this.first;
    if (this.first === undefined) this.last = node;
    else this.first.prev = node;
    this.first = node;
    this.count++;
  }

  /** Removes and returns the first node. */
  shift(): N | undefined {
    const node = this.first;
    if (node !== undefined) this.remove(node);
    return node;
  }

  /** Removes `node` if it is in this queue; returns whether it was. */
  remove(node: N): boolean {
    if (node.queue !== this) return false;
    const { prev, next } = node;
    if (prev === undefined) this.first = next;
    else prev.next = next;
    if (next === undefined) this.last = prev;
    else next.prev = prev;
    node.prev = node.next = undefined;
    node.queue = undefined;
    this.count--;
    return true;
  }

  /** Removes every node and returns them in order. */
  drain(): N[] {
    const nodes: N[] = [];
    for (let node = this.shift(); node !== undefined; node = this.shift()) nodes.push(node);
    return nodes;
  }
}
