import fc from 'fast-check';
import { formatDuration, KeelError, toMs } from '../../src/index.js';
import { MAX_DURATION_MS } from '../../src/time/duration.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof KeelError ? err.code : `raw ${String(err)}`;
  }
  return undefined;
}

const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;

describe('toMs', () => {
  it.each([
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['1.5s', 1500],
    ['2h45m30s', 9_930_000],
    ['1.001s', 1001],
    ['.5s', 500],
    ['300us', 0.3],
    ['300µs', 0.3],
    ['1500ns', 0.0015],
    ['0', 0],
    ['1d2h', 93_600_000],
    ['1h 30m', 5_400_000],
  ])('reads the Go form %p', (text, ms) => {
    expect(toMs(text, 'x')).toBe(ms);
  });

  it.each([
    ['2 s', 2000],
    [' 5m ', 300_000],
    ['1.5m', 90_000],
    ['1d', 86_400_000],
    [250, 250],
    [0, 0],
  ])('still reads %p', (value, ms) => {
    expect(toMs(value, 'x')).toBe(ms);
  });

  it.each(['-1s', '-1h30m', '5', '1h30', 'h', '1x', '', '1.5.5s', '1 h 3', 'Infinity', 'NaN ms'])(
    'refuses %p, naming it',
    (text) => {
      expect(codeOf(() => toMs(text, 'ctx.sleep()'))).toBe('E_INVALID_DURATION');
      expect(() => toMs(text, 'ctx.sleep()')).toThrow(`ctx.sleep(): ${JSON.stringify(text)}`);
    },
  );

  it('keeps the maximum for compound strings', () => {
    expect(toMs('87600h', 'x')).toBe(MAX_DURATION_MS);
    expect(codeOf(() => toMs('87600h1ms', 'x'))).toBe('E_INVALID_DURATION');
    expect(codeOf(() => toMs(`1h${'1s'.repeat(200)}`, 'x'))).toBe('E_INVALID_DURATION');
  });

  it('reads any sequence of Go parts as the sum of its parts', () => {
    const part = fc.record({
      n: fc.integer({ min: 0, max: 1000 }),
      unit: fc.constantFrom(...(Object.keys(UNIT_MS) as Array<keyof typeof UNIT_MS>)),
    });
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 6 }), (parts) => {
        const text = parts.map((p) => `${p.n}${p.unit}`).join('');
        const sum = parts.reduce((total, p) => total + p.n * UNIT_MS[p.unit], 0);
        expect(toMs(text, 'x')).toBe(sum);
      }),
    );
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [250, '250ms'],
    [1500, '1.5s'],
    [90_000, '1m30s'],
    [5_400_000, '1h30m0s'],
    [9_930_000, '2h45m30s'],
    [1.5, '1.5ms'],
    [0.0015, '1.5µs'],
  ])('writes %p as %p (Go time.Duration.String)', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through toMs for every whole number of milliseconds up to the maximum', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_DURATION_MS }), (ms) => {
        expect(toMs(formatDuration(ms), 'x')).toBe(ms);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips whole microseconds below a second', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999 }), (us) => {
        expect(toMs(formatDuration(us / 1000), 'x')).toBeCloseTo(us / 1000, 9);
      }),
    );
  });
});
