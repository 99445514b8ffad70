import { KEEL, type Row, type Unit } from './result.js';

/** Keel's median ÷ this row's median, within the row's scenario; undefined without a Keel row. */
export function keelRatio(rows: readonly Row[], row: Row): number | undefined {
  const keel = rows.find((r) => r.scenario === row.scenario && r.contender === KEEL);
  if (keel === undefined || row.summary.median === 0) return undefined;
  return keel.summary.median / row.summary.median;
}

export function formatValue(value: number, unit: Unit): string {
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : value >= 1 ? 2 : 3;
  const label = unit === 'us' ? 'µs' : unit;
  return unit === '%' ? `${value.toFixed(digits)} %` : `${value.toFixed(digits)} ${label}`;
}

function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined) return '';
  return ratio >= 10 ? ratio.toFixed(1) : ratio >= 1 ? ratio.toFixed(2) : ratio.toFixed(3);
}

/**
 * One table: a heading line per scenario, then one line per contender with the median,
 * the spread (median absolute deviation as ± % of the median, and the sample count) and
 * Keel ÷ that contender (below 1: Keel needs less time or memory).
 */
export function renderTable(rows: readonly Row[]): string {
  const header = ['scenario / contender', 'median', 'spread (n)', 'Keel ÷'];
  const lines: string[][] = [];
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  for (const scenario of scenarios) {
    lines.push([scenario, '', '', '']);
    for (const row of rows.filter((r) => r.scenario === scenario)) {
      const { summary } = row;
      const spread =
        summary.n > 1 ? `±${(summary.spread * 100).toFixed(1)}% (${summary.n})` : '(1)';
      lines.push([
        `  ${row.contender}`,
        formatValue(summary.median, row.unit),
        spread,
        row.contender === KEEL ? '1' : formatRatio(keelRatio(rows, row)),
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [render(header), rule, ...lines.map(render)].join('\n');
}
