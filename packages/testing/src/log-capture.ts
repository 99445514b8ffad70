import { pino, type LevelWithSilent, type Logger } from 'pino';

/** One captured log line, as parsed JSON (`level` is the label: `'info'`, `'error'`, …). */
export type LogRecord = Record<string, unknown>;

/** A logger whose lines are kept in memory, and those lines. */
export interface CapturedLogger {
  logger: Logger;
  logs: LogRecord[];
}

/**
 * A pino logger that writes nothing to stdout: each line is parsed and appended to `logs`.
 * Levels are written as labels and `time` is read from `now` (the fake clock), so tests can
 * assert `{ level: 'error', module: 'feed' }` at a known time.
 */
export function captureLogger(level: LevelWithSilent, now: () => number): CapturedLogger {
  const logs: LogRecord[] = [];
  const destination = {
    write(chunk: string): void {
      for (const line of chunk.split('\n')) {
        if (line === '') continue;
        try {
          logs.push(JSON.parse(line) as LogRecord);
        } catch {
          logs.push({ msg: line });
        }
      }
    },
  };
  const logger = pino(
    {
      level,
      base: undefined,
      timestamp: () => `,"time":${now()}`,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return { logger, logs };
}
