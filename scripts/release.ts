// Versions and packs every publishable package. `npm run release:dry` shows what a release
// would do (new versions, each tarball's files) and changes nothing; `npm run release --
// <patch|minor|major|x.y.z>` writes the versions (peer ranges on @keel/core follow) and packs
// the tarballs into release/, ready for `npm publish release/*.tgz`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGES = [
  'core',
  'testing',
  'graceful-http',
  'inspector',
  'redis',
  'bullmq',
  'config',
  'create-keel',
];

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

function bump(version: string, how: string): string {
  if (/^\d+\.\d+\.\d+$/.test(how)) return how;
  const [major, minor, patch] = version.split('.').map(Number) as [number, number, number];
  if (how === 'major') return `${major + 1}.0.0`;
  if (how === 'minor') return `${major}.${minor + 1}.0`;
  if (how === 'patch') return `${major}.${minor}.${patch + 1}`;
  throw new Error(`release: "${how}" is not patch, minor, major or a version like 1.2.3.`);
}

const args = process.argv.slice(2);
const dry = args.includes('--dry-run');
const how = args.find((a) => !a.startsWith('-')) ?? 'patch';
const file = (p: string): string => join(ROOT, 'packages', p, 'package.json');
const manifests = PACKAGES.map((p) => JSON.parse(readFileSync(file(p), 'utf8')) as Manifest);
const next = bump(manifests[0]!.version, how);
const minor = next.split('.').slice(0, 2).join('.');

execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' }); // tsc, then core's bundle
console.log(`${dry ? '[dry run] ' : ''}release ${manifests[0]!.version} -> ${next}`);
const out = join(ROOT, 'release');
if (!dry) mkdirSync(out, { recursive: true });
PACKAGES.forEach((p, i) => {
  const m = manifests[i]!;
  m.version = next;
  // 0.x: a minor is breaking, so plugins accept the cores of their own minor (^0.2.0).
  if (m.peerDependencies?.['@keel/core']) m.peerDependencies['@keel/core'] = `^${minor}.0`;
  for (const dep of Object.keys(m.dependencies ?? {}))
    if (dep.startsWith('@keel/')) m.dependencies![dep] = next;
  if (!dry) writeFileSync(file(p), `${JSON.stringify(m, null, 2)}\n`);
  const packArgs = ['pack', '--json', ...(dry ? ['--dry-run'] : ['--pack-destination', out])];
  const [packed] = JSON.parse(
    execFileSync('npm', packArgs, { cwd: join(ROOT, 'packages', p), encoding: 'utf8' }),
  ) as Array<{ filename: string; size: number; files: Array<{ path: string }> }>;
  const top = [...new Set(packed!.files.map((f) => f.path.split('/')[0]))].sort();
  console.log(
    `  ${m.name}@${next}: ${packed!.filename}, ${packed!.files.length} files ` +
      `(${top.join(', ')}), ${Math.round(packed!.size / 1024)} kB packed`,
  );
});
if (dry) console.log('[dry run] nothing written; run `npm run release -- <version>` to do it.');
else console.log(`versions written; tarballs in ${out}: npm publish release/*.tgz`);
