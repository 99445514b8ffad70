import { describe, isInstance, stackOf } from './safe.js';

/** What kind of module code failed. */
export type TaskType = 'worker' | 'task' | 'microtask' | 'hook' | 'job' | 'prep' | 'start' | 'stop';

/** How bad it is: `panic` for a thrown non-Error value or a programming error. */
export type Severity = 'info' | 'error' | 'panic';

// The JavaScript faces of a Go runtime panic (nil dereference, index out of range, calling a
// non-function). SyntaxError is not among them: code that parses at all only meets one at
// run time from JSON.parse, new RegExp or new Function on data, i.e. bad input, which Go
// returns as an error (encoding/json's *SyntaxError) rather than panicking.
const PROGRAMMING_ERRORS = [TypeError, ReferenceError, RangeError];

/** True when a thrown value is a non-Error or a programming error (the Go "panic"). */
function isPanicValue(value: unknown): boolean {
  if (!isInstance(value, Error)) return true;
  return PROGRAMMING_ERRORS.some((ctor) => isInstance(value, ctor));
}

/** Fields of a {@link ModuleError}. */
export interface ModuleErrorInit {
  module: string;
  taskName: string;
  taskType: TaskType;
  cause: unknown;
  severity?: Severity;
  /** Overrides the message derived from `cause`. */
  message?: string;
}

/**
 * A failure of module code, as reported on `kernel.on('error')` and in the logs. The
 * original error is `cause`; `stack` is the cause's stack when it has one.
 */
export class ModuleError extends Error {
  override readonly name = 'ModuleError';
  readonly module: string;
  readonly taskName: string;
  readonly taskType: TaskType;
  readonly severity: Severity;
  /** When it was reported, in the kernel clock's milliseconds. */
  timestamp = 0;

  constructor(init: ModuleErrorInit) {
    super(init.message ?? describe(init.cause), { cause: init.cause });
    this.module = init.module;
    this.taskName = init.taskName;
    this.taskType = init.taskType;
    this.severity = init.severity ?? (isPanicValue(init.cause) ? 'panic' : 'error');
    const causeStack = stackOf(init.cause);
    if (causeStack !== undefined) this.stack = causeStack;
  }

  /**
   * What failed, as a log line says it: `prep` for a lifecycle method (task name
   * `prep module`), else the kind and the name, `worker "pump"`.
   */
  get activity(): string {
    return activityName(this.taskType, this.taskName);
  }

  /** Key: value lines, for humans and log files. */
  format(): string {
    const lines = [
      `Message: ${this.message}`,
      `Module: ${this.module}`,
      `TaskName: ${this.taskName}`,
      `TaskType: ${this.taskType}`,
      `Severity: ${this.severity}`,
    ];
    if (this.timestamp !== 0) lines.push(`Timestamp: ${new Date(this.timestamp).toISOString()}`);
    if (!isInstance(this.cause, Error)) lines.push(`PanicValue: ${describe(this.cause)}`);
    lines.push('StackTrace:', this.stack ?? '(none)');
    return lines.join('\n');
  }
}

export { describe };

/** `prep` for the lifecycle task `prep module` (or no name), else `worker "pump"`. */
export function activityName(taskType: string, taskName: string): string {
  if (taskName === '' || taskName === `${taskType} module`) return taskType;
  return `${taskType} "${taskName}"`;
}

/** True for a `ModuleError` of severity `panic`, or a raw thrown value that would be one. */
export function isPanic(err: unknown): boolean {
  if (isInstance(err, ModuleError)) return err.severity === 'panic';
  return isPanicValue(err);
}

/**
 * Throw from a service worker to be restarted at once, without backoff and without
 * counting as a failure.
 */
export class RestartNow extends Error {
  override readonly name = 'RestartNow';
  constructor(message = 'restart requested') {
    super(message);
  }
}
