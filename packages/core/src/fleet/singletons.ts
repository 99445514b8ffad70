import { KeelError } from '../errors/keel-error.js';
import type { ModuleRuntime } from '../lifecycle/module-runtime.js';

/**
 * Singleton modules that depend on each other share one lease, so a dependent singleton is
 * always active on the replica where its singleton dependency is (never split across two).
 */
export interface LeaseGroup {
  /** The lease's name: `singleton:<first member>`. */
  readonly lease: string;
  /** Members in dependency order. */
  readonly members: ModuleRuntime[];
  /** Non-singleton modules the members need online first. */
  readonly needs: ModuleRuntime[];
  /** The fencing token while this replica holds the lease. */
  token: number | undefined;
  /** Where the lease stands on this replica. */
  state: 'idle' | 'acquiring' | 'starting' | 'active' | 'stopping';
  /** Monotonic ms until which the lease is surely ours (counted from before the last renew request). */
  validUntil: number;
  /** A step-down that must wait for a start in flight. */
  stepDownPending: boolean;
}

/** True for a module declared `@Module({ singleton: true })`. */
export function isSingleton(rt: ModuleRuntime): boolean {
  return rt.node.meta.options.singleton === true;
}

/**
 * Checks that no non-singleton depends on a singleton (it could not run where the singleton
 * stands by) and groups singletons by their dependencies on each other.
 * @throws KeelError `E_FLEET_SINGLETON_DEPENDENCY`, `E_INVALID_OPTION` (a non-boolean `singleton`)
 */
export function planLeaseGroups(runtimes: readonly ModuleRuntime[]): LeaseGroup[] {
  const root = new Map<ModuleRuntime, ModuleRuntime>();
  const find = (rt: ModuleRuntime): ModuleRuntime => {
    let r = rt;
    while (root.get(r) !== r) r = root.get(r)!;
    root.set(rt, r);
    return r;
  };
  for (const rt of runtimes) {
    const singleton = rt.node.meta.options.singleton;
    if (singleton !== undefined && typeof singleton !== 'boolean') {
      throw new KeelError(
        'E_INVALID_OPTION',
        `@Module "${rt.name}": singleton must be true or false, got ${String(singleton)}.`,
        { module: rt.name },
      );
    }
    if (singleton === true) root.set(rt, rt);
  }
  for (const rt of runtimes) {
    for (const dep of rt.dependencies) {
      if (!isSingleton(dep)) continue;
      if (!isSingleton(rt)) {
        throw new KeelError(
          'E_FLEET_SINGLETON_DEPENDENCY',
          `Module "${rt.name}" depends on singleton module "${dep.name}", which is active on one ` +
            `replica only: "${rt.name}" could not run anywhere else. Make "${rt.name}" a singleton ` +
            `too (@Module({ singleton: true })), or reach "${dep.name}" through a fleet event or job.`,
          { module: rt.name, details: { singleton: dep.name } },
        );
      }
      // Union: the earlier root (in dependency order) wins.
      const a = find(rt);
      const b = find(dep);
      if (a !== b) {
        if (a.node.index < b.node.index) root.set(b, a);
        else root.set(a, b);
      }
    }
  }
  const groups = new Map<ModuleRuntime, LeaseGroup>();
  // runtimes are in dependency order, so members come out in dependency order too.
  for (const rt of runtimes) {
    if (!isSingleton(rt)) continue;
    const r = find(rt);
    let group = groups.get(r);
    if (group === undefined) {
      group = {
        lease: `singleton:${r.name}`,
        members: [],
        needs: [],
        token: undefined,
        state: 'idle',
        validUntil: 0,
        stepDownPending: false,
      };
      groups.set(r, group);
    }
    group.members.push(rt);
  }
  for (const group of groups.values()) {
    const needs = new Set<ModuleRuntime>();
    for (const m of group.members)
      for (const d of m.dependencies) if (!isSingleton(d)) needs.add(d);
    group.needs.push(...needs);
  }
  return [...groups.values()];
}
