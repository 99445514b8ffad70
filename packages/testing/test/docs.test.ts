import { readFileSync } from 'node:fs';

const read = (path: string): string => readFileSync(new URL(path, import.meta.url), 'utf8');

describe('docs/testing.md', () => {
  it('shows the worked example exactly as packages/testing/test/worked-example.test.ts has it', () => {
    const doc = read('../../../docs/testing.md');
    const example = read('./worked-example.test.ts');
    expect(doc).toContain('```ts\n' + example + '```\n');
  });
});
