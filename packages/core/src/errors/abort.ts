/** True for the error cooperative work throws because its signal aborted: not a failure. */
export function endedByAbort(err: unknown, signal: AbortSignal): boolean {
  if (!signal.aborted) return false;
  return err === signal.reason || (err instanceof Error && err.name === 'AbortError');
}
