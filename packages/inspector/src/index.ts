export { Inspector } from './inspector.js';
export {
  INSPECTOR_OPTIONS,
  DEFAULT_PORT,
  MIN_TOKEN_LENGTH,
  resolveInspectorOptions,
} from './options.js';
export type { InspectorOptions, ResolvedInspectorOptions } from './options.js';
export { readiness } from './api/readiness.js';
export type { Readiness, NotReadyReason } from './api/readiness.js';
export { KernelMetrics } from './metrics/kernel-metrics.js';
export { INSPECTOR_SECTION, collectSections } from './api/plugin-sections.js';
export type {
  InspectorSection,
  InspectorSectionProvider,
  InspectorTable,
  InspectorMetric,
  ServedSection,
} from './api/plugin-sections.js';
