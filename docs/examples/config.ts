import {
  Config,
  ConfigChanged,
  ConfigModule,
  type ConfigChangedEvent,
  type ConfigOf,
} from '@keel/config';
import { inject, Kernel, Module, ModuleContext, OnEvent, type KernelOptions } from '@keel/core';
import { z } from 'zod';

/** The database's section: env DB_*, flags --db-*, the `db:` entry of the file. */
export const DbConfig = Config.define('db', {
  prefix: 'DB_',
  schema: z.object({
    host: z.string().default('localhost'),
    port: z.number().int().min(1).max(65_535).default(5432),
    password: z.string().min(8),
    poolSize: z.number().int().positive().default(10),
  }),
  secret: ['password'],
});

/** The cache's section; a reload that changes it restarts the modules that inject it. */
export const CacheConfig = Config.define('cache', {
  prefix: 'CACHE_',
  schema: z.object({ ttl: z.string().default('5m'), enabled: z.boolean().default(true) }),
  restartOnChange: true,
});

@Module({ name: 'db' })
export class Db {
  readonly changes: string[] = [];

  constructor(
    @inject(DbConfig) readonly config: ConfigOf<typeof DbConfig>,
    @inject(ModuleContext) private readonly ctx: ModuleContext,
  ) {}

  start(): void {
    const { host, port } = this.config.value; // typed, frozen, validated
    // The section logs with its secrets masked; so do `password` and `*.password` paths.
    this.ctx.logger.info({ config: this.config, url: `postgres://${host}:${port}` }, 'db ready');
  }

  @OnEvent(ConfigChanged)
  onConfigChanged({ keys }: ConfigChangedEvent): void {
    this.changes.push(...keys); // e.g. 'db.poolSize'; the new values are in this.config.value
  }
}

@Module({ name: 'cache' })
export class Cache {
  starts = 0;

  constructor(@inject(CacheConfig) readonly config: ConfigOf<typeof CacheConfig>) {}

  start(): void {
    this.starts++; // read the section in start(): a restart sees the new values
  }
}

/** The service: a file, then the environment, then flags, over the schema defaults. */
export function createKernel(
  options: { env: Record<string, string | undefined>; argv: string[]; file: string },
  more: Partial<KernelOptions> = {},
): Kernel {
  return Kernel.create({
    modules: [Db, Cache],
    providers: ConfigModule.configure({ file: options.file, env: options.env }),
    cli: { argv: options.argv, name: 'svc' },
    ...more,
  });
}
