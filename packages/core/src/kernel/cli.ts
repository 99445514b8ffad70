import type { ParseArgsConfig } from 'node:util';
import type { FlagSpec, FlagValue } from '../decorators/metadata.js';
import { KeelError } from '../errors/keel-error.js';
import { clause, describe } from '../errors/safe.js';
import type { ModuleNode } from '../graph/module-node.js';

/** Command-line settings of a kernel. */
export interface CliOptions {
  /** The arguments to parse, usually `process.argv.slice(2)`. */
  argv: readonly string[];
  /** Program name for the usage line; default 'service'. */
  name?: string;
  /** Where `--help` text goes; default `process.stdout`. */
  print?: (text: string) => void;
}

/** The outcome of parsing: flag values per module, and whether help was asked for. */
export interface ParsedCli {
  readonly help: boolean;
  readonly helpText: string;
  readonly values: ReadonlyMap<string, Readonly<Record<string, FlagValue>>>;
}

const HELP: FlagSpec = { type: 'boolean', short: 'h', description: 'Show this help and exit.' };

/**
 * Parses `argv` against every module's declared flags with `node:util` `parseArgs`
 * (strict: an unknown flag is an error). Without `cli`, every flag takes its default.
 */
export function parseCli(nodes: readonly ModuleNode[], cli: CliOptions | undefined): ParsedCli {
  const owners = new Map<string, string>();
  const options: NonNullable<ParseArgsConfig['options']> = { help: HELP };
  owners.set('help', '(kernel)');
  // Short letters, by owner: -h is the kernel's --help.
  const shorts = new Map<string, string>([['h', 'the kernel (--help)']]);
  for (const node of nodes) {
    // Most modules declare no flags: no entries array for them.
    const declared = node.meta.options.flags;
    if (declared === undefined) continue;
    for (const [flag, spec] of Object.entries(declared)) {
      const taken = owners.get(flag);
      if (taken !== undefined) {
        throw new KeelError(
          'E_INVALID_OPTION',
          `Flag --${flag} is declared by both "${taken}" and "${node.name}". Rename one of them (e.g. --${node.name}-${flag}).`,
          { module: node.name, details: { flag } },
        );
      }
      if (spec.type !== 'string' && spec.type !== 'boolean') {
        throw new KeelError(
          'E_INVALID_OPTION',
          `Flag --${flag} of module "${node.name}" needs type 'string' or 'boolean'.`,
          {
            module: node.name,
          },
        );
      }
      if (spec.short !== undefined) {
        const letter = spec.short;
        const holder = shorts.get(letter);
        if (typeof letter !== 'string' || letter.length !== 1 || holder !== undefined) {
          throw new KeelError(
            'E_INVALID_OPTION',
            holder === undefined
              ? `Flag --${flag} of module "${node.name}": short must be a single character.`
              : `Flag --${flag} of module "${node.name}" uses -${letter}, which ${holder} uses already. Pick another letter or drop short.`,
            { module: node.name, details: { flag, short: letter } },
          );
        }
        shorts.set(letter, `--${flag} of module "${node.name}"`);
      }
      owners.set(flag, node.name);
      const { description: _description, ...parseSpec } = spec;
      options[flag] = parseSpec;
    }
  }
  let parsed: Record<string, FlagValue>;
  try {
    parsed = process.getBuiltinModule('node:util').parseArgs({
      args: [...(cli?.argv ?? [])],
      options,
      strict: true,
      allowPositionals: false,
    }).values as Record<string, FlagValue>;
  } catch (err) {
    throw new KeelError(
      'E_CLI_ARGUMENT',
      `${clause(describe(err))}. Run with --help to list the flags.`,
      { cause: err },
    );
  }
  const values = new Map<string, Record<string, FlagValue>>();
  for (const [flag, module] of owners) {
    if (module === '(kernel)') continue;
    const record = values.get(module) ?? {};
    record[flag] = parsed[flag];
    values.set(module, record);
  }
  let text: string | undefined;
  return {
    help: parsed['help'] === true,
    // Built when read (only --help prints it): a large graph boots without it.
    get helpText() {
      return (text ??= helpText(nodes, cli?.name ?? 'service'));
    },
    values,
  };
}

function helpText(nodes: readonly ModuleNode[], name: string): string {
  const lines = [`Usage: ${name} [options]`, '', 'Options:', row('help', HELP)];
  for (const node of nodes) {
    const declared = node.meta.options.flags;
    if (declared === undefined) continue;
    const flags = Object.entries(declared);
    if (flags.length === 0) continue;
    lines.push('', `${node.name}:`);
    for (const [flag, spec] of flags) lines.push(row(flag, spec));
  }
  return lines.join('\n') + '\n';
}

function row(flag: string, spec: FlagSpec): string {
  const short = spec.short === undefined ? '    ' : `-${spec.short}, `;
  const value = spec.type === 'string' ? ' <value>' : '';
  const left = `  ${short}--${flag}${value}`;
  const fallback = spec.default === undefined ? '' : ` (default: ${JSON.stringify(spec.default)})`;
  return `${left.padEnd(32)} ${spec.description ?? ''}${fallback}`.trimEnd();
}
