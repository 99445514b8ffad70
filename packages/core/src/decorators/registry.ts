import { KeelError } from '../errors/keel-error.js';
import { checkModuleOptions } from '../specs/module-options.js';
import type {
  HookMeta,
  JobMeta,
  ModuleClass,
  ModuleMeta,
  ModuleOptions,
  TaskMeta,
  WorkerMeta,
} from './metadata.js';

// Metadata lives on the class itself, as non-enumerable symbol properties: never in a
// module-level map, and cheaper to read than reflect-metadata's WeakMap of Maps.
const MODULE_KEY = Symbol.for('keel:module');
const WORKERS_KEY = Symbol.for('keel:workers');
const TASKS_KEY = Symbol.for('keel:tasks');
const HOOKS_KEY = Symbol.for('keel:hooks');
const JOBS_KEY = Symbol.for('keel:jobs');

/** The records of a kind a class does not declare: one frozen list for all. */
const NONE: readonly never[] = Object.freeze([]);

type MethodKind = 'workers' | 'tasks' | 'hooks' | 'jobs';
type MethodKey = typeof WORKERS_KEY | typeof TASKS_KEY | typeof HOOKS_KEY | typeof JOBS_KEY;

/** Appends a method record to the class (own list, so subclasses do not write into parents). */
export function recordMethod(
  key: MethodKind,
  target: object,
  record: WorkerMeta | TaskMeta | HookMeta | JobMeta,
): void {
  const symbol = methodKey(key);
  const ctor = target.constructor as ModuleClass;
  const own = (ownValue(ctor, symbol) as unknown[] | undefined) ?? [];
  define(ctor, symbol, [...own, record]);
}

/** What `@Module` recorded: its options as written, checked only by {@link readModuleMeta}. */
interface ModuleRecord {
  readonly options: unknown;
}

/** Marks a class as a module, with its options as written. */
export function recordModule(ctor: ModuleClass, options: unknown): void {
  define(ctor, MODULE_KEY, { options } satisfies ModuleRecord);
}

function moduleRecordOf(ctor: unknown): ModuleRecord | undefined {
  if (typeof ctor !== 'function') return undefined;
  return ownValue(ctor, MODULE_KEY) as ModuleRecord | undefined;
}

/**
 * The module options of a class, or undefined when it is not a `@Module`; `{}` for options
 * that are not an object (Kernel.create rejects those when the class is part of a kernel).
 */
export function moduleOptionsOf(ctor: unknown): ModuleOptions | undefined {
  const record = moduleRecordOf(ctor);
  if (record === undefined) return undefined;
  const { options } = record;
  return options !== null && typeof options === 'object' && !Array.isArray(options) ? options : {};
}

/** True for a class decorated with `@Module`. */
export function isModuleClass(value: unknown): value is ModuleClass {
  return moduleRecordOf(value) !== undefined;
}

/** True when a class (or an ancestor) carries Keel method decorators. */
export function hasMethodMetadata(ctor: unknown): boolean {
  if (typeof ctor !== 'function') return false;
  // `in` walks the prototype chain of the class: inherited decorators count.
  return WORKERS_KEY in ctor || TASKS_KEY in ctor || HOOKS_KEY in ctor || JOBS_KEY in ctor;
}

/**
 * Everything recorded about a module class, including inherited method decorators; the
 * module options checked (at Kernel.create: the graph and the plan call it).
 */
export function readModuleMeta(ctor: ModuleClass): ModuleMeta {
  const record = moduleRecordOf(ctor);
  if (record === undefined) {
    throw new KeelError(
      'E_NOT_A_MODULE',
      `Class "${ctor.name}" is not a module. Decorate it with @Module().`,
    );
  }
  const { options } = record;
  checkModuleOptions(ctor.name, options);
  return {
    className: ctor.name,
    options,
    workers: inherited<WorkerMeta>(WORKERS_KEY, ctor),
    tasks: inherited<TaskMeta>(TASKS_KEY, ctor),
    hooks: inherited<HookMeta>(HOOKS_KEY, ctor),
    jobs: inherited<JobMeta>(JOBS_KEY, ctor),
  };
}

/**
 * The records of a class and its ancestors, base class first. A subclass that decorates a
 * method again replaces the records an ancestor made for that method: an overridden
 * `@Worker` runs once, as the subclass declares it.
 */
function inherited<T extends { method: string | symbol }>(
  key: MethodKey,
  ctor: ModuleClass,
): readonly T[] {
  // `in` walks the class's chain without allocating: most modules declare none of a kind.
  if (!(key in ctor)) return NONE;
  const chain: T[][] = [];
  for (
    let c: unknown = ctor;
    typeof c === 'function' && c !== Function.prototype;
    c = Object.getPrototypeOf(c)
  ) {
    const own = ownValue(c, key) as T[] | undefined;
    if (own !== undefined) chain.unshift(own);
  }
  if (chain.length < 2) return chain.flat();
  let records: T[] = [];
  for (const own of chain) {
    const redeclared = new Set(own.map((r) => r.method));
    records = [...records.filter((r) => !redeclared.has(r.method)), ...own];
  }
  return records;
}

function methodKey(key: MethodKind): MethodKey {
  switch (key) {
    case 'workers':
      return WORKERS_KEY;
    case 'tasks':
      return TASKS_KEY;
    case 'hooks':
      return HOOKS_KEY;
    case 'jobs':
      return JOBS_KEY;
  }
}

function ownValue(target: object, key: symbol): unknown {
  return Object.prototype.hasOwnProperty.call(target, key)
    ? (target as Record<symbol, unknown>)[key]
    : undefined;
}

function define(target: object, key: symbol, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    configurable: true,
    enumerable: false,
    writable: false,
  });
}
