import { KeelError } from '@keel/core';

/** The code `fn` throws: a KeelError's code, `raw …` for anything else, undefined if it returns. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof KeelError ? err.code : `raw ${String(err)}`;
  }
  return undefined;
}
