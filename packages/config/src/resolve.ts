import type { FlagValue } from '@keel/core';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Declaration } from './declaration.js';
import { coerce, type Field } from './fields.js';
import type { FileValues } from './file-source.js';
import type { ConfigValues } from './options.js';

/** Where a value came from; later sources win: default < file < env < flag < test. */
export type ConfigSource = 'default' | 'file' | 'env' | 'flag' | 'test';

/** One bad, missing or unknown key, as listed by `E_CONFIG_INVALID`. */
export interface ConfigIssue {
  /** The section's name, or undefined for a file entry that names no section. */
  readonly section: string | undefined;
  /** The key (schema key, or the unknown variable/entry); '' for the section as a whole. */
  readonly key: string;
  /** Where the bad value came from; 'missing' when no source set a required key. */
  readonly source: ConfigSource | 'missing';
  /** The exact place: `env DB_PORT`, `flag --db-port`, `file config.yaml: db.port`. */
  readonly where: string;
  /** What the schema expects, e.g. `integer`; '' for an unknown key. */
  readonly expected: string;
  /** What is wrong, never showing a secret's value. */
  readonly problem: string;
  readonly secret: boolean;
}

/** A section's validated value and the source of each key. */
export interface ResolvedSection {
  readonly value: Readonly<Record<string, unknown>>;
  readonly sources: Readonly<Record<string, ConfigSource>>;
}

/** What the sources hold at one moment. */
export interface Inputs {
  readonly file: { readonly path: string; readonly values: FileValues } | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Parsed flags per section module name. */
  readonly flags: ReadonlyMap<string, Readonly<Record<string, FlagValue>>>;
  readonly test: ConfigValues | undefined;
}

interface Placed {
  value: unknown;
  source: ConfigSource;
  where: string;
}

/** Merges the sources of every section and validates each; every problem is collected. */
export function resolveAll(
  declarations: readonly Declaration[],
  inputs: Inputs,
): { sections: Map<string, ResolvedSection>; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [...unknownEnv(declarations, inputs.env)];
  const sections = new Map<string, ResolvedSection>();
  const names = new Set(declarations.map((d) => d.name));
  if (inputs.file !== undefined) {
    for (const entry of Object.keys(inputs.file.values)) {
      if (names.has(entry)) continue;
      issues.push({
        section: undefined,
        key: entry,
        source: 'file',
        where: `file ${inputs.file.path}: ${entry}`,
        expected: '',
        problem: `unknown section "${entry}"; sections: ${[...names].join(', ') || '(none)'}`,
        secret: false,
      });
    }
  }
  for (const declaration of declarations) {
    const placed = new Map<string, Placed>();
    issues.push(...place(declaration, inputs, placed));
    const input: Record<string, unknown> = {};
    for (const [key, p] of placed) input[key] = p.value;
    const result = validate(declaration.schema, input);
    if (result.issues !== undefined)
      issues.push(...describeIssues(declaration, placed, result.issues));
    // An invalid section keeps its unvalidated input: only `--help` ever uses it.
    const value = (result.issues === undefined ? result.value : input) as Record<string, unknown>;
    const sources: Record<string, ConfigSource> = {};
    for (const key of Object.keys(value)) sources[key] = placed.get(key)?.source ?? 'default';
    sections.set(declaration.name, {
      value: deepFreeze(value),
      sources: Object.freeze(sources),
    });
  }
  return { sections, issues };
}

/** Places each source's values, later sources over earlier ones; unknown entries are issues. */
function place(
  declaration: Declaration,
  inputs: Inputs,
  placed: Map<string, Placed>,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const byKey = new Map(declaration.fields.map((f) => [f.key, f]));
  const unknown = (key: string, source: ConfigSource, where: string): void => {
    issues.push({
      section: declaration.name,
      key,
      source,
      where,
      expected: '',
      problem: `unknown key "${key}" in section "${declaration.name}"; known: ${[...byKey.keys()].join(', ')}`,
      secret: false,
    });
  };
  const fromFile = inputs.file?.values[declaration.name];
  if (fromFile !== undefined && inputs.file !== undefined) {
    const where = `file ${inputs.file.path}: ${declaration.name}`;
    if (fromFile === null || typeof fromFile !== 'object' || Array.isArray(fromFile)) {
      issues.push({
        section: declaration.name,
        key: '',
        source: 'file',
        where,
        expected: 'object',
        problem: `section "${declaration.name}" must be an object of keys`,
        secret: false,
      });
    } else {
      for (const [key, value] of Object.entries(fromFile as Record<string, unknown>)) {
        if (byKey.has(key)) placed.set(key, { value, source: 'file', where: `${where}.${key}` });
        else unknown(key, 'file', `${where}.${key}`);
      }
    }
  }
  for (const field of declaration.fields) {
    const raw = inputs.env[field.env];
    if (raw !== undefined && raw.trim() !== '') {
      placed.set(field.key, {
        value: coerce(raw, field.type),
        source: 'env',
        where: `env ${field.env}`,
      });
    }
  }
  const flags = inputs.flags.get(declaration.module) ?? {};
  for (const field of declaration.fields) {
    const raw = flags[field.flag];
    if (raw === undefined) continue;
    const value = typeof raw === 'string' ? coerce(raw, field.type) : raw;
    placed.set(field.key, { value, source: 'flag', where: `flag --${field.flag}` });
  }
  const fromTest = inputs.test?.[declaration.name];
  if (fromTest !== undefined) {
    for (const [key, value] of Object.entries(fromTest)) {
      const where = `createTestKernel({ config: { ${declaration.name}: { ${key} } } })`;
      if (byKey.has(key)) placed.set(key, { value, source: 'test', where });
      else unknown(key, 'test', where);
    }
  }
  return issues;
}

/** Variables under a declared prefix that no section with a matching prefix knows. */
function unknownEnv(
  declarations: readonly Declaration[],
  env: Readonly<Record<string, string | undefined>>,
): ConfigIssue[] {
  const known = new Set(declarations.flatMap((d) => d.fields.map((f) => f.env)));
  const issues: ConfigIssue[] = [];
  for (const name of Object.keys(env)) {
    if (known.has(name) || env[name] === undefined) continue;
    const owners = declarations.filter((d) => d.prefix !== '' && name.startsWith(d.prefix));
    if (owners.length === 0) continue;
    const owner = owners.reduce((a, b) => (b.prefix.length > a.prefix.length ? b : a));
    issues.push({
      section: owner.name,
      key: name,
      source: 'env',
      where: `env ${name}`,
      expected: '',
      problem: `unknown variable under prefix ${owner.prefix} of section "${owner.name}"; known: ${owner.fields.map((f) => f.env).join(', ')}`,
      secret: false,
    });
  }
  return issues;
}

function validate(
  schema: StandardSchemaV1,
  input: Record<string, unknown>,
): StandardSchemaV1.Result<unknown> {
  let result: StandardSchemaV1.Result<unknown> | Promise<StandardSchemaV1.Result<unknown>>;
  try {
    result = schema['~standard'].validate(input);
  } catch (err) {
    return {
      issues: [
        { message: `the schema threw: ${err instanceof Error ? err.message : String(err)}` },
      ],
    };
  }
  if (result instanceof Promise) {
    result.catch(() => undefined);
    return {
      issues: [
        {
          message: 'the schema validates asynchronously; configuration schemas must be synchronous',
        },
      ],
    };
  }
  return result;
}

function describeIssues(
  declaration: Declaration,
  placed: ReadonlyMap<string, Placed>,
  issues: ReadonlyArray<StandardSchemaV1.Issue>,
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const issue of issues) {
    const path = (issue.path ?? []).map((p) => (typeof p === 'object' ? p.key : p));
    const key = path.length === 0 ? '' : String(path[0]);
    const field: Field | undefined = declaration.fields.find((f) => f.key === key);
    const at = placed.get(key);
    const secret = field?.secret ?? false;
    const rest = path
      .slice(1)
      .map((p) => `[${JSON.stringify(p)}]`)
      .join('');
    let problem: string;
    if (field !== undefined && at === undefined) {
      problem = `missing; set ${field.env}, --${field.flag} or ${declaration.name}.${key} in the config file`;
    } else if (secret) {
      problem = `invalid value${rest} (secret: not shown)`;
    } else if (field !== undefined && at !== undefined) {
      problem = `got ${show(at.value)}${rest === '' ? '' : ` at ${rest}`}: ${issue.message}`;
    } else {
      problem = issue.message;
    }
    const entry: ConfigIssue = {
      section: declaration.name,
      key,
      source: at?.source ?? 'missing',
      where: at?.where ?? `section ${declaration.name}`,
      expected: field?.expected ?? '',
      problem,
      secret,
    };
    const id = `${entry.key}|${entry.problem}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(entry);
  }
  return out;
}

function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** One line per issue, for `E_CONFIG_INVALID`'s message. */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues
    .map((i) => {
      const name =
        i.section === undefined || (i.source === 'env' && i.expected === '')
          ? i.key
          : `${i.section}.${i.key}`;
      const expected = i.expected === '' ? '' : ` (expected ${i.expected})`;
      return `  - ${name || i.section}${i.secret ? ' [secret]' : ''} from ${i.where}${expected}: ${i.problem}`;
    })
    .join('\n');
}
