import type { Logger } from 'pino';
import { ModuleError, type TaskType } from '../errors/module-error.js';
import type { Clock } from '../time/clock.js';
import type { Telemetry } from './telemetry.js';

/**
 * Turns failures of module code into `ModuleError`s: logged with the stack, emitted on
 * `kernel.on('error')`, and kept as the last error.
 */
export class Reporter {
  /** The most recent report. */
  last: ModuleError | undefined;
  /** Reports so far. */
  count = 0;

  constructor(
    private readonly telemetry: Telemetry,
    private readonly clock: Clock,
  ) {}

  report(
    logger: Logger,
    module: string,
    err: unknown,
    taskName: string,
    taskType: TaskType,
  ): ModuleError {
    const error =
      err instanceof ModuleError
        ? err
        : new ModuleError({ module, taskName, taskType, cause: err });
    error.timestamp = this.clock.now();
    this.last = error;
    this.count++;
    logger.error(
      {
        err: error.cause instanceof Error ? error.cause : undefined,
        taskName,
        taskType,
        severity: error.severity,
      },
      `${taskType} "${taskName}" failed: ${error.message}`,
    );
    this.telemetry.emit('error', error);
    return error;
  }
}
