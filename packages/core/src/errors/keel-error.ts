import { ErrorCodes, type ErrorCode } from './codes.js';
import { isInstance } from './safe.js';

/** Options for a {@link KeelError}. */
export interface KeelErrorOptions {
  /** The module the error is about, by name. */
  module?: string | undefined;
  /** The underlying error. */
  cause?: unknown;
  /** Structured facts for tooling (the cycle path, the option name, …). */
  details?: Record<string, unknown>;
}

/**
 * An error raised by Keel itself for misuse or a failed phase. Match on `code`, which is
 * stable across releases; the message is for people.
 */
export class KeelError extends Error {
  override readonly name = 'KeelError';
  readonly code: ErrorCode;
  readonly module: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: KeelErrorOptions = {}) {
    // `'cause' in`: a thrown `undefined` is a cause too.
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.code = code;
    this.module = options.module;
    this.details = options.details;
  }

  /** What the code means in general (the message says what happened this time). */
  get meaning(): string {
    return ErrorCodes[this.code];
  }
}

/** True for a `KeelError`, optionally of one code. */
export function isKeelError(err: unknown, code?: ErrorCode): err is KeelError {
  return isInstance(err, KeelError) && (code === undefined || err.code === code);
}
