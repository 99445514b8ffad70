import { performance } from 'node:perf_hooks';
import type { TaskHandle } from '@keel/core';
import { startKeelFixture, type KeelFixture } from '../harness/keel-fixture.js';
import type { Row } from '../harness/result.js';
import { canCollectGarbage, quantile, settledHeap, summarize } from '../stats.js';

/**
 * Scenario 6 (issue 19): `tasks` timers spread over the next `spreadMs` and left to fire, the
 * way a service uses them (many deadlines of different lengths). Keel
 * `ctx.newTask(name, fn).schedule(date)` vs one `setTimeout` each. One fresh process per
 * contender measures: scheduling and cancelling them all (`rounds` times, after a warm-up);
 * the heap retained while they are pending (after a full GC); then one round left to fire:
 * the process CPU and the event-loop utilisation from the end of scheduling until the last
 * fired, and each timer's lateness (fire time − due time).
 */
export const TIMERS_CONTENDERS = ['keel', 'setTimeout'] as const;
export type TimersContender = (typeof TIMERS_CONTENDERS)[number];

export interface TimersArgs {
  contender: TimersContender;
  tasks?: number;
  spreadMs?: number;
  rounds?: number;
}

export interface TimersResult {
  scheduleMs: number[];
  cancelMs: number[];
  retainedBytes: number;
  exactGc: boolean;
  /** Process CPU (user + system) from the end of scheduling until the last fired, ms. */
  fireCpuMs: number;
  /** Wall time of the same window, ms. */
  fireWallMs: number;
  /** `performance.eventLoopUtilization()` over the same window, 0..1. */
  elu: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
}

/**
 * Due offsets in whole ms in [spreadMs / 20, spreadMs], the same for both contenders
 * (seeded): none is due before the scheduling loop ended, so lateness is the timers' own.
 */
function offsets(n: number, spreadMs: number): Float64Array {
  const out = new Float64Array(n);
  let seed = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    // xorshift32
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    const min = Math.ceil(spreadMs / 20);
    out[i] = min + ((seed >>> 0) % (spreadMs - min + 1));
  }
  return out;
}

interface Contender {
  /** Schedules timer `i` for `offsetMs` from now; returns a handle to cancel it. */
  schedule(offsetMs: number, fn: () => void): unknown;
  cancel(handle: unknown): void;
}

function contenderOf(name: TimersContender, fixture: KeelFixture | undefined): Contender {
  if (name === 'setTimeout') {
    return {
      schedule: (offsetMs, fn) => setTimeout(fn, offsetMs),
      cancel: (handle) => clearTimeout(handle as NodeJS.Timeout),
    };
  }
  const ctx = fixture!.ctx;
  return {
    schedule: (offsetMs, fn) => ctx.newTask('timer', fn).schedule(new Date(Date.now() + offsetMs)),
    cancel: (handle) => (handle as TaskHandle).cancel(),
  };
}

export async function timersScenario(args: TimersArgs): Promise<TimersResult> {
  const n = args.tasks ?? 100_000;
  const spreadMs = args.spreadMs ?? 10_000;
  const rounds = args.rounds ?? 5;
  const fixture = args.contender === 'keel' ? await startKeelFixture() : undefined;
  const c = contenderOf(args.contender, fixture);
  const offs = offsets(n, spreadMs);
  const handles: unknown[] = new Array<unknown>(n).fill(undefined);
  const noop = (): void => {};
  const scheduleMs: number[] = [];
  const cancelMs: number[] = [];
  try {
    // Schedule and cancel; nothing fires in between (all synchronous).
    for (let round = 0; round < rounds + 1; round++) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) handles[i] = c.schedule(offs[i]!, noop);
      const t1 = performance.now();
      for (let i = 0; i < n; i++) c.cancel(handles[i]);
      const t2 = performance.now();
      if (round > 0) {
        scheduleMs.push(t1 - t0);
        cancelMs.push(t2 - t1);
      }
    }
    handles.fill(undefined);

    // Retained heap while pending: the same spread, a minute later (none fires meanwhile).
    const before = await settledHeap();
    for (let i = 0; i < n; i++) handles[i] = c.schedule(60_000 + offs[i]!, noop);
    const retainedBytes = Math.max(0, (await settledHeap()) - before);
    for (let i = 0; i < n; i++) c.cancel(handles[i]);
    handles.fill(undefined);
    await settledHeap();

    // Left to fire: lateness per timer, CPU and event-loop utilisation until the last fired.
    const lateness = new Float64Array(n);
    let fired = 0;
    let allFired!: () => void;
    const done = new Promise<void>((resolve) => (allFired = resolve));
    for (let i = 0; i < n; i++) {
      const due = performance.now() + offs[i]!;
      handles[i] = c.schedule(offs[i]!, () => {
        lateness[i] = performance.now() - due;
        if (++fired === n) allFired();
      });
    }
    const cpu0 = process.cpuUsage();
    const elu0 = performance.eventLoopUtilization();
    const wall0 = performance.now();
    let guard: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      guard = setTimeout(
        () => reject(new Error(`timers: only ${fired} of ${n} fired`)),
        spreadMs + 60_000,
      );
    });
    try {
      await Promise.race([done, timedOut]);
    } finally {
      clearTimeout(guard);
    }
    const fireWallMs = performance.now() - wall0;
    const elu = performance.eventLoopUtilization(elu0).utilization;
    const cpu = process.cpuUsage(cpu0);
    handles.fill(undefined);
    const sorted = Array.from(lateness).sort((a, b) => a - b);
    return {
      scheduleMs,
      cancelMs,
      retainedBytes,
      exactGc: canCollectGarbage(),
      fireCpuMs: (cpu.user + cpu.system) / 1000,
      fireWallMs,
      elu,
      latencyP50Ms: quantile(sorted, 0.5),
      latencyP99Ms: quantile(sorted, 0.99),
      latencyMaxMs: sorted[sorted.length - 1]!,
    };
  } finally {
    await fixture?.kernel.shutdown();
  }
}

/** The rows of the timers scenario, from one result per contender. */
export function timersRows(
  n: number,
  spreadMs: number,
  results: Record<TimersContender, TimersResult>,
): Row[] {
  const label = `${n.toLocaleString('en-US')} timers over ${spreadMs / 1000} s`;
  const rows: Row[] = [];
  const add = (
    what: string,
    unit: Row['unit'],
    pick: (r: TimersResult) => number[],
    details?: (r: TimersResult) => Record<string, unknown>,
  ): void => {
    for (const contender of TIMERS_CONTENDERS) {
      const r = results[contender];
      rows.push({
        scenario: `${label}: ${what}`,
        contender,
        unit,
        summary: summarize(pick(r)),
        ...(details === undefined ? {} : { details: details(r) }),
      });
    }
  };
  add('schedule all', 'ms', (r) => r.scheduleMs);
  add('cancel all', 'ms', (r) => r.cancelMs);
  add(
    'heap retained per pending timer',
    'B',
    (r) => [r.retainedBytes / n],
    (r) => ({ exactGc: r.exactGc }),
  );
  add(
    'CPU while firing',
    'ms',
    (r) => [r.fireCpuMs],
    (r) => ({ wallMs: r.fireWallMs }),
  );
  add('event-loop utilisation while firing', '%', (r) => [r.elu * 100]);
  add('lateness p50', 'ms', (r) => [r.latencyP50Ms]);
  add(
    'lateness p99',
    'ms',
    (r) => [r.latencyP99Ms],
    (r) => ({ maxMs: r.latencyMaxMs }),
  );
  return rows;
}
