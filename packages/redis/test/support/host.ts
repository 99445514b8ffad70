import { systemClock, type FleetHost } from '@keel/core';
import { pino } from 'pino';

/** A FleetHost on the real clock that records what the connection tells the kernel. */
export interface RecordingHost extends FleetHost {
  readonly links: { connected: boolean; reason?: string | undefined }[];
  readonly reports: { error: unknown; taskName: string }[];
  /** Every log line written, raw JSON text. */
  readonly lines: string[];
}

export function recordingHost(): RecordingHost {
  const links: RecordingHost['links'] = [];
  const reports: RecordingHost['reports'] = [];
  const lines: string[] = [];
  const logger = pino({ level: 'debug', base: undefined }, { write: (l: string) => lines.push(l) });
  return {
    clock: systemClock,
    logger,
    links,
    reports,
    lines,
    connectionChanged: (connected, reason) => links.push({ connected, reason }),
    report: (error, taskName) => reports.push({ error, taskName }),
  };
}

/** Polls `check` every 20 ms (real time) until it is true; throws after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const started = Date.now();
  // Bounded: at most timeoutMs / 20 turns.
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`until: ${what} not true within ${timeoutMs} ms`);
}

/** Open TCP sockets of this process (what a closed connection must not leave behind). */
export function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
}

/** Active timers of this process. */
export function timerHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}
