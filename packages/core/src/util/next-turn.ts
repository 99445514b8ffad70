/**
 * Resolves on the next macrotask turn, after due timers: where a loop would otherwise go on
 * in microtasks only (and starve every timer, the kernel's deadlines included).
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
