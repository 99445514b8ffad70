import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * Preloaded into bench children (`--import`) when KEEL_BENCH_CORE names another build of
 * @keel/core (its dist/index.js): lets a core change be measured against the same bench
 * without touching the workspace, e.g. `KEEL_BENCH_CORE=/tmp/core/dist/index.js npm run bench`.
 */
const core = process.env['KEEL_BENCH_CORE'];
if (core !== undefined && core !== '') {
  register('./core-override-hooks.js', {
    parentURL: import.meta.url,
    data: { url: pathToFileURL(core).href },
  });
}
