import { KeelError, type InjectionToken } from '@keel/core';

/** Where `ConfigModule` reads values from; `ConfigModule.configure(options)` provides them. */
export interface ConfigOptions {
  /**
   * A JSON (`.json`) or YAML (`.yaml`, `.yml`) file: an object with one entry per section
   * name, e.g. `{ "db": { "host": "db.internal" } }`. Read at create and on every reload.
   * A missing file is an error unless `optional: true`.
   */
  file?: string | { path: string; optional?: boolean };
  /** The environment; default `process.env` (read, never written). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Listen for SIGHUP under `kernel.run()` and reload; default true. */
  reloadOnSighup?: boolean;
}

/** Values set by `createTestKernel({ config })`, per section name then key. */
export type ConfigValues = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

/** The token of `ConfigModule.configure()`'s options. */
export const CONFIG_OPTIONS: InjectionToken<ConfigOptions> = Symbol.for('@keel/config:options');

/**
 * The token `@keel/testing` provides `createTestKernel({ config })` under (a `Symbol.for`,
 * so the testing package needs no import of this one). When present, the environment is
 * not read unless `configure({ env })` passes one.
 */
export const CONFIG_TEST_VALUES: InjectionToken<ConfigValues> = Symbol.for(
  '@keel/config:test-values',
);

/** Options after checking. */
export interface ResolvedConfigOptions {
  readonly file: { readonly path: string; readonly optional: boolean } | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly reloadOnSighup: boolean;
}

const KNOWN = new Set(['file', 'env', 'reloadOnSighup']);

/** Checks the options at once, naming the bad one. */
export function resolveConfigOptions(
  options: ConfigOptions,
  testing: boolean,
): ResolvedConfigOptions {
  if (options === null || typeof options !== 'object') {
    throw new KeelError('E_INVALID_OPTION', 'ConfigModule.configure() needs an options object.');
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) {
      throw new KeelError(
        'E_INVALID_OPTION',
        `ConfigModule.configure(): unknown option "${key}". Known: ${[...KNOWN].join(', ')}.`,
        { details: { option: key } },
      );
    }
  }
  const file = typeof options.file === 'string' ? { path: options.file } : options.file;
  if (file !== undefined && (typeof file !== 'object' || typeof file.path !== 'string')) {
    throw new KeelError(
      'E_INVALID_OPTION',
      "ConfigModule.configure(): file must be a path or { path, optional? }, e.g. 'config.yaml'.",
      { details: { option: 'file' } },
    );
  }
  if (options.env !== undefined && (options.env === null || typeof options.env !== 'object')) {
    throw new KeelError(
      'E_INVALID_OPTION',
      'ConfigModule.configure(): env must be an object of strings, e.g. process.env.',
      { details: { option: 'env' } },
    );
  }
  return {
    file: file === undefined ? undefined : { path: file.path, optional: file.optional === true },
    env: options.env ?? (testing ? {} : process.env),
    reloadOnSighup: options.reloadOnSighup !== false,
  };
}
