import type { Logger, pino as Pino } from 'pino';
import { KeelError } from '../errors/keel-error.js';

/**
 * pino, loaded at the first default logger or redaction: it is a third of `import('@keel/core')`,
 * and a service that passes its own logger has loaded it already. Its CommonJS build loads
 * synchronously, so `Kernel.create` stays synchronous; later calls hit require's cache (no
 * module-level copy of our own).
 */
function loadPino(): typeof Pino {
  const { createRequire } = process.getBuiltinModule('node:module');
  return (createRequire(import.meta.url)('pino') as typeof import('pino')).pino;
}

/** The default logger: pino at 'info' on stdout, with the given paths redacted. */
export function defaultLogger(redact: readonly string[]): Logger {
  return loadPino()({ level: 'info', redact: { paths: [...redact], censor: '[redacted]' } });
}

/**
 * The given logger with Keel's `redact` paths. A pino child's `redact` replaces its
 * parent's instead of adding to it, so a logger that redacts already is refused: its own
 * paths would silently stop working.
 */
export function withRedaction(logger: Logger, redact: readonly string[]): Logger {
  if (redact.length === 0) return logger;
  const { stringifiersSym, redactFmtSym } = loadPino().symbols;
  const own = (logger as unknown as Record<symbol, Record<symbol, unknown> | undefined>)[
    stringifiersSym
  ];
  if (own?.[redactFmtSym] !== undefined) {
    throw new KeelError(
      'E_INVALID_OPTION',
      'Kernel.create: the given logger already redacts, and pino cannot add paths to it. ' +
        `Put ${JSON.stringify(redact)} into that logger's own redact option (pino({ redact })) and drop Kernel.create's redact.`,
    );
  }
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
