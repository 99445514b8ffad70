import { readFileSync } from 'node:fs';
import { HttpServer } from '../src/index.js';

const repo = new URL('../../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, repo), 'utf8');

/** Every ```ts block that docs/plugins.md marks with `<!-- quote: path -->`. */
function quotes(doc: string): Array<{ path: string; code: string }> {
  const pattern = /<!-- quote: (\S+) -->\n```ts(?: fragment)?\n([\s\S]*?)```\n/g;
  return [...doc.matchAll(pattern)].map((m) => ({ path: m[1]!, code: m[2]! }));
}

describe('docs/plugins.md', () => {
  const doc = read('docs/plugins.md');

  it('quotes the package verbatim', () => {
    const found = quotes(doc);
    expect(found.length).toBeGreaterThanOrEqual(10);
    for (const { path, code } of found) {
      expect({ path, quoted: read(path).includes(code) }).toEqual({ path, quoted: true });
    }
  });

  it('shows the error message configure() really gives for a bad port', () => {
    let message = '';
    try {
      HttpServer.configure({ port: 70_000, handler: () => undefined });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).not.toBe('');
    expect(doc.replace(/\s+/g, ' ')).toContain(message);
  });
});
