import { pino, type Logger } from 'pino';

/** The default logger: pino at 'info' on stdout, with the given paths redacted. */
export function defaultLogger(redact: readonly string[]): Logger {
  return pino({ level: 'info', redact: { paths: [...redact], censor: '[redacted]' } });
}

/** A logger with extra redaction: pino applies `redact` only at creation, so wrap the given one. */
export function withRedaction(logger: Logger, redact: readonly string[]): Logger {
  if (redact.length === 0) return logger;
  return logger.child({}, { redact: { paths: [...redact], censor: '[redacted]' } });
}

/** Resolves once the logger wrote what it buffered (at once for loggers that cannot flush). */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    try {
      logger.flush(() => resolve());
    } catch {
      resolve();
    }
  });
}
