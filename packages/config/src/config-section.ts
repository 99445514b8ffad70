import 'reflect-metadata';
import { inspect } from 'node:util';
import { Module, type FlagSpec } from '@keel/core';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ConfigModule } from './config-module.js';
import {
  buildDeclaration,
  DECLARATION,
  redactPaths,
  type Declaration,
  type SectionOptions,
} from './declaration.js';
import type { ConfigSource } from './resolve.js';
import { maskedValue } from './snapshot.js';

/**
 * A module's configuration, injected: `value` is the typed, frozen, validated current value
 * (a reload replaces it as a whole). `toJSON()` and `util.inspect` mask secrets.
 */
export class ConfigSection<T extends object = Record<string, unknown>> {
  /** @internal Made by the kernel; inject the class `Config.define()` returned. */
  constructor(
    private readonly store: ConfigModule,
    private readonly declaration: Declaration,
  ) {}

  /** The section's name, as in `Config.define(name)` and the config file. */
  get name(): string {
    return this.declaration.name;
  }

  /** The current value: typed, frozen, validated. Read it where you use it, so reloads apply. */
  get value(): Readonly<T> {
    return this.store.section(this.declaration.name).value as Readonly<T>;
  }

  /** One key of the current value. */
  get<K extends keyof T>(key: K): T[K] {
    return this.value[key];
  }

  /** Where a key's current value came from: 'default', 'file', 'env', 'flag' or 'test'. */
  source(key: keyof T & string): ConfigSource {
    return this.store.section(this.declaration.name).sources[key] ?? 'default';
  }

  /** The value with secrets as `'[redacted]'`: what logging `{ config }` shows. */
  toJSON(): Record<string, unknown> {
    return maskedValue(this.declaration, this.store.section(this.declaration.name));
  }

  /** `console.log(config)` shows the masked value too. */
  [inspect.custom](): string {
    return `ConfigSection(${this.name}) ${inspect(this.toJSON())}`;
  }
}

/** The class `Config.define()` returns: inject it with `@inject(DbConfig)`. */
export interface ConfigSectionClass<T extends object> {
  new (config: ConfigModule): ConfigSection<T>;
  /** The section's name. */
  readonly sectionName: string;
}

/** The injected type of a section class: `ConfigOf<typeof DbConfig>`. */
export type ConfigOf<C> = C extends ConfigSectionClass<infer T> ? ConfigSection<T> : never;

type Output<S extends StandardSchemaV1> = StandardSchemaV1.InferOutput<S> & object;

/**
 * Declares a configuration section: a schema, an environment prefix, secrets. Returns a
 * module class (named `config:<name>`) to inject into the modules that use it; the kernel
 * then validates it with every other section at `Kernel.create`.
 * @example
 * ```ts
 * export const DbConfig = Config.define('db', {
 *   prefix: 'DB_',
 *   schema: z.object({ host: z.string().default('localhost'), password: z.string() }),
 *   secret: ['password'],
 * });
 * @Module({ name: 'db' })
 * export class Db {
 *   constructor(@inject(DbConfig) private readonly config: ConfigOf<typeof DbConfig>) {}
 * }
 * ```
 */
function define<S extends StandardSchemaV1>(
  name: string,
  options: SectionOptions<S>,
): ConfigSectionClass<Output<S>> {
  const declaration = buildDeclaration(name, options as unknown as SectionOptions);
  const flags: Record<string, FlagSpec> = {};
  for (const field of declaration.fields) {
    flags[field.flag] = {
      type: field.type === 'boolean' ? 'boolean' : 'string',
      description: `${field.description ?? field.key} (${field.expected}; env ${field.env})${field.secret ? ' [secret]' : ''}`,
    };
  }

  @Module({ name: declaration.module, flags, redact: redactPaths(declaration) })
  class Section extends ConfigSection<Output<S>> {
    static readonly sectionName = declaration.name;
    constructor(config: ConfigModule) {
      super(config, declaration);
    }
  }
  Object.defineProperty(Section, DECLARATION, { value: declaration, enumerable: false });
  Object.defineProperty(Section, 'name', { value: `${declaration.name}Config` });
  return Section;
}

/** Typed configuration sections: `Config.define(name, { prefix, schema, secret })`. */
export const Config = Object.freeze({ define });
