import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

// @keel/core ships as one ESM file that rollup joins from tsc's per-file output
// (packages/core/build/). `npm run build` (and `npm test`) makes both; `tsc -b` alone leaves
// the bundle behind, which these tests catch.
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CORE = join(ROOT, 'packages/core');
const BUNDLE = join(CORE, 'dist/index.js');
const run = promisify(execFile);

/** Runs an ESM script in a fresh node; resolves its stdout parsed as JSON. */
async function child<T>(script: string): Promise<T> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: CORE,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return JSON.parse(stdout) as T;
}

const withoutMapComment = (code: string): string =>
  code.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');

describe('the @keel/core bundle', () => {
  it('is what rollup makes of the current tsc build (else: npm run build)', async () => {
    expect(existsSync(BUNDLE)).toBe(true); // npm test builds first
    const tmp = mkdtempSync(join(tmpdir(), 'keel-bundle-'));
    try {
      const file = join(tmp, 'index.js');
      await run(
        process.execPath,
        [join(ROOT, 'node_modules/rollup/dist/bin/rollup'), '-c', '--silent', '--file', file],
        { cwd: ROOT },
      );
      const stale = 'packages/core/dist/index.js is older than the tsc build: run `npm run build`';
      expect({ stale, same: withoutMapComment(readFileSync(BUNDLE, 'utf8')) }).toEqual({
        stale,
        same: withoutMapComment(readFileSync(file, 'utf8')),
      });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);

  it('exports every name of the per-file build, each of the same kind', async () => {
    const shape = (url: string): string =>
      `Object.fromEntries(Object.entries(await import(${JSON.stringify(url)})).map(([k, v]) => [k, typeof v]))`;
    const [bundled, perFile] = await Promise.all([
      child<Record<string, string>>(
        `console.log(JSON.stringify(${shape(pathToFileURL(BUNDLE).href)}))`,
      ),
      child<Record<string, string>>(
        `console.log(JSON.stringify(${shape(pathToFileURL(join(CORE, 'build/index.js')).href)}))`,
      ),
    ]);
    expect(Object.keys(bundled).length).toBeGreaterThan(20);
    expect(bundled).toEqual(perFile);
  }, 30_000);

  it('has a source map whose every source is a file under packages/core/src', () => {
    const { sources } = JSON.parse(readFileSync(`${BUNDLE}.map`, 'utf8')) as { sources: string[] };
    expect(sources.length).toBeGreaterThan(50);
    const missing = sources.filter(
      (s) => !s.startsWith('../src/') || !existsSync(join(CORE, 'dist', s)),
    );
    expect(missing).toEqual([]);
  });

  it('imports without pino, croner or node:crypto; the default logger loads pino', async () => {
    const loaded = await child<{ atImport: string[]; afterCreate: string[] }>(`
      import { createRequire } from 'node:module';
      const required = () => Object.keys(createRequire(import.meta.url).cache)
        .filter((f) => /[\\\\/]node_modules[\\\\/](pino|croner)[\\\\/]/.test(f))
        .map((f) => f.match(/node_modules[\\\\/](pino|croner)/)[1]);
      const before = new Set(process.moduleLoadList);
      const { Kernel, Module } = await import(${JSON.stringify(pathToFileURL(BUNDLE).href)});
      const crypto = process.moduleLoadList.filter((m) => !before.has(m) && m === 'NativeModule crypto');
      const atImport = [...new Set([...required(), ...crypto])];
      class App {}
      Module({ name: 'app' })(App);
      Kernel.create({ modules: [App] });
      console.log(JSON.stringify({ atImport, afterCreate: [...new Set(required())] }));
    `);
    expect(loaded).toEqual({ atImport: [], afterCreate: ['pino'] });
  }, 30_000);
});
