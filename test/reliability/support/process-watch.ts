/** The bridge `process-watch-environment.cjs` puts on the test's global object. */
interface RealProcess {
  on(event: string, listener: (...args: unknown[]) => void): void;
  off(event: string, listener: (...args: unknown[]) => void): void;
}

/** What escaped: unhandled rejections and uncaught exceptions, described. */
export interface ProcessWatch {
  readonly problems: string[];
  dispose(): void;
}

const EVENTS = ['unhandledRejection', 'uncaughtException'] as const;

/**
 * Listens on the real process for unhandled rejections and uncaught exceptions. Needs the
 * test file to run in `support/process-watch-environment.cjs` (a `@jest-environment`
 * docblock); throws otherwise, so a property never passes without watching.
 */
export function watchProcess(): ProcessWatch {
  const real = (globalThis as { __keelRealProcess?: RealProcess }).__keelRealProcess;
  if (real === undefined) {
    throw new Error(
      'watchProcess: run this test file with `@jest-environment ./test/reliability/support/process-watch-environment.cjs`.',
    );
  }
  const problems: string[] = [];
  const listeners = EVENTS.map((event) => {
    const listener = (reason: unknown): void => {
      problems.push(
        `${event}: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`,
      );
    };
    real.on(event, listener);
    return { event, listener };
  });
  return {
    problems,
    dispose() {
      for (const { event, listener } of listeners) real.off(event, listener);
    },
  };
}
