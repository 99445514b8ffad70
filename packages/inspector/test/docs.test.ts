import { readdirSync, readFileSync } from 'node:fs';
import { KernelMetrics } from '@keel/inspector';
import { startHarness } from './support/harness.js';
import { send } from './support/http.js';

const ROOT = new URL('../../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, ROOT), 'utf8');
const DOC = read('docs/inspector.md');

/** Lines without their indentation, so a snippet matches code nested in a test. */
const flatten = (code: string): string =>
  code
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .trim();

describe('docs/inspector.md', () => {
  it('quotes only TypeScript that compiles and runs (the example and the tests)', () => {
    const sources = [
      ...readdirSync(new URL('packages/inspector/examples/', ROOT)).map(
        (f) => `packages/inspector/examples/${f}`,
      ),
      ...readdirSync(new URL('packages/inspector/test/', ROOT))
        .filter((f) => f.endsWith('.test.ts'))
        .map((f) => `packages/inspector/test/${f}`),
    ].map((path) => flatten(read(path)));
    const blocks = [...DOC.matchAll(/```ts(?: fragment)?\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    for (const block of blocks) {
      if (!sources.some((source) => source.includes(flatten(block)))) {
        throw new Error(`this ts block of docs/inspector.md is in no example or test:\n${block}`);
      }
    }
  });

  it('lists exactly the metrics that /metrics serves', async () => {
    const h = await startHarness();
    try {
      const served = new Set(
        [...(await send(h.url, '/metrics')).text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(
          (m) => `${m[1]} ${m[2]}`,
        ),
      );
      const documented = new Set(
        [...DOC.matchAll(/^\| `(keel_[a-z_]+)` \| (gauge|counter) \|/gm)].map(
          (m) => `${m[1]} ${m[2]}`,
        ),
      );
      expect([...documented].sort()).toEqual([...served].sort());
      expect(documented.size).toBe(new KernelMetrics().registry.getMetricsAsArray().length);
    } finally {
      await h.stop();
    }
  });

  it('shows the screenshot it references', () => {
    expect(DOC).toContain('](images/inspector.png)');
    const png = readFileSync(new URL('docs/images/inspector.png', ROOT));
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.length).toBeLessThan(400 * 1024);
  });
});
