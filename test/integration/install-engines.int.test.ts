import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// Issue 18, item 8: `npm install` on Node 20 warned EBADENGINE for file-type 22 (>= 22),
// pulled in by the bench's NestJS. Every package the lock file installs must accept the
// oldest Node the repository says it supports (root `engines`), and the newest 20.x.

const require = createRequire(import.meta.url);
// npm's own range parser, installed with the workspace (a dependency of several tools).
const semver = require('semver') as {
  satisfies: (version: string, range: string) => boolean;
  minVersion: (range: string) => { version: string } | null;
};

interface LockPackage {
  version?: string;
  engines?: { node?: string } | string[];
}

const root = new URL('../../', import.meta.url);
const read = (path: string): unknown => JSON.parse(readFileSync(new URL(path, root), 'utf8'));

describe('the default install', () => {
  it('has no package whose engines refuse the Node versions the repository supports', () => {
    const { engines } = read('package.json') as { engines: { node: string } };
    const oldest = semver.minVersion(engines.node)!.version;
    expect(oldest).toBe('20.19.0');
    const lock = read('package-lock.json') as { packages: Record<string, LockPackage> };
    const refusing: string[] = [];
    for (const [path, pkg] of Object.entries(lock.packages)) {
      const range = Array.isArray(pkg.engines) ? undefined : pkg.engines?.node;
      if (range === undefined || path === '') continue;
      for (const node of [oldest, '20.20.0']) {
        if (!semver.satisfies(node, range))
          refusing.push(`${path}@${pkg.version}: ${range} (${node})`);
      }
    }
    expect(refusing).toEqual([]);
  });
});
