import { KeelError } from '@keel/core';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { fieldsOf, type Field, type FieldTypes } from './fields.js';

/** How a section is declared: `Config.define(name, options)`. */
export interface SectionOptions<S extends StandardSchemaV1 = StandardSchemaV1> {
  /**
   * Environment variables of this section start with it, e.g. `'DB_'`: key `host` is
   * `DB_HOST` (its flag is `--<section name>-host`). Every variable under it must be a key (typos are reported).
   * Default: the section name in capitals plus `_`.
   */
  prefix?: string;
  /** A Standard Schema of an object (zod, valibot, arktype…); its keys are the section's keys. */
  schema: S;
  /** Keys whose values are never shown: masked in logs, `toJSON()`, snapshots and errors. */
  secret?: ReadonlyArray<Extract<keyof StandardSchemaV1.InferOutput<S>, string>>;
  /** Restart the modules that inject this section when a reload changes its values. */
  restartOnChange?: boolean;
  /** The keys and their types, for schemas that cannot describe themselves as JSON Schema. */
  keys?: FieldTypes;
}

/** A checked section declaration: what the config module reads. */
export interface Declaration {
  readonly name: string;
  readonly module: string;
  readonly prefix: string;
  readonly schema: StandardSchemaV1;
  readonly fields: readonly Field[];
  readonly restartOnChange: boolean;
}

/** Where a section class keeps its declaration (non-enumerable, on the class itself). */
export const DECLARATION = Symbol.for('@keel/config:declaration');

/** The declaration of a section class, or undefined for any other class. */
export function declarationOf(cls: unknown): Declaration | undefined {
  if (typeof cls !== 'function') return undefined;
  return Object.prototype.hasOwnProperty.call(cls, DECLARATION)
    ? (cls as unknown as Record<symbol, Declaration>)[DECLARATION]
    : undefined;
}

const KNOWN = new Set(['prefix', 'schema', 'secret', 'restartOnChange', 'keys']);

/** Validates `Config.define` arguments at once, naming the bad one. */
export function buildDeclaration(name: string, options: SectionOptions): Declaration {
  const where = `Config.define("${String(name)}")`;
  if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9_-]*$/.test(name)) {
    throw new KeelError(
      'E_INVALID_OPTION',
      `Config.define(name): the name must start with a letter and hold only letters, digits, _ and -; got ${JSON.stringify(name)}.`,
      { details: { option: 'name', value: name } },
    );
  }
  if (options === null || typeof options !== 'object') {
    throw new KeelError('E_INVALID_OPTION', `${where} needs options: { schema, prefix? }.`);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) {
      throw new KeelError(
        'E_INVALID_OPTION',
        `${where}: unknown option "${key}". Known: ${[...KNOWN].join(', ')}.`,
        { details: { option: key } },
      );
    }
  }
  const schema = options.schema as StandardSchemaV1 | undefined;
  if (typeof schema?.['~standard']?.validate !== 'function') {
    throw new KeelError(
      'E_INVALID_OPTION',
      `${where}: schema must be a Standard Schema (zod, valibot, arktype…), e.g. z.object({ host: z.string() }).`,
      { details: { option: 'schema' } },
    );
  }
  const prefix = options.prefix ?? `${name.toUpperCase().replace(/-/g, '_')}_`;
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9_]*$/.test(prefix)) {
    throw new KeelError(
      'E_INVALID_OPTION',
      `${where}: prefix must hold only letters, digits and _, e.g. 'DB_'; got ${JSON.stringify(prefix)}.`,
      { details: { option: 'prefix', value: prefix } },
    );
  }
  const secrets = options.secret ?? [];
  if (!Array.isArray(secrets)) {
    throw new KeelError('E_INVALID_OPTION', `${where}: secret must be an array of keys.`, {
      details: { option: 'secret' },
    });
  }
  return Object.freeze({
    name,
    module: `config:${name}`,
    prefix,
    schema,
    fields: Object.freeze(fieldsOf(where, schema, name, prefix, secrets as string[], options.keys)),
    restartOnChange: options.restartOnChange === true,
  });
}

/** pino redact paths for a section's secrets: the key and the variable, top level and one down. */
export function redactPaths(declaration: Declaration): string[] {
  return declaration.fields
    .filter((f) => f.secret)
    .flatMap((f) => [f.key, f.env])
    .flatMap((name) => {
      const path = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : `["${name}"]`;
      return [path, path.startsWith('[') ? `*${path}` : `*.${path}`];
    });
}
