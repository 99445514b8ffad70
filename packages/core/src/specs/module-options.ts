import type { ModuleOptions } from '../decorators/metadata.js';
import { declarationOptionError } from '../errors/catalog.js';

/**
 * Checks `@Module` options at `Kernel.create` (the decorator only records them).
 * @throws KeelError `E_INVALID_OPTION` naming the class and the option.
 * Types first: options that would otherwise be iterated letter by letter, or crash.
 */
export function checkModuleOptions(
  cls: string,
  options: unknown,
): asserts options is ModuleOptions {
  const bad = (message: string, option: string) =>
    declarationOptionError(`@Module on class "${cls}"`, option, message);
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw bad(
      `options must be an object like { name: 'db' }, got ${options === null ? 'null' : typeof options}.`,
      'options',
    );
  }
  const { dependsOn, events, flags } = options as Record<string, unknown>;
  if (dependsOn !== undefined && !Array.isArray(dependsOn)) {
    throw bad(
      `dependsOn must be an array of modules (classes or names), e.g. dependsOn: [${typeof dependsOn === 'string' ? `'${dependsOn}'` : 'Db'}].`,
      'dependsOn',
    );
  }
  if (events !== undefined && !Array.isArray(events)) {
    throw bad(
      `events must be an array of event names, e.g. events: [${typeof events === 'string' ? `'${events}'` : "'changed'"}].`,
      'events',
    );
  }
  const { name } = options as Record<string, unknown>;
  if (name !== undefined && (typeof name !== 'string' || name.trim() === '')) {
    throw bad('name must be a non-empty string.', 'name');
  }
  if (
    flags !== undefined &&
    (flags === null || typeof flags !== 'object' || Array.isArray(flags))
  ) {
    throw bad(
      'flags must be an object of flag specs, e.g. flags: { port: { type: "string" } }.',
      'flags',
    );
  }
}
