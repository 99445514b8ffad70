import { decoratorMisuseError } from '../errors/catalog.js';
import type { EventKey } from '../specs/event-key.js';
import type {
  HookOptions,
  JobOptions,
  ModuleClass,
  ModuleOptions,
  ModuleRef,
  TaskOptions,
  WorkerOptions,
} from './metadata.js';
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
  // Only records: Kernel.create checks the options (specs/module-options.ts).
  return (target) => recordModule(target as unknown as ModuleClass, copyOf(options));
}

/** A shallow copy of an options object (later writes to it change nothing); else the raw value, for the plan to reject. */
function copyOf<T>(options: T): T {
  return options !== null && typeof options === 'object' && !Array.isArray(options)
    ? { ...options }
    : options;
}

type MethodDecorator = (
  target: object,
  key: string | symbol,
  descriptor?: PropertyDescriptor,
) => void;

/**
 * The one check made at decoration time: on a static member or a non-method, `target` is the
 * class itself (or no method exists), so the record would land on the wrong object
 * (`Function`, shared by every class) and nothing later could tell.
 */
function methodGuard(
  decorator: string,
  target: object,
  key: string | symbol,
  descriptor?: PropertyDescriptor,
): void {
  const owner = typeof target === 'function' ? target.name : target.constructor.name;
  if (typeof target === 'function') {
    throw decoratorMisuseError(
      `${decorator} on static member "${String(key)}" of "${owner}": use it on an instance method.`,
    );
  }
  if (descriptor === undefined || typeof descriptor.value !== 'function') {
    throw decoratorMisuseError(
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
    recordMethod('workers', target, { method: key, options: copyOf(options) });
  };
}

/** Runs the method as a task of its module: repeated (`every`), on a `cron` schedule, or on demand. */
export function Task(options: TaskOptions = {}): MethodDecorator {
  return (target, key, descriptor) => {
    methodGuard('@Task', target, key, descriptor);
    recordMethod('tasks', target, { method: key, options: copyOf(options) });
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
  const event = typed ? sourceOrKey.event : (eventOrOptions as string);
  const options = typed ? ((eventOrOptions as HookOptions | undefined) ?? {}) : maybeOptions;
  return (target, key, descriptor) => {
    methodGuard('@OnEvent', target, key, descriptor);
    recordMethod('hooks', target, { method: key, source, event, options: copyOf(options) });
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
    recordMethod('jobs', target, { method: key, options: copyOf(options) });
  };
}

/** A method decorator that only accepts hook methods whose data parameter fits `P`. */
export type TypedHookDecorator<P> = <T extends (data: P, signal: AbortSignal) => unknown>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<T>,
) => void;
