import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { transform } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// esbuild (like Vite) compiles legacy decorators but emits no `design:paramtypes`:
// every constructor parameter then needs an explicit @inject token.
const source = `
import { inject, Kernel, Module, ModuleContext } from '@keel/core';

import { pino } from 'pino';

@Module({ name: 'config' })
class Config {
  readonly greeting = 'hello from esbuild';
}

@Module({ name: 'app' })
class App {
  constructor(@inject(Config) private readonly config: Config, @inject(ModuleContext) private readonly ctx: ModuleContext) {}
  start() {
    console.log(JSON.stringify({ module: this.ctx.name, greeting: this.config.greeting }));
  }
}

const kernel = Kernel.create({ modules: [App], logger: pino({ level: 'silent' }) });
console.log(JSON.stringify({ dependencies: kernel.module('app').dependencies }));
await kernel.start();
await kernel.shutdown();
console.log(JSON.stringify({ status: kernel.status, exitCode: kernel.exitCode }));
`;

describe('modules compiled without emitDecoratorMetadata (esbuild)', () => {
  it('resolve their dependencies from @inject tokens alone', async () => {
    expect(existsSync(join(root, 'packages/core/dist/index.js'))).toBe(true); // npm test builds first
    const { code } = await transform(source, {
      loader: 'ts',
      format: 'esm',
      target: 'es2022',
      tsconfigRaw: { compilerOptions: { experimentalDecorators: true } },
    });
    expect(code).not.toContain('design:paramtypes');
    const dir = join(root, 'test', '.tmp');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'esbuild-app.mjs');
    writeFileSync(file, code);
    const { stdout } = await promisify(execFile)(process.execPath, [file], { timeout: 15_000 });
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      { dependencies: ['config'] },
      { module: 'app', greeting: 'hello from esbuild' },
      { status: 'stopped', exitCode: 0 },
    ]);
  });
});
