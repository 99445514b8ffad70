import { KeelError } from '../errors/keel-error.js';
import type { EventKey } from '../events/event-key.js';
import type {
  HookOptions,
  JobOptions,
  ModuleClass,
  ModuleOptions,
  ModuleRef,
  TaskOptions,
  WorkerOptions,
} from './metadata.js';
import { validateTaskOptions } from '../tasks/declared-task.js';
import { resolveJobOptions } from '../jobs/job-options.js';
import { validateHookOptions } from '../events/hook-options.js';
import { restartPolicy } from '../workers/restart-policy.js';
import { recordMethod, recordModule } from './registry.js';

/**
 * Declares a class as a Keel module. Only records metadata: nothing is registered
 * anywhere until `Kernel.create` reads it.
 * @example
 * ```ts
 * @Module({ dependsOn: [Config], events: ['changed'] })
 * class Db { constructor(private readonly config: Config, private readonly ctx: ModuleContext) {} }
 * ```
 */
export function Module(options: ModuleOptions = {}): ClassDecorator {
  return (target) => {
    checkModuleOptions(target.name, options);
    if (
      options.name !== undefined &&
      (typeof options.name !== 'string' || options.name.trim() === '')
    ) {
      throw new KeelError(
        'E_INVALID_OPTION',
        `@Module on class "${target.name}": name must be a non-empty string.`,
      );
    }
    recordModule(target as unknown as ModuleClass, { ...options });
  };
}

/** Types of the options that would otherwise be iterated letter by letter, or crash. */
function checkModuleOptions(cls: string, options: unknown): asserts options is ModuleOptions {
  const bad = (message: string, option: string): KeelError =>
    new KeelError('E_INVALID_OPTION', `@Module on class "${cls}": ${message}`, {
      details: { option },
    });
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

type MethodDecorator = (
  target: object,
  key: string | symbol,
  descriptor?: PropertyDescriptor,
) => void;

function methodGuard(
  decorator: string,
  target: object,
  key: string | symbol,
  descriptor?: PropertyDescriptor,
): void {
  const owner = typeof target === 'function' ? target.name : target.constructor.name;
  if (typeof target === 'function') {
    throw new KeelError(
      'E_DECORATOR_MISUSE',
      `${decorator} on static member "${String(key)}" of "${owner}": use it on an instance method.`,
    );
  }
  if (descriptor === undefined || typeof descriptor.value !== 'function') {
    throw new KeelError(
      'E_DECORATOR_MISUSE',
      `${decorator} on "${owner}.${String(key)}", which is not a method. Decorate a method instead.`,
    );
  }
}

/**
 * Runs the method as a supervised worker of its module, started right after the module's
 * `start()` resolves. The method receives an `AbortSignal` that aborts when the module stops.
 */
export function Worker(options: WorkerOptions = {}): MethodDecorator {
  return (target, key, descriptor) => {
    methodGuard('@Worker', target, key, descriptor);
    // Bad durations and options fail where they are written, not at Kernel.create.
    restartPolicy(options, `@Worker ${target.constructor.name}.${String(key)}`);
    recordMethod('workers', target, { method: key, options: { ...options } });
  };
}

/** Runs the method as a task of its module: repeated (`every`), on a `cron` schedule, or on demand. */
export function Task(options: TaskOptions = {}): MethodDecorator {
  return (target, key, descriptor) => {
    methodGuard('@Task', target, key, descriptor);
    validateTaskOptions(target.constructor.name, String(key), options);
    recordMethod('tasks', target, { method: key, options: { ...options } });
  };
}

/**
 * Hooks the method on another module's (or its own) declared event. The method runs as a
 * worker of its module, with `(data, signal)`, once both modules are online.
 */
export function OnEvent<P>(event: EventKey<P>, options?: HookOptions): TypedHookDecorator<P>;
export function OnEvent(source: ModuleRef, event: string, options?: HookOptions): MethodDecorator;
export function OnEvent(
  sourceOrKey: ModuleRef | EventKey<unknown>,
  eventOrOptions?: string | HookOptions,
  maybeOptions: HookOptions = {},
): MethodDecorator {
  const typed = typeof sourceOrKey === 'object' && sourceOrKey !== null;
  const source = typed ? sourceOrKey.module : sourceOrKey;
  if (typeof source !== 'string' && typeof source !== 'function') {
    throw new KeelError(
      'E_INVALID_OPTION',
      `@OnEvent(source, event): source must be a module class, a module name or an event key from defineEvent(), got ${source === null ? 'null' : typeof source}.`,
    );
  }
  const event = typed ? sourceOrKey.event : (eventOrOptions as string);
  const options = typed ? ((eventOrOptions as HookOptions | undefined) ?? {}) : maybeOptions;
  return (target, key, descriptor) => {
    methodGuard('@OnEvent', target, key, descriptor);
    if (typeof event !== 'string' || event === '') {
      throw new KeelError(
        'E_INVALID_OPTION',
        `@OnEvent on "${target.constructor.name}.${String(key)}" needs an event name.`,
      );
    }
    validateHookOptions(`@OnEvent on "${target.constructor.name}.${String(key)}"`, options);
    recordMethod('hooks', target, { method: key, source, event, options: { ...options } });
  };
}

/**
 * Takes jobs of a durable queue (see docs/jobs.md): the method runs as work of its module
 * with `(data, signal, job)` while the module is online; a rejection fails the try, which is
 * retried with backoff until `attempts`. Enqueue with `ctx.fleet.enqueue(queue, data)`.
 * A method declaring only `data` is called with `data` alone (no signal is created per try).
 * @example
 * ```ts
 * @Job({ queue: 'invoices', concurrency: 5, attempts: 5, backoff: '1s', timeout: '30s' })
 * render(data: Invoice, signal: AbortSignal, job: JobInfo) {}
 * ```
 */
export function Job(options: JobOptions): MethodDecorator {
  return (target, key, descriptor) => {
    methodGuard('@Job', target, key, descriptor);
    resolveJobOptions(target.constructor.name, String(key), options);
    recordMethod('jobs', target, { method: key, options: { ...options } });
  };
}

/** A method decorator that only accepts hook methods whose data parameter fits `P`. */
export type TypedHookDecorator<P> = <T extends (data: P, signal: AbortSignal) => unknown>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<T>,
) => void;
