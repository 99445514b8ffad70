import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// The proof that a user outside this repository can: pack every package, install the
// tarballs into fresh projects made by create-keel in the OS temp dir (ESM and CommonJS),
// then build, test and run them there. The packages' third-party dependencies are installed
// by npm from its cache (--prefer-offline: the registry is asked only for what the cache
// lacks). The starter's toolchain (typescript, jest, ts-jest, @types/node, @jest/globals)
// is not re-resolved from the registry, which takes minutes: its pins must equal the
// workspace's, and the workspace's copies are linked in.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGES = ['core', 'testing', 'graceful-http', 'inspector', 'redis', 'bullmq', 'config'];
const run = promisify(execFile);
const MINUTES = 60_000;

interface Packed {
  name: string;
  filename: string;
  files: Array<{ path: string }>;
}

async function sh(cwd: string, command: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(command, args, {
      cwd,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, NODE_OPTIONS: '', npm_config_update_notifier: 'false' },
    });
    return stdout + stderr;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${e.stdout}\n${e.stderr}`);
  }
}

/** Runs the built service, waits for its first greeting, sends SIGINT; resolves its output. */
function runService(cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['dist/src/main.js'], { cwd });
    let output = '';
    let signalled = false;
    const bound = setTimeout(() => child.kill('SIGKILL'), 30_000); // bounds a hang, not a sleep
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (!signalled && output.includes('"msg":"hello"')) {
        signalled = true;
        child.kill('SIGINT');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(bound);
      resolve({ code, output });
    });
  });
}

describe('a consumer outside the workspace', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'keel-consumer-'));
  const tarballs = join(tmp, 'tarballs');
  let packed: Packed[] = [];

  beforeAll(async () => {
    await sh(ROOT, 'npm', ['run', 'build']); // tsc, then core's bundle (rollup)
    const args = ['pack', '--json', '--pack-destination', tarballs];
    for (const p of PACKAGES) args.push('-w', `packages/${p}`);
    await sh(ROOT, 'mkdir', ['-p', tarballs]);
    const { stdout } = await run('npm', args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    packed = JSON.parse(stdout) as Packed[];
  }, 5 * MINUTES);

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('packs every package with what a registry user needs', () => {
    expect(packed.map((p) => p.name).sort()).toEqual(PACKAGES.map((p) => `@keel/${p}`).sort());
    for (const p of packed) {
      const files = new Set(p.files.map((f) => f.path));
      expect({
        name: p.name,
        license: files.has('LICENSE'),
        readme: files.has('README.md'),
      }).toEqual({ name: p.name, license: true, readme: true });
      expect([...files].filter((f) => f.includes('tsbuildinfo') || f.endsWith('.test.ts'))).toEqual(
        [],
      );
      const manifest = JSON.parse(
        readFileSync(join(ROOT, 'packages', p.name.slice('@keel/'.length), 'package.json'), 'utf8'),
      ) as Record<string, Record<string, string> | undefined>;
      expect(manifest.repository).toBeDefined();
      if (p.name !== '@keel/core') {
        expect({ name: p.name, peer: manifest.peerDependencies?.['@keel/core'] }).toEqual({
          name: p.name,
          peer: '^0.1.0',
        });
        expect(manifest.dependencies?.['@keel/core']).toBeUndefined();
      }
      // Every source map (js and declaration) points at sources that are in the tarball.
      const dir = join(ROOT, 'packages', p.name.slice('@keel/'.length));
      const unresolved: string[] = [];
      for (const map of [...files].filter((f) => f.endsWith('.map'))) {
        const { sources } = JSON.parse(readFileSync(join(dir, map), 'utf8')) as {
          sources: string[];
        };
        for (const source of sources) {
          const target = posix.normalize(posix.join(posix.dirname(map), source));
          if (!files.has(target)) unresolved.push(`${p.name}: ${map} -> ${source}`);
        }
      }
      expect(unresolved).toEqual([]);
    }
  });

  /** Scaffolds with the workspace's create-keel and points @keel/* at the tarballs. */
  async function project(name: string, commonjs: boolean, all: boolean): Promise<string> {
    const dir = join(tmp, name);
    const args = [join(ROOT, 'packages/create-keel/index.js'), dir];
    if (commonjs) args.push('--commonjs');
    await sh(tmp, process.execPath, args);
    const file = join(dir, 'package.json');
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>;
    const tarball = (n: string): string =>
      `file:${join(tarballs, packed.find((p) => p.name === n)!.filename)}`;
    for (const p of packed) {
      if (p.name === '@keel/testing') pkg.devDependencies!['@keel/testing'] = tarball(p.name);
      else if (p.name === '@keel/core' || all) pkg.dependencies![p.name] = tarball(p.name);
    }
    const tools = Object.keys(pkg.devDependencies!).filter((n) => !n.startsWith('@keel/'));
    const workspace = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version: string }>;
    };
    for (const tool of tools) {
      expect(`${tool}@${pkg.devDependencies![tool]}`).toBe(
        `${tool}@${workspace.packages[`node_modules/${tool}`]!.version}`,
      );
      delete pkg.devDependencies![tool];
    }
    writeFileSync(file, JSON.stringify(pkg, null, 2));
    if (all) {
      // Every package's types resolve and every package loads beside the one @keel/core.
      writeFileSync(
        join(dir, 'src/all.ts'),
        PACKAGES.map((p, i) => `import * as p${i} from '@keel/${p.replace('core', 'core')}';`).join(
          '\n',
        ) + `\nexport const loaded = [${PACKAGES.map((_, i) => `p${i}`).join(', ')}].length;\n`,
      );
    }
    const started = Date.now();
    await sh(dir, 'npm', ['install', '--prefer-offline', '--no-audit', '--no-fund']);
    console.log(`consumer ${name}: npm install of the tarballs took ${Date.now() - started} ms`);
    mkdirSync(join(dir, 'node_modules/.bin'), { recursive: true });
    mkdirSync(join(dir, 'node_modules/@types'), { recursive: true });
    mkdirSync(join(dir, 'node_modules/@jest'), { recursive: true });
    for (const tool of tools)
      symlinkSync(join(ROOT, 'node_modules', tool), join(dir, 'node_modules', tool));
    symlinkSync(join(ROOT, 'node_modules/typescript/bin/tsc'), join(dir, 'node_modules/.bin/tsc'));
    return dir;
  }

  async function buildTestAndRun(dir: string): Promise<void> {
    const tests = await sh(dir, 'npm', ['test']);
    expect(tests).toMatch(/# pass 1\b/);
    expect(tests).toMatch(/# fail 0\b/);
    const { code, output } = await runService(dir);
    expect({ code, stopped: output.includes('kernel stopped') }).toEqual({
      code: 0,
      stopped: true,
    });
  }

  it(
    'an ESM TypeScript project: every package installs beside one core; node:test, Jest, run, SIGINT',
    async () => {
      const dir = await project('esm-service', false, true);
      const ls = await sh(dir, 'npm', ['ls', '@keel/core', '--all', '--parseable']);
      expect(ls.trim().split('\n')).toHaveLength(1); // one copy of the kernel
      await buildTestAndRun(dir);
      const loaded = await sh(dir, process.execPath, [
        '--input-type=module',
        '-e',
        "const m = await import('./dist/src/all.js'); console.log('loaded', m.loaded);",
      ]);
      expect(loaded).toContain(`loaded ${PACKAGES.length}`);
      const jest = await sh(dir, 'npm', ['run', 'test:jest']);
      expect(jest).toMatch(/Tests:\s+1 passed, 1 total/);
    },
    8 * MINUTES,
  );

  it(
    'a CommonJS TypeScript project (module nodenext, require(esm)): node:test, run, SIGINT',
    async () => {
      const dir = await project('cjs-service', true, false);
      await buildTestAndRun(dir);
      const main = readFileSync(join(dir, 'dist/src/main.js'), 'utf8');
      expect(main).toContain('require("@keel/core")');
    },
    8 * MINUTES,
  );
});
