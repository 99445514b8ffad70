// @ts-check
// @keel/core ships as one ESM file: importing 90 modules one by one cost more than the
// code in them (Node resolves, stats, reads and compiles each file on its own).
// tsc still compiles (decorator metadata) into packages/core/build/ and writes the .d.ts
// into dist/; rollup only joins tsc's output. `npm run build` runs both.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** @param {string} path */
const core = (path) => join(import.meta.dirname, 'packages/core', path);

/**
 * Loads each of tsc's files with its source map, so the bundle's map points at src/*.ts.
 * @type {import('rollup').Plugin}
 */
const tscSourceMaps = {
  name: 'tsc-source-maps',
  load(id) {
    return { code: readFileSync(id, 'utf8'), map: readFileSync(`${id}.map`, 'utf8') };
  },
};

/**
 * Drops the comments (TSDoc included) from the bundled JS only: Node reads and scans every
 * byte of it at `import('@keel/core')`, and they were a quarter of it. The .d.ts files keep
 * their TSDoc (tsc writes them); the code is not minified, so a stack trace without the
 * source map still reads, and the map goes through this step to src/.
 * @type {import('rollup').Plugin}
 */
const stripComments = {
  name: 'strip-comments',
  async renderChunk(code) {
    const { transform } = await import('esbuild');
    const out = await transform(code, {
      loader: 'js',
      format: 'esm',
      target: 'es2022',
      charset: 'utf8',
      legalComments: 'none',
      sourcemap: 'external',
    });
    return { code: out.code, map: out.map };
  },
};

/** @type {import('rollup').RollupOptions} */
export default {
  input: core('build/index.js'),
  // Dependencies and node: builtins stay imports; only the package's own files are joined.
  external: (id) => !id.startsWith('.') && !id.startsWith('/'),
  plugins: [tscSourceMaps, stripComments],
  output: {
    file: core('dist/index.js'),
    format: 'es',
    sourcemap: true,
    sourcemapExcludeSources: true,
  },
};
