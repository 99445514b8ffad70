import { ModuleError, type TaskType } from '../errors/module-error.js';
import { isInstance } from '../errors/safe.js';
import type { Clock } from '../time/clock.js';
import type { Telemetry } from './telemetry.js';

/**
 * Turns failures of module code into `ModuleError`s, published as telemetry (so they are
 * logged with the stack and reach `kernel.on('error')`), and keeps the last one.
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

  report(module: string, err: unknown, taskName: string, taskType: TaskType): ModuleError {
    const error = isInstance(err, ModuleError)
      ? err
      : new ModuleError({ module, taskName, taskType, cause: err });
    error.timestamp = this.clock.now();
    this.last = error;
    this.count++;
    this.telemetry.publish({ type: 'module-error', error });
    return error;
  }
}
