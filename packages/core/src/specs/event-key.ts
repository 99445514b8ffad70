import type { ModuleClass } from '../decorators/metadata.js';

/** An event declared once with its payload type, for compile-time checked triggers and hooks. */
export interface EventKey<P> {
  readonly module: ModuleClass | string | (() => ModuleClass);
  readonly event: string;
  /** Carries the payload type; never set at run time. */
  readonly __payload?: (payload: P) => void;
}

/**
 * Declares a typed event of a module, so `ctx.triggerEvent(key, data)` and `@OnEvent(key)`
 * check the payload at compile time. The event must still be listed in `@Module({ events })`.
 * @example
 * ```ts
 * export const ConfigChanged = defineEvent<{ key: string }>('config', 'changed');
 * ```
 */
export function defineEvent<P>(
  module: ModuleClass | string | (() => ModuleClass),
  event: string,
): EventKey<P> {
  return Object.freeze({ module, event });
}
