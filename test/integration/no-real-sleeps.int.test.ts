import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// Time in tests is the fake clock's. A real sleep makes tests slow and flaky, so none may
// wait for more than 50 ms: `setTimeout(resolve, 200)` or `await setTimeout(200)` (from
// node:timers/promises) in a test file fails this check. Timeouts that bound a wait (a
// callback that rejects or kills) are not sleeps and are not matched.
const LIMIT_MS = 50;
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SLEEP_PATTERNS = [
  // new Promise((resolve) => setTimeout(resolve, 200)); not clock.setTimeout (fake time)
  /(?<![.\w])setTimeout\(\s*(?:resolve|r|res|done|wake|next)\s*,\s*([\d_]+)\s*\)/g,
  // await setTimeout(200) / await delay(200) / await sleep(200)
  /await\s+(?<![.\w])(?:setTimeout|delay|sleep|wait)\(\s*([\d_]+)\s*[,)]/g,
];

function testFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'fixtures' || name.startsWith('.'))
      continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) testFiles(path, out);
    else if (path.endsWith('.ts')) out.push(path);
  }
  return out;
}

describe('tests never sleep for real', () => {
  it(`has no real wait above ${LIMIT_MS} ms in any test`, () => {
    const dirs = [
      join(root, 'test'),
      ...readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p, 'test')),
    ];
    const files = dirs
      .filter((d) => statSync(d, { throwIfNoEntry: false })?.isDirectory())
      .flatMap((d) => testFiles(d));
    expect(files.length).toBeGreaterThan(20);
    const offenders: string[] = [];
    for (const file of files) {
      if (file === fileURLToPath(import.meta.url)) continue;
      const text = readFileSync(file, 'utf8');
      for (const pattern of SLEEP_PATTERNS) {
        for (const match of text.matchAll(pattern)) {
          const ms = Number(match[1]!.replaceAll('_', ''));
          if (ms > LIMIT_MS) {
            const line = text.slice(0, match.index).split('\n').length;
            offenders.push(`${relative(root, file)}:${line} waits ${ms} ms: ${match[0]}`);
          }
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('would catch a sleep', () => {
    const sample = 'await new Promise((resolve) => setTimeout(resolve, 200));';
    expect([...sample.matchAll(SLEEP_PATTERNS[0]!)].map((m) => m[1])).toEqual(['200']);
  });
});
