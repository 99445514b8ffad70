import { KeelError } from './keel-error.js';

/**
 * One factory per situation (avvio's lib/errors.js is the model): each names its code once,
 * builds its message from typed facts and puts the same facts in `details`, so call sites
 * say what went wrong, not how to spell it. Every code has a row in docs/errors.md
 * (test/integration/error-codes.int.test.ts keeps them in step).
 */

/** `typeof`, with `null` named (for "got …" clauses). */
export function typeName(value: unknown): string {
  return value === null ? 'null' : typeof value;
}

/** A `Kernel.create` option is wrong: `message` says how (after "Kernel.create: "). */
export function kernelOptionError(option: string, message: string): KeelError {
  return new KeelError('E_INVALID_OPTION', `Kernel.create: ${message}`, {
    details: { option },
  });
}

/** An API call was given something that is not a function where it needs one. */
export function notAFunctionError(
  call: string,
  got: unknown,
  options: { module?: string; details?: Record<string, unknown> } = {},
): KeelError {
  return new KeelError('E_INVALID_OPTION', `${call} needs a function, got ${typeName(got)}.`, {
    ...(options.module === undefined ? {} : { module: options.module }),
    details: { ...options.details, got: typeName(got) },
  });
}

/** An API call's argument has the wrong type or value: `message` says which and how. */
export function badArgumentError(
  message: string,
  options: { module?: string; details?: Record<string, unknown> } = {},
): KeelError {
  return new KeelError('E_INVALID_OPTION', message, options);
}

/** A kernel operation the kernel's current phase does not allow. */
export function kernelStateError(message: string, module?: string): KeelError {
  return new KeelError('E_KERNEL_STATE', message, module === undefined ? {} : { module });
}

/** A module referenced by name or class is not part of the kernel. */
export function moduleMissingError(message: string, details?: Record<string, unknown>): KeelError {
  return new KeelError('E_MODULE_MISSING', message, details === undefined ? {} : { details });
}

/** A lifecycle step of `module` missed its deadline (`option` is the timeout to raise). */
export function stepTimeoutError(
  module: string,
  step: string,
  ms: number,
  option: string,
): KeelError {
  return new KeelError(
    'E_TIMEOUT',
    `Module "${module}" did not finish ${step} within ${ms} ms. Find what it waits for, or raise Kernel.create({ ${option} }).`,
    { module, details: { step, ms } },
  );
}

/**
 * The kernel stopped waiting for a step of `module` (a shutdown overran, or the module's own
 * code asked for the shutdown). Never reported: the kernel's decision, not the module's
 * failure. `details.abandoned` stays for code written against the E_TIMEOUT form.
 */
export function abandonedError(module: string, step: string): KeelError {
  return new KeelError(
    'E_ABANDONED',
    `Module "${module}": ${step}() was abandoned: the shutdown ran out of time.`,
    { module, details: { abandoned: true, step } },
  );
}

/**
 * A declaration's option is wrong (`@Module`, `@Worker`, `@OnEvent`, `@Job`, supervision):
 * `what` names the culprit as written (`@Worker Feed.pump`), `message` says how to fix it.
 */
export function declarationOptionError(
  what: string,
  option: string,
  message: string,
  module?: string,
): KeelError {
  return new KeelError('E_INVALID_OPTION', `${what}: ${message}`, {
    ...(module === undefined ? {} : { module }),
    details: { option },
  });
}

/** A `@Task`'s options cannot make a schedule (`what` is `@Task Class.method`). */
export function taskOptionsError(
  what: string,
  option: string,
  message: string,
  module: string,
): KeelError {
  return new KeelError('E_TASK_OPTIONS', `${what}: ${message}`, { module, details: { option } });
}

/** Two modules of one kernel have the same name. */
export function moduleDuplicateError(name: string, first: string, second: string): KeelError {
  return new KeelError(
    'E_MODULE_DUPLICATE',
    `Two modules are named "${name}": classes ${first} and ${second}. ` +
      `Give one of them another name with @Module({ name }).`,
    { module: name, details: { classes: [first, second] } },
  );
}

/** Module dependencies form a cycle (`cycle` starts and ends with the same module). */
export function moduleCycleError(cycle: readonly string[]): KeelError {
  const [first] = cycle;
  const self = cycle.length === 2 && cycle[1] === first;
  return new KeelError(
    'E_MODULE_CYCLE',
    self
      ? `Module "${first}" depends on itself (${first} -> ${first}).`
      : `Modules depend on each other in a cycle: ${cycle.join(' -> ')}. ` +
          `Break it by removing one of these dependencies (use an event instead, or move shared code into a new module).`,
    { ...(first === undefined ? {} : { module: first }), details: { cycle: [...cycle] } },
  );
}

/** `dependsOn` names a module that is not part of the kernel. */
export function dependencyMissingError(module: string, missing: string): KeelError {
  return new KeelError(
    'E_MODULE_MISSING',
    `Module "${module}" depends on "${missing}", which is not registered. ` +
      `Add its class to Kernel.create({ modules }) or remove "${missing}" from dependsOn.`,
    { module, details: { missing } },
  );
}

/** A method decorator is misused (`message` names the class and member and says what to do). */
export function decoratorMisuseError(message: string): KeelError {
  return new KeelError('E_DECORATOR_MISUSE', message);
}

/** An API call's option is wrong: `call` names the call and its caller (`ctx.fleet.enqueue("q") of module "m"`). */
export function callOptionError(
  call: string,
  option: string,
  message: string,
  module: string,
): KeelError {
  return new KeelError('E_INVALID_OPTION', `${call}: ${message}`, {
    module,
    details: { option },
  });
}

/** `ctx.fleet.enqueue` to a queue no `@Job` of the kernel takes (`known`: the queues that exist). */
export function jobQueueUnknownError(
  module: string,
  queue: unknown,
  known: readonly string[],
): KeelError {
  const shown = JSON.stringify(queue) ?? String(queue);
  const list = known.map((q) => `"${q}"`).join(', ') || 'none';
  return new KeelError(
    'E_JOB_QUEUE_UNKNOWN',
    `Module "${module}" enqueues to queue ${shown}, which no module of this kernel takes with @Job (known: ${list}). ` +
      `Add @Job({ queue: ${JSON.stringify(queue) ?? "'…'"} }) to a module, or fix the name.`,
    { module, details: { queue: String(queue) } },
  );
}

/** Job data that cannot cross processes (`kind` describes it: "a function", "a bigint"…). */
export function jobDataError(module: string, queue: string, kind: string): KeelError {
  return new KeelError(
    'E_JOB_DATA',
    `Module "${module}" enqueues data to "${queue}" that is not JSON-serialisable (${kind}). ` +
      'Jobs cross processes: pass plain objects, arrays, strings, numbers, booleans or null.',
    { module, details: { queue } },
  );
}

/** A fleet trigger of an event declared with `expose: false`. */
export function eventNotExposedError(module: string, source: string, event: string): KeelError {
  return new KeelError(
    'E_EVENT_NOT_EXPOSED',
    `Module "${module}" triggers "${source}/${event}" on the fleet, but the event is declared with expose: false. ` +
      `Declare it exposed (events: ['${event}']) or trigger it locally (without { fleet: true }).`,
    { module, details: { event } },
  );
}

/** A fleet trigger whose payload cannot cross processes. */
export function eventPayloadError(
  module: string,
  source: string,
  event: string,
  kind: string,
): KeelError {
  return new KeelError(
    'E_EVENT_PAYLOAD',
    `Module "${module}" triggers "${source}/${event}" on the fleet with a payload that is not JSON-serialisable (${kind}). ` +
      'Fleet events cross processes: pass plain objects, arrays, strings, numbers, booleans or null.',
    { module, details: { event } },
  );
}

/** Entry `index` of `Kernel.create({ providers })` is wrong (`token`: its token's name, once known). */
export function providerEntryError(
  index: number,
  token: string | undefined,
  option: string,
  message: string,
): KeelError {
  const entry = token === undefined ? `entry #${index}` : `entry #${index} (${token})`;
  return new KeelError('E_INVALID_OPTION', `Kernel.create({ providers }): ${entry} ${message}`, {
    details: { option, index },
  });
}

/** An async provider used as if it were sync (`message` names the provider and what to do). */
export function asyncProviderError(message: string): KeelError {
  return new KeelError('E_ASYNC_PROVIDER', message);
}

/** An `@OnEvent` (`where`: `@OnEvent on module.method`) hooks a module that is not part of the kernel. */
export function hookSourceMissingError(where: string, module: string, source: string): KeelError {
  return new KeelError(
    'E_MODULE_MISSING',
    `${where} hooks module "${source}", which is not part of this kernel. Add it to Kernel.create({ modules }) or fix the name.`,
    { module, details: { source } },
  );
}

/** An `@OnEvent` hooks an event its source module does not declare. */
export function hookEventUnknownError(
  where: string,
  module: string,
  source: string,
  event: string,
): KeelError {
  return new KeelError(
    'E_EVENT_UNKNOWN',
    `${where} hooks event "${event}" of module "${source}", which does not declare it. ` +
      `Declare it in @Module({ events: ['${event}'] }) of "${source}", or fix the event name.`,
    { module, details: { source, event } },
  );
}
