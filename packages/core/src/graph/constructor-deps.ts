import 'reflect-metadata';
import type { ModuleClass } from '../decorators/metadata.js';

// tsyringe keeps `@inject` tokens under this key on the class (tsyringe/src/reflection-helpers).
const INJECTION_TOKENS = 'injectionTokens';

/** No parameters: one frozen list for every such class. */
const NONE: readonly never[] = Object.freeze([]);

/**
 * The constructor parameter tokens of a class: the emitted `design:paramtypes`, with
 * `@inject(token)` overrides by index. Works without `emitDecoratorMetadata` when every
 * parameter has an `@inject`.
 */
export function constructorTokens(cls: ModuleClass): readonly unknown[] {
  const types = Reflect.getMetadata('design:paramtypes', cls) as unknown[] | undefined;
  const injected = Reflect.getOwnMetadata(INJECTION_TOKENS, cls) as
    Record<string, unknown> | undefined;
  // The common cases (no `@inject`, often no parameters) copy nothing they do not return.
  if (injected === undefined) {
    return types === undefined || types.length === 0 ? NONE : Array.from(types, unwrapToken);
  }
  const params = [...(types ?? [])];
  for (const [index, token] of Object.entries(injected)) params[Number(index)] = token;
  return params.map(unwrapToken);
}

/** `@inject(token)` may wrap tokens (`delay()`, transform descriptors); get to the class or name. */
function unwrapToken(token: unknown): unknown {
  if (token !== null && typeof token === 'object') {
    const record = token as { token?: unknown; wrap?: () => unknown };
    if ('token' in record) return unwrapToken(record.token);
    if (typeof record.wrap === 'function') {
      try {
        return record.wrap();
      } catch {
        return token;
      }
    }
  }
  return token;
}
