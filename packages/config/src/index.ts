export { Config, ConfigSection } from './config-section.js';
export type { ConfigOf, ConfigSectionClass } from './config-section.js';
export { ConfigModule } from './config-module.js';
export { ConfigChanged, CONFIG_MODULE_NAME } from './changed-event.js';
export type { ConfigChangedEvent } from './changed-event.js';
export type { SectionOptions } from './declaration.js';
export type { FieldType, FieldTypes } from './fields.js';
export { CONFIG_OPTIONS, CONFIG_TEST_VALUES } from './options.js';
export type { ConfigOptions, ConfigValues } from './options.js';
export type { ConfigIssue, ConfigSource } from './resolve.js';
export { MASK } from './snapshot.js';
export type {
  ConfigSnapshot,
  ConfigSectionSnapshot,
  ConfigKeySnapshot,
  ConfigReloadSnapshot,
} from './snapshot.js';
