import type { Row } from './result.js';

/** A target of the issue, checked against the measured rows. */
export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | null;
}

function median(rows: readonly Row[], scenario: string, contender: string): number | undefined {
  return rows.find((r) => r.scenario === scenario && r.contender === contender)?.summary.median;
}

function x(value: number): string {
  return value >= 10 ? `${value.toFixed(1)}×` : `${value.toFixed(2)}×`;
}

/** Checks every target the issue names; `met: null` when a figure is missing. */
export function checkTargets(rows: readonly Row[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const add: Add = (target, measure) => {
    const result = measure();
    checks.push(
      result === undefined
        ? { target, measured: 'not measured', met: null }
        : { target, ...result },
    );
  };

  for (const mode of ['warm', 'cold'] as const) {
    const s1k = `boot+shutdown ${mode} N=1000`;
    const s10k = `boot+shutdown ${mode} N=10000`;
    add(`boot+shutdown 1,000 modules ${mode}: ≥10× faster than NestJS`, () => {
      const k = median(rows, s1k, 'keel');
      const n = median(rows, s1k, 'nestjs');
      if (k === undefined || n === undefined) return undefined;
      return {
        measured: `Keel is ${x(n / k)} faster (${k.toFixed(1)} vs ${n.toFixed(1)} ms)`,
        met: n / k >= 10,
      };
    });
    add(`boot+shutdown 1,000 modules ${mode}: within 2× of plain tsyringe`, () => {
      const k = median(rows, s1k, 'keel');
      const t = median(rows, s1k, 'tsyringe');
      if (k === undefined || t === undefined) return undefined;
      return {
        measured: `Keel ÷ tsyringe = ${x(k / t)} (${k.toFixed(1)} vs ${t.toFixed(1)} ms)`,
        met: k / t <= 2,
      };
    });
    add(`boot+shutdown ${mode}: growth 1,000 → 10,000 modules ≤ 12×`, () => {
      const a = median(rows, s1k, 'keel');
      const b = median(rows, s10k, 'keel');
      if (a === undefined || b === undefined) return undefined;
      return { measured: `${x(b / a)} (${a.toFixed(1)} → ${b.toFixed(1)} ms)`, met: b / a <= 12 };
    });
  }
  add('triggerEvent to 10 hooks at least as fast as eventemitter2 emitAsync', () => {
    const s = 'event to 10 hooks, per trigger';
    const k = median(rows, s, 'keel');
    const e = median(rows, s, 'eventemitter2 emitAsync');
    if (k === undefined || e === undefined) return undefined;
    return {
      measured: `${k.toFixed(2)} vs ${e.toFixed(2)} µs (Keel ÷ ee2 = ${x(k / e)})`,
      met: k <= e,
    };
  });
  for (const shape of ['one at a time', 'bursts of']) {
    add(
      `runMicroTask overhead no worse than bare p-limit (${shape === 'bursts of' ? 'bursts' : shape})`,
      () => {
        const s = rows.find(
          (r) =>
            r.scenario.startsWith(`microtask, ${shape}`) &&
            r.scenario.endsWith('overhead over a direct call'),
        )?.scenario;
        if (s === undefined) return undefined;
        const k = median(rows, s, 'keel');
        const p = median(rows, s, 'p-limit');
        if (k === undefined || p === undefined) return undefined;
        return { measured: `${k.toFixed(3)} vs ${p.toFixed(3)} µs per call`, met: k <= p };
      },
    );
  }
  const memory = rows.find(
    (r) => r.scenario.startsWith('heap retained by') && r.scenario.endsWith('scheduled tasks'),
  )?.scenario;
  add('100,000 scheduled tasks retain ≤ half the memory of one setTimeout per task', () => {
    if (memory === undefined) return undefined;
    const k = median(rows, memory, 'keel');
    const t = median(rows, memory, 'setTimeout');
    if (k === undefined || t === undefined) return undefined;
    return {
      measured: `${k.toFixed(1)} vs ${t.toFixed(1)} MB (Keel ÷ setTimeout = ${x(k / t)})`,
      met: k <= t / 2,
    };
  });
  for (const phase of ['schedule', 'cancel']) {
    add(
      `${phase === 'schedule' ? 'scheduling' : 'cancelling'} 100,000 tasks faster than setTimeout`,
      () => {
        const s = rows.find(
          (r) => r.scenario.startsWith(`${phase} `) && r.scenario.endsWith(' tasks'),
        )?.scenario;
        if (s === undefined) return undefined;
        const k = median(rows, s, 'keel');
        const t = median(rows, s, 'setTimeout');
        if (k === undefined || t === undefined) return undefined;
        return {
          measured: `${k.toFixed(1)} vs ${t.toFixed(1)} ms (Keel ÷ setTimeout = ${x(k / t)})`,
          met: k < t,
        };
      },
    );
  }
  // Jobs: Keel ÷ raw BullMQ per round (paired trials), median and range over the rounds.
  const paired = (row: Row | undefined): number[] | undefined => {
    const ratios = row?.details?.['pairedRatios'];
    return Array.isArray(ratios) && ratios.length > 0 ? (ratios as number[]) : undefined;
  };
  const medianOf = (ratios: number[]): number => {
    const sorted = [...ratios].sort((a, b) => a - b);
    const n = sorted.length;
    return n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  };
  const range = (ratios: number[]): string => {
    const sorted = [...ratios].sort((x, y) => x - y);
    return `${medianOf(sorted).toFixed(2)} (rounds ${sorted[0]!.toFixed(2)}–${sorted[sorted.length - 1]!.toFixed(2)})`;
  };
  for (const scenario of new Set(rows.map((r) => r.scenario))) {
    const m =
      /^jobs (c=\d+, \d+ process(?:es)?), (throughput|enqueue→start p50|node CPU per job)/.exec(
        scenario,
      );
    if (m === null) continue;
    const [, config, figure] = m;
    const keel = rows.find((r) => r.scenario === scenario && r.contender === 'keel');
    const ratios = paired(keel);
    const higher = figure === 'throughput';
    add(`jobs ${config}: @Job ${figure} within 10 % of raw BullMQ`, () => {
      if (ratios === undefined) return undefined;
      const med = medianOf(ratios);
      return {
        measured: `keel ÷ raw = ${range(ratios)}`,
        met: higher ? med >= 0.9 : med <= 1.1,
      };
    });
  }
  const drift = rows.find(
    (r) => /^fleet task every 1s, .*due→start$/.test(r.scenario) && r.contender === 'keel',
  );
  add('fleet task every 1s on 3 replicas: no duplicate, no missed slot, no overlap', () => {
    const d = drift?.details as
      | { duplicates: number; missed: number; overlaps: number; runs: number; slots: number }
      | undefined;
    if (d === undefined) return undefined;
    return {
      measured: `${d.runs} runs in ${d.slots} slots: ${d.duplicates} duplicates, ${d.missed} missed, ${d.overlaps} overlaps`,
      met: d.duplicates === 0 && d.missed === 0 && d.overlaps === 0,
    };
  });
  for (const scenario of new Set(rows.map((r) => r.scenario))) {
    const m = /^(fleet events '(all|one)', .* events), throughput$/.exec(scenario);
    if (m === null) continue;
    const raw = 'raw ioredis streams';
    add(`fleet events '${m[2]}': ≥ 0.8× raw Streams throughput`, () => {
      const k = median(rows, scenario, 'keel');
      const r = median(rows, scenario, raw);
      if (k === undefined || r === undefined) return undefined;
      return {
        measured: `keel ÷ raw = ${x(k / r)} (${k.toFixed(0)} vs ${r.toFixed(0)} events/s)`,
        met: k / r >= 0.8,
      };
    });
    add(`fleet events '${m[2]}': trigger→hook p99 (2,000 events/s) ≤ 1.5× raw`, () => {
      const s = `${m[1]}, trigger→hook p99 at 2,000/s`;
      const k = median(rows, s, 'keel');
      const r = median(rows, s, raw);
      if (k === undefined || r === undefined) return undefined;
      return {
        measured: `keel ÷ raw = ${x(k / r)} (${k.toFixed(2)} vs ${r.toFixed(2)} ms)`,
        met: k / r <= 1.5,
      };
    });
  }
  issue19Targets(rows, add);
  return checks;
}

type Add = (target: string, measure: () => { measured: string; met: boolean } | undefined) => void;

/** Issue 19 ("Performance, round two"): Keel ÷ its building block, medians of one run. */
function issue19Targets(rows: readonly Row[], add: Add): void {
  const find = (test: (scenario: string) => boolean): string | undefined =>
    rows.find((r) => test(r.scenario))?.scenario;
  /** `keel ÷ other ≤ limit` (times, bytes), or `keel throughput ≥ other's` for rates. */
  const ratio = (
    target: string,
    scenario: string | undefined,
    other: string,
    limit: number,
    unit: string,
  ): void =>
    add(`#19 ${target}`, () => {
      if (scenario === undefined) return undefined;
      const k = median(rows, scenario, 'keel');
      const o = median(rows, scenario, other);
      if (k === undefined || o === undefined || o === 0) return undefined;
      const r = k / o;
      return {
        measured: `Keel ÷ ${other} = ${x(r)} (${k.toFixed(3)} vs ${o.toFixed(3)} ${unit})`,
        met: r <= limit,
      };
    });
  ratio(
    '10 async hooks, awaited: ≥ 1.0× eventemitter2 emitAsync throughput (time ≤ 1.0×)',
    find((s) => /^event to 10 async hooks/.test(s)),
    'eventemitter2 emitAsync',
    1,
    'µs',
  );
  ratio(
    'microtask burst 100k at limit 4: overhead ≤ 1.0× p-limit',
    find((s) => /^microtask, one burst of .* overhead over a direct call$/.test(s)),
    'p-limit',
    1,
    'µs/call',
  );
  const timers = (what: string): string | undefined =>
    find((s) => / timers over .*: /.test(s) && s.endsWith(`: ${what}`));
  ratio('100k timers: schedule ≤ 1.0× setTimeout', timers('schedule all'), 'setTimeout', 1, 'ms');
  ratio('100k timers: cancel ≤ 1.0× clearTimeout', timers('cancel all'), 'setTimeout', 1, 'ms');
  ratio(
    '100k timers: retained heap while pending ≤ 1.0× setTimeout',
    timers('heap retained per pending timer'),
    'setTimeout',
    1,
    'B/timer',
  );
  ratio(
    '100k timers: CPU while firing ≤ 2.0× setTimeout',
    timers('CPU while firing'),
    'setTimeout',
    2,
    'ms',
  );
  ratio('100k timers: lateness p99 ≤ 3× setTimeout', timers('lateness p99'), 'setTimeout', 3, 'ms');
  for (const phase of ['warm N=1000: ready', 'warm N=1000: close', 'cold N=1000: ready']) {
    ratio(
      `boot 1k ${phase} ≤ 2.0× plain tsyringe`,
      find((s) => s === `boot ${phase}`),
      'tsyringe',
      2,
      'ms',
    );
  }
  ratio(
    'import of @keel/core ≤ 1.5× tsyringe + reflect-metadata',
    find((s) => s.startsWith('import of @keel/core')),
    'tsyringe + reflect-metadata',
    1.5,
    'ms',
  );
}

export function renderTargets(checks: readonly TargetCheck[]): string {
  return checks
    .map(
      (c) => `${c.met === null ? '[ ? ]' : c.met ? '[met]' : '[MISS]'} ${c.target}: ${c.measured}`,
    )
    .join('\n');
}
