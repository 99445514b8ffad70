import type { ModuleRuntime } from '../lifecycle/module-runtime.js';

/**
 * Recomputes `enabledAsDependency`: every module an enabled module needs, transitively.
 * Iterative, so deep chains do not overflow.
 */
export function rebuildEnabledTree(
  runtimes: readonly ModuleRuntime[],
  byName: (name: string) => ModuleRuntime,
): void {
  for (const rt of runtimes) rt.enabledAsDependency = false;
  const stack: ModuleRuntime[] = [];
  for (const rt of runtimes) {
    if (!rt.enabled) continue;
    stack.push(rt);
    while (stack.length > 0) {
      const current = stack.pop()!;
      for (const name of current.node.dependencies) {
        const dep = byName(name);
        if (!dep.enabledAsDependency) {
          dep.enabledAsDependency = true;
          stack.push(dep);
        }
      }
    }
  }
}

/** Whether a module should run now. */
export function wanted(rt: ModuleRuntime, managed: boolean): boolean {
  return !managed || rt.enabled || rt.enabledAsDependency;
}
