#!/usr/bin/env node
// create-keel: copies template/ into a new directory and fills in the name and versions.
// Plain JavaScript on purpose: `npm create keel` runs it without a build step.
import { cpSync, existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const USAGE = `Usage: npm create keel <directory> [-- --commonjs]

Scaffolds a Keel service: a tsconfig with the decorator flags, one module with a worker and
a task, node:test and Jest tests on @keel/testing. Then: cd <directory> && npm install && npm test
  --commonjs   a CommonJS project ("type": "commonjs"; needs Node.js 20.19+ for require(esm))
`;

/**
 * Scaffolds a service into `directory`.
 * @param {string} directory where to create it (must not exist or be empty)
 * @param {{ commonjs?: boolean }} [options]
 * @returns {string} the absolute path of the new project
 */
export function scaffold(directory, options = {}) {
  const target = resolve(directory);
  if (existsSync(target) && readdirSync(target).length > 0) {
    throw new Error(`create-keel: ${target} exists and is not empty: choose a new directory.`);
  }
  const here = fileURLToPath(new URL('.', import.meta.url));
  const own = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
  cpSync(join(here, 'template'), target, { recursive: true });
  // npm drops files named .gitignore from tarballs, so the template ships it as "gitignore".
  renameSync(join(target, 'gitignore'), join(target, '.gitignore'));
  const name =
    basename(target)
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-') || 'keel-service';
  const pkgFile = join(target, 'package.json');
  const pkg = readFileSync(pkgFile, 'utf8')
    .replaceAll('__NAME__', name)
    .replaceAll('__KEEL_VERSION__', `^${own.version}`)
    .replaceAll('__TYPE__', options.commonjs ? 'commonjs' : 'module');
  writeFileSync(pkgFile, pkg);
  return target;
}

const invoked = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invoked) {
  const args = process.argv.slice(2);
  const directory = args.find((a) => !a.startsWith('-'));
  if (!directory || args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    process.exitCode = directory ? 0 : 1;
  } else {
    try {
      const target = scaffold(directory, { commonjs: args.includes('--commonjs') });
      process.stdout.write(
        `Created ${target}\n\n  cd ${directory}\n  npm install\n  npm test        # node:test\n` +
          `  npm run test:jest\n  npm start       # Ctrl-C stops it gracefully\n`,
      );
    } catch (error) {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    }
  }
}
