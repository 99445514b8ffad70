import { defineEvent, Module, ModuleContext } from '@keel/core';
import { Environment } from '../environment.js';
import { readSettings, type Settings } from '../settings.js';

/** What `Config` sends with its `changed` event. */
export interface ConfigChange {
  readonly settings: Settings;
  /** Names of the settings that changed. */
  readonly changed: ReadonlyArray<keyof Settings>;
}

/** The settings that may change at run time. */
export type SettingsPatch = Partial<Pick<Settings, 'maxItems'>>;

/**
 * Reads the settings from the environment in `prep()` (so a bad value stops the service
 * before anything starts) and announces run-time changes with its `changed` event.
 */
@Module({ events: ['changed'] })
export class Config {
  private current: Settings | undefined;

  constructor(
    private readonly env: Environment,
    private readonly ctx: ModuleContext,
  ) {}

  /** The current settings; available from `prep()` of dependent modules on. */
  get settings(): Settings {
    if (this.current === undefined) throw new Error('Config was read before its prep() ran.');
    return this.current;
  }

  prep(): void {
    this.current = readSettings(this.env);
    this.ctx.logger.info({ settings: this.current }, 'config loaded');
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
    const settings = Object.freeze({ ...this.settings, ...patch });
    const changed = (Object.keys(patch) as Array<keyof Settings>).filter(
      (key) => settings[key] !== this.settings[key],
    );
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
