import { fileURLToPath } from 'node:url';
import { importCycles, importGraph } from './import-graph.js';

const CORE = fileURLToPath(new URL('../../packages/core/src/', import.meta.url));

describe('packages/core/src imports', () => {
  it('has no import cycle (type-only imports included)', () => {
    const cycles = importCycles(importGraph(CORE)).map((c) => c.join(' <-> '));
    expect(cycles).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(importCycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });
});
