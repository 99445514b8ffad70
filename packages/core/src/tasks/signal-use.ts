/**
 * Whether a task function can see the arguments it is called with, so whether a run needs
 * a signal of its own. An `AbortController` costs about 700 bytes and a few microseconds,
 * and a function that declares no parameter (`() => refresh()`) can never read it.
 *
 * Conservative: a parameter (`fn.length`), rest or default parameters (length 0, yet they
 * see the arguments), `arguments`, and source that cannot be read (native, bound, proxied)
 * all count as "may read it". A false positive only costs the allocation.
 */
export function mayReadArguments(fn: (...args: never[]) => unknown): boolean {
  try {
    if (fn.length > 0) return true;
    const source = Function.prototype.toString.call(fn);
    if (/\.\.\.|\barguments\b|\[native code\]/.test(source)) return true;
    // A default parameter: an `=` before the parameter list closes.
    const close = source.indexOf(')');
    return close < 0 || source.lastIndexOf('=', close) >= 0;
  } catch {
    return true;
  }
}
