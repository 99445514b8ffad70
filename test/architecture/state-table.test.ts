import { readFileSync } from 'node:fs';
import {
  KERNEL_OPERATIONS,
  KERNEL_TRANSITIONS,
} from '../../packages/core/src/kernel/kernel-state.js';

const doc = readFileSync(new URL('../../docs/architecture.md', import.meta.url), 'utf8');

/** The rows `| a | b | ... |` of the markdown table under `heading`, as [first, second]. */
function rows(after: string): Array<[string, string]> {
  const start = doc.indexOf(after);
  expect(start).toBeGreaterThan(-1);
  const lines = doc.slice(start).split('\n');
  const table = lines.slice(lines.findIndex((l) => l.startsWith('|')) + 2);
  const out: Array<[string, string]> = [];
  for (const line of table) {
    if (!line.startsWith('|')) break;
    const cells = line.split('|').map((c) => c.trim());
    out.push([cells[1]!, cells[2]!]);
  }
  return out;
}

const names = (cell: string): string[] =>
  cell === '—' ? [] : cell.split(',').map((s) => s.trim().replace(/`/g, ''));

describe('docs/architecture.md shows the kernel state tables of the code', () => {
  it('the moves (KERNEL_TRANSITIONS)', () => {
    const documented = Object.fromEntries(
      rows('Moves (`KERNEL_TRANSITIONS`').map(([from, to]) => [names(from)[0], names(to)]),
    );
    expect(documented).toEqual(KERNEL_TRANSITIONS);
  });

  it('the operations (KERNEL_OPERATIONS)', () => {
    const documented = Object.fromEntries(
      rows('Operations (`KERNEL_OPERATIONS`').map(([op, phases]) => [names(op)[0], names(phases)]),
    );
    expect(documented).toEqual(KERNEL_OPERATIONS);
  });
});
