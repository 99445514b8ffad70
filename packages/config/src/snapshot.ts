import type { Declaration } from './declaration.js';
import type { ConfigSource, ResolvedSection } from './resolve.js';

/** What secrets show instead of their value. */
export const MASK = '[redacted]';

/** One key in a snapshot. */
export interface ConfigKeySnapshot {
  /** The value, or `'[redacted]'` for a secret. */
  readonly value: unknown;
  readonly source: ConfigSource;
  readonly secret: boolean;
  readonly env: string;
  readonly flag: string;
}

/** One section in a snapshot. */
export interface ConfigSectionSnapshot {
  readonly module: string;
  readonly prefix: string;
  /** The modules that inject it. */
  readonly usedBy: readonly string[];
  readonly restartOnChange: boolean;
  readonly keys: Readonly<Record<string, ConfigKeySnapshot>>;
}

/** The last reload, in a snapshot. */
export interface ConfigReloadSnapshot {
  readonly at: string;
  readonly ok: boolean;
  readonly changed: readonly string[];
  readonly error: string | null;
}

/** `ConfigModule.snapshot()`: the effective configuration, JSON-serialisable, secrets masked. */
export interface ConfigSnapshot {
  readonly sections: Readonly<Record<string, ConfigSectionSnapshot>>;
  /** Valid reloads so far (`keel_config_reloads_total`). */
  readonly reloads: number;
  /** Refused reloads so far (`keel_config_invalid_total`). */
  readonly invalid: number;
  readonly lastReload: ConfigReloadSnapshot | null;
}

/** A section's values with secrets masked: what `toJSON()`, snapshots and logs may show. */
export function maskedValue(
  declaration: Declaration,
  resolved: ResolvedSection,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const secret = new Set(declaration.fields.filter((f) => f.secret).map((f) => f.key));
  for (const [key, value] of Object.entries(resolved.value)) {
    out[key] = secret.has(key) ? MASK : value;
  }
  return out;
}

/** A section in a snapshot. */
export function sectionSnapshot(
  declaration: Declaration,
  resolved: ResolvedSection,
  usedBy: readonly string[],
): ConfigSectionSnapshot {
  const masked = maskedValue(declaration, resolved);
  const keys: Record<string, ConfigKeySnapshot> = {};
  for (const field of declaration.fields) {
    if (!(field.key in resolved.value)) continue;
    keys[field.key] = {
      value: masked[field.key],
      source: resolved.sources[field.key] ?? 'default',
      secret: field.secret,
      env: field.env,
      flag: `--${field.flag}`,
    };
  }
  return {
    module: declaration.module,
    prefix: declaration.prefix,
    usedBy,
    restartOnChange: declaration.restartOnChange,
    keys,
  };
}
