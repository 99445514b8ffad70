import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

/** Where the figures were taken. */
export interface Machine {
  readonly date: string;
  readonly nproc: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly platform: string;
  readonly memoryGiB: number;
  /** 1-minute load average when the run began: anything else running skews the figures. */
  readonly loadAverage: number;
  /** Set when KEEL_BENCH_CORE pointed the run at another build of @keel/core. */
  readonly coreOverride: string | null;
}

export function describeMachine(now = new Date()): Machine {
  return {
    date: now.toISOString(),
    nproc: availableParallelism(),
    cpuModel: cpuModel(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: Math.round(loadavg()[0]! * 100) / 100,
    coreOverride: process.env['KEEL_BENCH_CORE'] || null,
  };
}

/** The "model name" line of /proc/cpuinfo (os.cpus() elsewhere). */
function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line !== undefined) return line.slice(line.indexOf(':') + 1).trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown';
}
