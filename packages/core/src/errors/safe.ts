/**
 * Helpers that inspect thrown values without ever throwing themselves. Module code may throw
 * anything: a revoked Proxy (`instanceof` throws), an `Object.create(null)` with a cycle, an
 * object whose `toString` or `toJSON` throws. Reporting such a value must not fail in turn.
 */

/** Longest printed form of a thrown value; longer ones are cut. */
const MAX_PRINTED = 2000;

/** `value instanceof ctor`, or false when the check itself throws (a revoked Proxy). */
export function isInstance<T>(
  value: unknown,
  ctor: abstract new (...args: never[]) => T,
): value is T {
  try {
    return value instanceof ctor;
  } catch {
    return false;
  }
}

/** `value[key]`, or undefined when reading it throws. */
export function safeGet(value: unknown, key: string): unknown {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function'))
    return undefined;
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** A short printable form of any value: JSON, else `String()`, else its type. Never throws. */
export function printValue(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    try {
      text = String(value);
    } catch {
      try {
        text = Object.prototype.toString.call(value);
      } catch {
        text = `(unprintable ${typeof value})`;
      }
    }
  }
  return text.length > MAX_PRINTED ? `${text.slice(0, MAX_PRINTED)}…` : text;
}

/** A readable message for any thrown value. Never throws. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  if (isInstance(value, Error)) {
    const message = safeGet(value, 'message');
    return typeof message === 'string' ? message : printValue(message);
  }
  return `non-error value thrown: ${printValue(value)}`;
}

/** `text` without its final periods, to end a sentence of one's own after it. */
export function clause(text: string): string {
  return text.replace(/\.+$/, '');
}

/** The stack of an Error, when it has a readable one. */
export function stackOf(value: unknown): string | undefined {
  if (!isInstance(value, Error)) return undefined;
  const stack = safeGet(value, 'stack');
  return typeof stack === 'string' ? stack : undefined;
}
