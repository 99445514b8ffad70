/** A one-line description of any thrown value; never throws (cyclic, null, hostile getters). */
export function describeError(error: unknown): string {
  try {
    if (error instanceof Error) return error.message || error.name;
    if (typeof error === 'string') return error;
    return JSON.stringify(error) ?? String(error);
  } catch {
    try {
      return String(error);
    } catch {
      return 'an unprintable error';
    }
  }
}
