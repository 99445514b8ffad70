import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject, Module, ModuleContext } from '@keel/core';
import { z } from 'zod';
import { Config, type ConfigOf } from '../src/index.js';

/** A database section: defaults, a required secret, numbers and booleans from strings. */
export const DbConfig = Config.define('db', {
  prefix: 'DB_',
  schema: z.object({
    host: z.string().default('localhost'),
    port: z.number().int().min(1).max(65535).default(5432),
    password: z.string().min(8),
    ssl: z.boolean().default(false),
    maxConnections: z.number().int().positive().default(10),
  }),
  secret: ['password'],
});

/** A cache section, restarted when its values change. */
export const CacheConfig = Config.define('cache', {
  prefix: 'CACHE_',
  schema: z.object({ ttl: z.string().default('5m'), size: z.number().int().default(100) }),
  restartOnChange: true,
});

@Module({ name: 'db' })
export class Db {
  /** The host seen by the constructor: values are valid from Kernel.create on. */
  readonly hostAtCreate: string;
  constructor(
    @inject(DbConfig) readonly config: ConfigOf<typeof DbConfig>,
    @inject(ModuleContext) readonly ctx: ModuleContext,
  ) {
    this.hostAtCreate = config.value.host;
  }
}

@Module({ name: 'cache' })
export class Cache {
  readonly starts: number[] = [];
  constructor(@inject(CacheConfig) readonly config: ConfigOf<typeof CacheConfig>) {}
  start(): void {
    this.starts.push(this.config.value.size);
  }
}

/** A temporary directory with files, removed by `cleanup()`. */
export function tempFiles(files: Record<string, string>): {
  path: (name: string) => string;
  write: (name: string, text: string) => void;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'keel-config-'));
  const path = (name: string): string => join(dir, name);
  const write = (name: string, text: string): void => writeFileSync(path(name), text);
  for (const [name, text] of Object.entries(files)) write(name, text);
  return { path, write, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
