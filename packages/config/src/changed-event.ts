import { defineEvent } from '@keel/core';

/** The config module's name: `@OnEvent('config', 'changed')`, `kernel.module('config')`. */
export const CONFIG_MODULE_NAME = 'config';

/** The payload of `config.changed`: what a valid reload changed. */
export interface ConfigChangedEvent {
  /** Per section, the keys whose values changed (secrets included, by name only). */
  readonly sections: ReadonlyArray<{ readonly section: string; readonly keys: readonly string[] }>;
  /** The same as `section.key`, e.g. `['db.host', 'db.port']`. */
  readonly keys: readonly string[];
}

/** `config.changed`, typed: `@OnEvent(ConfigChanged)` hooks receive a {@link ConfigChangedEvent}. */
export const ConfigChanged = defineEvent<ConfigChangedEvent>(CONFIG_MODULE_NAME, 'changed');
