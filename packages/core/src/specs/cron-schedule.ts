import type { Cron } from 'croner';
import { KeelError } from '../errors/keel-error.js';
import { clause, describe } from '../errors/safe.js';

/**
 * croner, loaded at the first cron declaration: most services declare none, and importing
 * it is ~15 % of `import('@keel/core')`. Its CommonJS build loads synchronously, so parsing
 * stays synchronous (at `Kernel.create`).
 */
let croner: typeof Cron | undefined;
function loadCron(): typeof Cron {
  const { createRequire } = process.getBuiltinModule('node:module');
  return (croner ??= (createRequire(import.meta.url)('croner') as typeof import('croner')).Cron);
}

/**
 * A parsed 5- or 6-field cron expression, used only to compute run times: croner never arms
 * a timer here (the kernel's timer heap does). The one boundary where croner's errors are
 * wrapped.
 */
export class CronSchedule {
  private constructor(
    readonly expression: string,
    private readonly cron: Cron,
  ) {}

  /**
   * Parses `expression` (in `timezone`, an IANA name; default the process's zone).
   * @param what names the declaration in errors, e.g. `@Task Feed.cleanup`.
   * @throws KeelError `E_INVALID_CRON` with croner's error as `cause`.
   */
  static parse(
    expression: string,
    timezone: string | undefined,
    what: string,
    module?: string,
  ): CronSchedule {
    let cron: Cron;
    try {
      const CronClass = loadCron();
      cron = new CronClass(expression, {
        mode: '5-or-6-parts',
        paused: true,
        ...(timezone ? { timezone } : {}),
      });
      cron.nextRun(new Date(0)); // an unknown time zone only fails here
    } catch (err) {
      throw new KeelError(
        'E_INVALID_CRON',
        `${what}: cron ${JSON.stringify(expression)}${timezone ? ` in time zone "${timezone}"` : ''} is invalid: ` +
          `${clause(describe(err))}. Use 5 fields (minute hour day month weekday) ` +
          `or 6 (with seconds first), e.g. "0 3 * * *".`,
        { module, cause: err, details: { cron: expression, timezone } },
      );
    }
    // A valid expression whose date never exists (`0 0 30 2 *`): the task would never run.
    if (cron.nextRun() === null) {
      throw new KeelError(
        'E_TASK_OPTIONS',
        `${what}: cron ${JSON.stringify(expression)} never fires (no date matches it). Check its day and month fields.`,
        { module, details: { option: 'cron', cron: expression } },
      );
    }
    return new CronSchedule(expression, cron);
  }

  /** The first run time strictly after `afterMs`, or `undefined` if there is none. */
  next(afterMs: number): number | undefined {
    return this.cron.nextRun(new Date(afterMs))?.getTime();
  }
}
