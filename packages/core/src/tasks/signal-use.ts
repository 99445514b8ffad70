/**
 * Whether a task function can see the arguments it is called with, so whether a run needs
 * a signal of its own. An `AbortController` costs about 700 bytes and a few microseconds,
 * and a function that declares no parameter (`() => refresh()`) can never read it.
 *
 * Conservative: a parameter (`fn.length`), rest or default parameters (length 0, yet they
 * see the arguments: anything between the parentheses counts), `arguments` in a function
 * that is not an arrow, and source that cannot be read (native, bound, proxied) all count
 * as "may read it". A false positive only costs the allocation. No regular expression over
 * the whole source: this runs at the first run of every task.
 */
export function mayReadArguments(fn: (...args: never[]) => unknown): boolean {
  try {
    if (fn.length > 0) return true;
    const source = Function.prototype.toString.call(fn);
    const open = source.indexOf('(');
    if (open < 0) return true;
    let i = skipSpace(source, open + 1);
    if (source.charCodeAt(i) !== CLOSE_PAREN) return true;
    i = skipSpace(source, i + 1);
    // An arrow's `arguments` is its enclosing function's, never the task's.
    if (source.startsWith('=>', i)) return false;
    return source.includes('arguments') || source.endsWith('[native code] }');
  } catch {
    return true;
  }
}

const CLOSE_PAREN = 0x29;

function skipSpace(source: string, from: number): number {
  let i = from;
  while (i < source.length && source.charCodeAt(i) <= 0x20) i++;
  return i;
}
