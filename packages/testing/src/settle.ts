import { setImmediate as nextMacrotask } from 'node:timers/promises';

/** Macrotask turns {@link settle} waits by default. */
export const DEFAULT_SETTLE_TURNS = 5;

/**
 * Lets pending promise work run: waits `turns` real macrotask turns (`setImmediate`), each
 * of which drains the whole microtask and `process.nextTick` queue first.
 *
 * Why several turns: one turn finishes any chain of plain promises, but code that itself
 * hops through a macrotask (a stream callback, a `setImmediate`) needs one more per hop.
 * It uses `node:timers/promises` rather than the global `setImmediate`, so it still works
 * when a test has installed Jest's fake timers on the global object.
 */
export async function settle(turns: number = DEFAULT_SETTLE_TURNS): Promise<void> {
  for (let i = 0; i < turns; i++) await nextMacrotask();
}
