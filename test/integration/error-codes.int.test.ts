import { readFileSync } from 'node:fs';
import { ErrorCodes, KeelError, type ErrorCode } from '@keel/core';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const codes = Object.keys(ErrorCodes) as ErrorCode[];

/** The first cell of every row of the codes table in docs/errors.md: `| \`E_X\` | …`. */
const rows = doc
  .split('\n')
  .map((line) => /^\| `(E_[A-Z_]+)` \|/.exec(line)?.[1])
  .filter((code): code is string => code !== undefined);

describe('ErrorCodes', () => {
  it('has codes, each named E_UPPER_SNAKE with a meaning of its own', () => {
    expect(codes.length).toBeGreaterThan(0);
    for (const code of codes) {
      expect(code).toMatch(/^E_[A-Z]+(?:_[A-Z]+)*$/);
      expect(ErrorCodes[code].length).toBeGreaterThan(10);
    }
    const meanings = Object.values(ErrorCodes);
    expect(new Set(meanings).size).toBe(meanings.length);
  });

  it('is unique when compared case-insensitively (no near-duplicates)', () => {
    const lower = codes.map((c) => c.toLowerCase());
    expect(new Set(lower).size).toBe(codes.length);
  });

  it('gives every KeelError the meaning of its code', () => {
    for (const code of codes) {
      const err = new KeelError(code, 'test');
      expect(err.code).toBe(code);
      expect(err.meaning).toBe(ErrorCodes[code]);
    }
  });
});

describe('docs/errors.md', () => {
  it.each(codes)('has exactly one row for %s', (code) => {
    expect(rows.filter((row) => row === code)).toEqual([code]);
  });

  it('lists no unknown code, in the table or anywhere else on the page', () => {
    const known = new Set<string>(codes);
    const mentioned = new Set(doc.match(/\bE_[A-Z]+(?:_[A-Z]+)*\b/g) ?? []);
    expect([...mentioned].filter((code) => !known.has(code))).toEqual([]);
    expect(rows.filter((code) => !known.has(code))).toEqual([]);
  });
});

describe('the error catalog (packages/core/src/errors/catalog.ts)', () => {
  it('builds coded errors whose codes all have a row in docs/errors.md', async () => {
    const catalog = await import('../../packages/core/src/errors/catalog.js');
    const made = [
      catalog.kernelOptionError('modules', '`modules` must be an array.'),
      catalog.notAFunctionError('ctx.startWorker("w", fn)', 42, { module: 'm' }),
      catalog.badArgumentError('kernel.graph: unknown format "x".'),
      catalog.kernelStateError('kernel.restart("m") needs an online kernel.', 'm'),
      catalog.moduleMissingError('No module "x" in this kernel.'),
      catalog.stepTimeoutError('m', 'start()', 10, 'startTimeout'),
      catalog.abandonedError('m', 'start'),
    ];
    for (const err of made) {
      expect(err).toBeInstanceOf(KeelError);
      expect(rows).toContain(err.code);
    }
    expect(made[1]).toMatchObject({
      message: 'ctx.startWorker("w", fn) needs a function, got number.',
      module: 'm',
      details: { got: 'number' },
    });
    expect(made[6]).toMatchObject({ code: 'E_ABANDONED', details: { abandoned: true } });
  });
});
