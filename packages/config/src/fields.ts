import { KeelError } from '@keel/core';
import type { StandardSchemaV1 } from '@standard-schema/spec';

/** The JSON type of a configuration key: how strings from env and flags are converted. */
export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object' | 'any';

/** One top-level key of a section, with the names it has in each source. */
export interface Field {
  /** The schema key, e.g. `maxItems`. */
  readonly key: string;
  readonly type: FieldType;
  /** What the schema expects, for messages: `integer`, `string (uri)`, `one of "a", "b"`. */
  readonly expected: string;
  /** The environment variable: prefix + SCREAMING_SNAKE key, e.g. `DB_MAX_ITEMS`. */
  readonly env: string;
  /** The command-line flag without dashes: section name + kebab-case key, e.g. `db-max-items`. */
  readonly flag: string;
  readonly secret: boolean;
  /** From the schema's `description`, for `--help`. */
  readonly description: string | undefined;
}

/** Keys and types given by hand, for a schema library without JSON Schema output. */
export type FieldTypes = Record<string, FieldType>;

type JsonSchema = Record<string, unknown>;

/** The top-level keys of an object schema, from its Standard JSON Schema or from `keys`. */
export function fieldsOf(
  where: string,
  schema: StandardSchemaV1,
  section: string,
  prefix: string,
  secrets: readonly string[],
  keys: FieldTypes | undefined,
): Field[] {
  const described = keys === undefined ? propertiesOf(where, schema) : fromKeys(keys);
  for (const secret of secrets) {
    if (!described.some((d) => d.key === secret)) {
      throw new KeelError(
        'E_INVALID_OPTION',
        `${where}: secret "${secret}" is not a key of the schema. Known keys: ${described.map((d) => d.key).join(', ')}.`,
        { details: { option: 'secret', value: secret } },
      );
    }
  }
  return described.map((d) => ({
    ...d,
    env: prefix + screamingSnake(d.key),
    flag: `${kebab(section)}-${kebab(d.key)}`,
    secret: secrets.includes(d.key),
  }));
}

type Described = Pick<Field, 'key' | 'type' | 'expected' | 'description'>;

function propertiesOf(where: string, schema: StandardSchemaV1): Described[] {
  const converter = (schema['~standard'] as { jsonSchema?: { input?: unknown } }).jsonSchema;
  if (typeof converter?.input !== 'function') {
    throw new KeelError(
      'E_INVALID_OPTION',
      `${where}: the schema (${schema['~standard'].vendor}) has no Standard JSON Schema, so its keys are unknown. ` +
        `Pass keys: { name: 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object' | 'any' }.`,
      { details: { option: 'keys' } },
    );
  }
  let json: JsonSchema;
  try {
    json = (converter.input as (o: { target: string }) => JsonSchema)({ target: 'draft-2020-12' });
  } catch (err) {
    throw new KeelError(
      'E_INVALID_OPTION',
      `${where}: the schema cannot be described as JSON Schema (${String(err)}). Pass keys: { … } by hand.`,
      { cause: err, details: { option: 'keys' } },
    );
  }
  const properties = json['properties'];
  if (json['type'] !== 'object' || properties === null || typeof properties !== 'object') {
    throw new KeelError(
      'E_INVALID_OPTION',
      `${where}: the schema must be an object schema (e.g. z.object({ … })); its keys are the configuration keys.`,
      { details: { option: 'schema' } },
    );
  }
  return Object.entries(properties as Record<string, JsonSchema>).map(([key, prop]) => ({
    key,
    type: typeOf(prop),
    expected: expectedOf(prop),
    description: typeof prop['description'] === 'string' ? prop['description'] : undefined,
  }));
}

function fromKeys(keys: FieldTypes): Described[] {
  return Object.entries(keys).map(([key, type]) => ({
    key,
    type,
    expected: type,
    description: undefined,
  }));
}

function typeOf(prop: JsonSchema): FieldType {
  const type = prop['type'];
  if (typeof type === 'string' && isFieldType(type)) return type;
  if (Array.isArray(prop['enum']) && prop['enum'].every((v) => typeof v === 'string'))
    return 'string';
  return 'any';
}

function isFieldType(type: string): type is FieldType {
  return ['string', 'number', 'integer', 'boolean', 'array', 'object'].includes(type);
}

function expectedOf(prop: JsonSchema): string {
  if (Array.isArray(prop['enum'])) {
    return `one of ${prop['enum'].map((v) => JSON.stringify(v)).join(', ')}`;
  }
  const type = prop['type'];
  const name = Array.isArray(type) ? type.join(' or ') : typeof type === 'string' ? type : 'value';
  const format = typeof prop['format'] === 'string' ? ` (${prop['format']})` : '';
  const range =
    typeof prop['minimum'] === 'number' && Math.abs(prop['minimum']) < Number.MAX_SAFE_INTEGER
      ? ` >= ${prop['minimum']}`
      : '';
  const length =
    typeof prop['minLength'] === 'number' ? ` of at least ${prop['minLength']} characters` : '';
  return name + format + range + length;
}

/**
 * Converts a string from the environment or a flag to the key's JSON type; a string that
 * does not convert stays a string, for the schema to reject with its source named.
 */
export function coerce(raw: string, type: FieldType): unknown {
  const text = raw.trim();
  switch (type) {
    case 'number':
    case 'integer':
      return text !== '' && Number.isFinite(Number(text)) ? Number(text) : raw;
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(text)) return true;
      if (/^(false|0|no|off)$/i.test(text)) return false;
      return raw;
    case 'array':
    case 'object':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return raw;
      }
    case 'string':
    case 'any':
      return raw;
  }
}

function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '');
}

function screamingSnake(name: string): string {
  return words(name).join('_').toUpperCase();
}

function kebab(name: string): string {
  return words(name).join('-').toLowerCase();
}
