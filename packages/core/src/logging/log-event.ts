import type { Logger } from 'pino';
import { isInstance } from '../errors/safe.js';
import type { KernelEvent } from '../kernel/telemetry.js';
import type { ModuleStatus } from '../work/module-status.js';

/** The level a module's move to `to` is logged at: the settled states at info. */
export function moduleStatusLevel(to: ModuleStatus): 'info' | 'debug' {
  return to === 'online' || to === 'offline' ? 'info' : 'debug';
}

/**
 * The logging consumer of kernel telemetry: one line per event, at a level that fits.
 * `moduleLogger` gives the pino child of a module (with `{ module: name }`).
 */
export function logEvent(
  kernel: Logger,
  moduleLogger: (name: string) => Logger,
  event: KernelEvent,
): void {
  switch (event.type) {
    case 'kernel-status': {
      const { failure } = event;
      if (failure === undefined) {
        kernel.info({ from: event.from, to: event.to }, `kernel ${event.to}`);
        return;
      }
      // The last line of a failed service says why it exits: the module and the cause.
      const fields = {
        from: event.from,
        to: event.to,
        exitCode: failure.exitCode,
        ...(failure.module === undefined ? {} : { module: failure.module }),
      };
      const message = `kernel ${event.to}: ${failure.reason}`;
      try {
        kernel.error(
          { ...fields, err: isInstance(failure.cause, Error) ? failure.cause : undefined },
          message,
        );
      } catch {
        kernel.error(fields, message);
      }
      return;
    }
    case 'module-status': {
      // The kernel logger with a `module` field: the same line as the module's child logger
      // writes, without making a child for each of thousands of modules.
      const level = moduleStatusLevel(event.to);
      if (!kernel.isLevelEnabled(level)) return;
      const fields = {
        module: event.module,
        from: event.from,
        to: event.to,
        durationMs: event.durationMs,
      };
      kernel[level](fields, `module ${event.to}`);
      return;
    }
    case 'module-failure': {
      const { status, id, title, message } = event.state;
      const log = moduleLogger(event.module);
      if (status === 'none') log.info('failure status resolved');
      else if (status === 'error') log.error({ id, message }, `failure status ${status}: ${title}`);
      else log.warn({ id, message }, `failure status ${status}: ${title}`);
      return;
    }
    case 'module-error': {
      const { error } = event;
      const log = moduleLogger(error.module);
      const fields = {
        taskName: error.taskName,
        taskType: error.taskType,
        severity: error.severity,
      };
      const message = `${error.activity} failed: ${error.message}`;
      try {
        log.error(
          { err: isInstance(error.cause, Error) ? error.cause : undefined, ...fields },
          message,
        );
      } catch {
        // The cause cannot be serialized (a getter that throws): the line goes out without it.
        log.error({ ...fields, stack: error.stack }, message);
      }
      return;
    }
    case 'module-event':
      // The data stays out of the logs: it may be large, or not meant to be exposed.
      moduleLogger(event.module).debug(
        { event: event.event, exposed: event.exposed },
        'event triggered',
      );
      return;
    case 'worker-restarting':
      moduleLogger(event.module).info(
        { worker: event.worker, failures: event.failures, delayMs: event.delayMs },
        event.immediate
          ? `worker ${event.worker} restarting now`
          : `worker ${event.worker} restarting in ${event.delayMs} ms`,
      );
      return;
    case 'worker-escalated':
      moduleLogger(event.module).error(
        { worker: event.worker, failures: event.failures, escalate: event.escalate },
        `worker ${event.worker} exceeded its restart limit: ${event.escalate}`,
      );
      return;
  }
}
