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
