import type { ModuleClass, ModuleMeta } from '../decorators/metadata.js';

/** A module in the graph, before anything is constructed. */
export interface ModuleNode {
  readonly name: string;
  readonly cls: ModuleClass;
  readonly meta: ModuleMeta;
  /** Position in dependency order (dependencies have smaller indices). */
  index: number;
  /** Names of direct dependencies. */
  readonly dependencies: string[];
  /** Names of direct dependents. */
  readonly dependents: string[];
  /** Constructor parameter tokens, read once from metadata (the container reuses them). */
  readonly tokens: readonly unknown[];
  /** Declared events: name → exposed. */
  readonly events: ReadonlyMap<string, boolean>;
}
