import type { Logger } from 'pino';

/** The part of a kernel that signal handling drives. */
export interface SignalTarget {
  readonly shuttingDown: AbortSignal;
  exitCode: number;
  shutdown(): Promise<void>;
  /** SIGHUP: re-read configuration (the `reload` listeners of `kernel.on`). */
  reload(): void;
}

/** Handles installed by `kernel.run()`, removed when it returns. */
export interface SignalHandling {
  /** Resolves when a second signal during shutdown forces an early return. */
  readonly forced: Promise<void>;
  dispose(): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
// run() must keep the process alive until a signal: signal listeners alone do not.
const KEEP_ALIVE_MS = 2 ** 30;

/**
 * SIGINT/SIGTERM begin a graceful shutdown; a second one while it runs gives up waiting:
 * `run()` resolves at once with a non-zero exit code (the caller decides to exit).
 */
export function handleSignals(target: SignalTarget, logger: Logger): SignalHandling {
  let force!: () => void;
  const forced = new Promise<void>((resolve) => (force = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!target.shuttingDown.aborted) {
      logger.info({ signal }, 'signal received: shutting down gracefully (send it again to force)');
      void target.shutdown();
      return;
    }
    logger.warn({ signal }, 'second signal during shutdown: giving up waiting');
    target.exitCode = target.exitCode || 130;
    force();
  };
  const onHangup = (): void => {
    if (target.shuttingDown.aborted) return;
    logger.info({ signal: 'SIGHUP' }, 'signal received: reloading');
    target.reload();
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  process.on('SIGHUP', onHangup);
  const keepAlive = setInterval(() => undefined, KEEP_ALIVE_MS);
  return {
    forced,
    dispose() {
      for (const signal of SIGNALS) process.off(signal, onSignal);
      process.off('SIGHUP', onHangup);
      clearInterval(keepAlive);
    },
  };
}
