import 'reflect-metadata';
import {
  inject,
  KeelError,
  Module,
  ModuleContext,
  type FlagValue,
  type Provider,
} from '@keel/core';
import { CONFIG_MODULE_NAME, ConfigChanged, type ConfigChangedEvent } from './changed-event.js';
import { findConflicts } from './conflicts.js';
import { declarationOf, type Declaration } from './declaration.js';
import { readConfigFile } from './file-source.js';
import {
  CONFIG_OPTIONS,
  CONFIG_TEST_VALUES,
  resolveConfigOptions,
  type ConfigOptions,
  type ConfigValues,
  type ResolvedConfigOptions,
} from './options.js';
import { formatIssues, resolveAll, type Inputs, type ResolvedSection } from './resolve.js';
import { sectionSnapshot, type ConfigReloadSnapshot, type ConfigSnapshot } from './snapshot.js';

/** `@keel/inspector`'s section method key (a `Symbol.for`: no import of the inspector). */
const INSPECTOR_SECTION: unique symbol = Symbol.for('@keel/inspector:section');

/**
 * The configuration of a kernel: finds every section (`Config.define`) in the module graph,
 * reads defaults, the file, the environment and flags, and validates all sections at
 * `Kernel.create`, before any module that injects a section is constructed. Reloads on
 * SIGHUP (under `kernel.run()`) or `reload()`. Added by the kernel as the dependency of
 * every section; list it yourself only to configure it.
 */
@Module({ name: CONFIG_MODULE_NAME, events: ['changed'] })
export class ConfigModule {
  private readonly options: ResolvedConfigOptions;
  private readonly declarations: readonly Declaration[];
  private readonly flags = new Map<string, Readonly<Record<string, FlagValue>>>();
  private current: Map<string, ResolvedSection>;
  private reloads = 0;
  private invalid = 0;
  private lastReload: ConfigReloadSnapshot | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private off: (() => void) | undefined;

  /**
   * @throws KeelError `E_CONFIG_INVALID` listing every bad, missing or unknown key,
   * `E_CONFIG_CONFLICT`, `E_CONFIG_FILE`; `Kernel.create` rethrows them as they are.
   */
  constructor(
    private readonly ctx: ModuleContext,
    @inject(CONFIG_OPTIONS, { isOptional: true }) options?: ConfigOptions,
    @inject(CONFIG_TEST_VALUES, { isOptional: true }) private readonly test?: ConfigValues,
  ) {
    this.options = resolveConfigOptions(options ?? {}, test !== undefined);
    const declarations: Declaration[] = [];
    for (const handle of ctx.kernel.modules) {
      const declaration = declarationOf(handle.moduleClass);
      if (declaration === undefined) continue;
      declarations.push(declaration);
      this.flags.set(declaration.module, handle.flags);
    }
    this.declarations = declarations;
    const conflict = findConflicts(declarations);
    if (conflict !== undefined) throw conflict;
    this.current = this.load();
  }

  /**
   * Providers with the config module's settings, to spread into `Kernel.create({ providers })`.
   * Validates at once: a bad option throws `E_INVALID_OPTION` naming it.
   */
  static configure(options: ConfigOptions): Provider[] {
    resolveConfigOptions(options, false);
    return [{ provide: CONFIG_OPTIONS, useValue: Object.freeze({ ...options }) }];
  }

  /** @internal A section's current value and sources (sections read it on every access). */
  section(name: string): ResolvedSection {
    const resolved = this.current.get(name);
    if (resolved === undefined) {
      throw new KeelError('E_INVALID_OPTION', `No configuration section "${name}" in this kernel.`);
    }
    return resolved;
  }

  /** @internal A section's declaration. */
  declaration(name: string): Declaration {
    return this.declarations.find((d) => d.name === name)!;
  }

  /**
   * Reads the sources again and validates every section. Invalid: nothing changes, the
   * `E_CONFIG_INVALID` is reported (`kernel.on('error')`) and rejected. Valid: the new
   * values apply at once, `config.changed` lists the changed keys (when any), and modules
   * of `restartOnChange` sections are restarted. Serialized: a reload waits for the last.
   */
  reload(): Promise<ConfigChangedEvent> {
    const next = this.queue.then(() => this.reloadNow());
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** The effective configuration per section, with each key's source; secrets masked. */
  snapshot(): ConfigSnapshot {
    const sections: ConfigSnapshot['sections'] = {};
    for (const declaration of this.declarations) {
      const usedBy = this.ctx.kernel.module(declaration.module).dependents;
      (sections as Record<string, unknown>)[declaration.name] = sectionSnapshot(
        declaration,
        this.section(declaration.name),
        usedBy,
      );
    }
    return {
      sections,
      reloads: this.reloads,
      invalid: this.invalid,
      lastReload: this.lastReload,
    };
  }

  /**
   * The inspector's section (`@keel/inspector` finds it by this symbol): the effective
   * configuration per section with each key's source, secrets masked, and the metrics
   * `keel_config_reloads_total` and `keel_config_invalid_total`.
   */
  [INSPECTOR_SECTION](): {
    title: string;
    data: ConfigSnapshot;
    tables: Array<{ caption: string; columns: string[]; rows: Array<Array<string | boolean>> }>;
    metrics: Array<{ name: string; help: string; type: 'counter'; value: number }>;
  } {
    const data = this.snapshot();
    return {
      title: 'Configuration',
      data,
      tables: Object.entries(data.sections).map(([name, section]) => ({
        caption: `${name} (prefix ${section.prefix}; used by ${section.usedBy.join(', ') || 'none'})`,
        columns: ['key', 'value', 'source', 'env', 'flag'],
        rows: Object.entries(section.keys).map(([key, k]) => [
          key,
          JSON.stringify(k.value) ?? '',
          k.source,
          k.env,
          k.flag,
        ]),
      })),
      metrics: [
        {
          name: 'keel_config_reloads_total',
          help: 'Configuration reloads that were valid and applied.',
          type: 'counter',
          value: data.reloads,
        },
        {
          name: 'keel_config_invalid_total',
          help: 'Configuration reloads refused as invalid (the old values stayed).',
          type: 'counter',
          value: data.invalid,
        },
      ],
    };
  }

  /** Listens for SIGHUP (delivered by `kernel.run()`) while online. */
  start(): void {
    if (!this.options.reloadOnSighup) return;
    this.off = this.ctx.kernel.on('reload', () => {
      // Reported by reload() itself; a refused reload keeps the service running.
      this.reload().catch(() => undefined);
    });
  }

  stop(): void {
    this.off?.();
    this.off = undefined;
  }

  private async reloadNow(): Promise<ConfigChangedEvent> {
    const at = new Date(this.ctx.now()).toISOString();
    let next: Map<string, ResolvedSection>;
    try {
      next = this.load();
    } catch (err) {
      this.invalid++;
      const message = err instanceof Error ? err.message : String(err);
      this.lastReload = { at, ok: false, changed: [], error: message };
      this.ctx.logger.error({ err }, 'config reload refused: the old values stay');
      this.ctx.report(err, { taskName: 'reload', taskType: 'worker' });
      throw err;
    }
    const sections = [];
    for (const declaration of this.declarations) {
      const before = this.current.get(declaration.name)!;
      const after = next.get(declaration.name)!;
      const keys = declaration.fields
        .map((f) => f.key)
        .filter((k) => !sameValue(before.value[k], after.value[k]));
      if (keys.length > 0) sections.push({ section: declaration.name, keys });
    }
    this.current = next;
    this.reloads++;
    const event: ConfigChangedEvent = {
      sections,
      keys: sections.flatMap((s) => s.keys.map((k) => `${s.section}.${k}`)),
    };
    this.lastReload = { at, ok: true, changed: event.keys, error: null };
    this.ctx.logger.info({ changed: event.keys }, 'config reloaded');
    if (sections.length === 0) return event;
    const delivered = this.ctx.triggerEvent(ConfigChanged, event);
    // Hooks run once both modules are online: wait for them only when they can run.
    if (this.ctx.status === 'online') await delivered;
    await this.restartChanged(sections.map((s) => s.section));
    return event;
  }

  /** Restarts the running modules that inject a changed `restartOnChange` section. */
  private async restartChanged(changed: readonly string[]): Promise<void> {
    const kernel = this.ctx.kernel;
    if (kernel.status !== 'online') return;
    const targets = new Set<string>();
    for (const declaration of this.declarations) {
      if (!declaration.restartOnChange || !changed.includes(declaration.name)) continue;
      for (const name of kernel.module(declaration.module).dependents) targets.add(name);
    }
    for (const name of targets) {
      if (kernel.module(name).status !== 'online') continue;
      this.ctx.logger.info({ restart: name }, 'restarting after a config change');
      try {
        await kernel.restart(name);
      } catch (err) {
        this.ctx.report(err, { taskName: `restart ${name}`, taskType: 'worker' });
      }
    }
  }

  /** Reads every source and validates; throws the one error that lists every problem. */
  private load(): Map<string, ResolvedSection> {
    const { file } = this.options;
    const fileValues = file === undefined ? undefined : readConfigFile(file.path, file.optional);
    const inputs: Inputs = {
      file:
        file === undefined || fileValues === undefined
          ? undefined
          : { path: file.path, values: fileValues },
      env: this.options.env,
      flags: this.flags,
      test: this.test,
    };
    const { sections, issues } = resolveAll(this.declarations, inputs);
    // `--help` prints the flags and starts nothing: missing values must not stop it.
    if (issues.length > 0 && !this.ctx.kernel.helpRequested) {
      throw new KeelError(
        'E_CONFIG_INVALID',
        `Configuration is invalid (${issues.length} problem${issues.length === 1 ? '' : 's'}); nothing was started:\n${formatIssues(issues)}`,
        { module: CONFIG_MODULE_NAME, details: { issues } },
      );
    }
    return sections;
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  return JSON.stringify(a) === JSON.stringify(b);
}
