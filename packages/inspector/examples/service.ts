// A small service with the inspector, as shown in docs/inspector.md.
// Run it (after `npx tsc -b`):
//   TS_NODE_TRANSPILE_ONLY=1 TS_NODE_PROJECT=packages/inspector/examples/tsconfig.json \
//     node --loader ts-node/esm packages/inspector/examples/service.ts
import { pathToFileURL } from 'node:url';
import { Kernel, Module, ModuleContext, Task, Worker, type KernelOptions } from '@keel/core';
import { Inspector, type InspectorOptions } from '@keel/inspector';

@Module({ name: 'db', events: ['migrated', { name: 'credentials-rotated', expose: false }] })
export class Db {
  constructor(readonly ctx: ModuleContext) {}

  async start(): Promise<void> {
    await this.ctx.triggerEvent('migrated', { version: 42 });
  }
}

@Module({ name: 'api' })
export class Api {
  constructor(
    readonly db: Db,
    readonly ctx: ModuleContext,
  ) {}

  @Worker()
  async serve(signal: AbortSignal): Promise<void> {
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
  }

  @Task({ every: '1m' })
  async refreshRates(): Promise<void> {}
}

/** The service's kernel: the inspector is one more module, configured with providers. */
export function createService(
  inspector: InspectorOptions = {},
  logger?: KernelOptions['logger'],
): Kernel {
  const kernel = Kernel.create({
    modules: [Api, Db, Inspector],
    ...(logger === undefined ? {} : { logger }),
    providers: Inspector.configure({
      port: 7117,
      token: process.env.INSPECTOR_TOKEN, // unset: read-only
      ...inspector,
    }),
  });
  kernel.enableManagement(); // lets the page enable/disable modules (with the token)
  for (const module of kernel.modules) module.enable();
  return kernel;
}

// Run as a script: start, and stop gracefully on SIGINT/SIGTERM.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await createService().run();
}
