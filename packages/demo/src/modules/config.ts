import {
  ConfigChanged as ConfigReloaded,
  type ConfigChangedEvent,
  type ConfigOf,
} from '@keel/config';
import { defineEvent, inject, Module, ModuleContext, OnEvent } from '@keel/core';
import { DemoConfig, toSettings, type Settings } from '../settings.js';

/** What `Config` sends with its `changed` event. */
export interface ConfigChange {
  readonly settings: Settings;
  /** Names of the settings that changed. */
  readonly changed: ReadonlyArray<keyof Settings>;
}

/** The settings that may change at run time. */
export type SettingsPatch = Partial<Pick<Settings, 'maxItems'>>;

const SETTING_OF_KEY: Record<string, keyof Settings> = {
  host: 'host',
  port: 'port',
  maxItems: 'maxItems',
  itemTtl: 'itemTtlMs',
  tick: 'tickMs',
  slowStopMs: 'slowStopMs',
};

/**
 * The demo's settings, from the `demo` section of `@keel/config` (validated at
 * `Kernel.create`), plus run-time changes: `update()` (`PUT /config`) and reloads (SIGHUP)
 * are announced with its `changed` event.
 */
@Module({ events: ['changed'] })
export class Config {
  private current: Settings | undefined;

  constructor(
    @inject(DemoConfig) private readonly section: ConfigOf<typeof DemoConfig>,
    @inject(ModuleContext) private readonly ctx: ModuleContext,
  ) {}

  /** The current settings; available from `prep()` of dependent modules on. */
  get settings(): Settings {
    this.current ??= toSettings(this.section.value);
    return this.current;
  }

  prep(): void {
    this.ctx.logger.info({ settings: this.settings }, 'config loaded');
  }

  stop(): void {
    this.ctx.logger.info('stopped');
  }

  /** Applies a change and waits until every hook on `changed` has run. */
  async update(patch: SettingsPatch): Promise<Settings> {
    const max = patch.maxItems;
    if (max !== undefined && (!Number.isInteger(max) || max < 1)) {
      throw new Error(`maxItems must be a whole number of at least 1, got ${String(max)}.`);
    }
    return this.apply(Object.freeze({ ...this.settings, ...patch }));
  }

  /** A valid reload of the `demo` section: the new values replace the run-time changes. */
  @OnEvent(ConfigReloaded)
  async onReload(event: ConfigChangedEvent): Promise<void> {
    if (event.sections.some((s) => s.section === 'demo')) {
      await this.apply(toSettings(this.section.value));
    }
  }

  private async apply(settings: Settings): Promise<Settings> {
    const before = this.settings;
    const changed = Object.values(SETTING_OF_KEY).filter((key) => settings[key] !== before[key]);
    this.current = settings;
    if (changed.length > 0) {
      this.ctx.logger.info({ changed }, 'config changed');
      await this.ctx.triggerEvent(ConfigChanged, { settings, changed });
    }
    return settings;
  }
}

/** `Config`'s `changed` event, typed: hooks receive a {@link ConfigChange}. */
export const ConfigChanged = defineEvent<ConfigChange>(() => Config, 'changed');
