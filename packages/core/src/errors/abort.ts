import { isInstance, safeGet } from './safe.js';

/** True for the error cooperative work throws because its signal aborted: not a failure. */
export function endedByAbort(err: unknown, signal: AbortSignal): boolean {
  if (!signal.aborted) return false;
  return err === signal.reason || (isInstance(err, Error) && safeGet(err, 'name') === 'AbortError');
}
