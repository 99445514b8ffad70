import type { EventDeclaration, ModuleClass, ModuleRef } from '../decorators/metadata.js';
import { hasMethodMetadata, isModuleClass, readModuleMeta } from '../decorators/registry.js';
import {
  declarationOptionError,
  decoratorMisuseError,
  dependencyMissingError,
  kernelOptionError,
  moduleCycleError,
  moduleDuplicateError,
} from '../errors/catalog.js';
import { KeelError } from '../errors/keel-error.js';
import { clause, describe, printValue } from '../errors/safe.js';
import { constructorTokens } from './constructor-deps.js';
import { findCycle } from './cycle.js';
import type { ModuleNode } from './module-node.js';

/**
 * The checked module graph of one kernel: every module reachable from the listed ones,
 * their dependencies, and one dependency order. Built from metadata only; nothing is
 * constructed here.
 */
export class ModuleGraph {
  private constructor(
    /** Modules in dependency order: each after all of its dependencies. */
    readonly nodes: readonly ModuleNode[],
    private readonly byName: ReadonlyMap<string, ModuleNode>,
    private readonly byClass: ReadonlyMap<ModuleClass, ModuleNode>,
  ) {}

  /** Builds and checks the graph. Throws a `KeelError` naming the culprit. */
  static build(modules: readonly unknown[]): ModuleGraph {
    const byName = new Map<string, ModuleNode>();
    const byClass = new Map<ModuleClass, ModuleNode>();
    const byNameRefs: Array<{ node: ModuleNode; name: string }> = [];
    const queue: ModuleNode[] = [];
    // One empty map for every module that declares no events (the bus only reads them).
    const noEvents: ReadonlyMap<string, boolean> = new Map();

    // How a class was reached, spelled out only for an error: no string per edge.
    const add = (
      cls: unknown,
      via: Via,
      from?: ModuleNode,
      at?: number | string | symbol,
    ): ModuleNode => {
      if (!isModuleClass(cls)) throw notAModule(cls, viaText(via, from, at));
      const known = byClass.get(cls);
      if (known !== undefined) return known;
      const meta = readModuleMeta(cls);
      const name = meta.options.name ?? cls.name;
      const clash = byName.get(name);
      if (clash !== undefined) {
        throw moduleDuplicateError(name, clash.cls.name, cls.name);
      }
      const node: ModuleNode = {
        name,
        cls,
        meta,
        index: -1,
        dependencies: [],
        dependents: [],
        tokens: constructorTokens(cls),
        events:
          meta.options.events === undefined ? noEvents : declaredEvents(name, meta.options.events),
      };
      byName.set(name, node);
      byClass.set(cls, node);
      queue.push(node);
      return node;
    };

    if (!Array.isArray(modules)) {
      throw kernelOptionError('modules', '`modules` must be an array of @Module classes.');
    }
    modules.forEach((cls, i) => add(cls, 'modules', undefined, i));

    for (let i = 0; i < queue.length; i++) {
      const node = queue[i]!;
      const dependsOn = node.meta.options.dependsOn ?? [];
      if (!Array.isArray(dependsOn)) {
        throw declarationOptionError(
          `Module "${node.name}"`,
          'dependsOn',
          '@Module({ dependsOn }) must be an array of modules (classes or names).',
          node.name,
        );
      }
      for (const ref of dependsOn) {
        if (typeof ref === 'string') byNameRefs.push({ node, name: ref });
        else link(node, add(refClass(ref), 'dependsOn', node));
      }
      node.tokens.forEach((token, index) => {
        if (isModuleClass(token)) link(node, add(token, 'parameter', node, index));
        else if (hasMethodMetadata(token)) throw decoratorOutsideModule(token as ModuleClass);
      });
      // A hook's source class joins the graph, but a hook is not a dependency.
      for (const hook of node.meta.hooks) {
        if (typeof hook.source === 'function')
          add(refClass(hook.source), 'hook', node, hook.method);
        else if (typeof hook.source !== 'string')
          throw badHookSource(node, hook.method, hook.source);
      }
    }

    for (const { node, name } of byNameRefs) {
      const target = byName.get(name);
      if (target === undefined) {
        throw dependencyMissingError(node.name, name);
      }
      link(node, target);
    }

    // Grown by push (capacity 16 and up): kept for the kernel's life, so copied to size.
    for (const node of queue) {
      const n = node as { dependencies: string[]; dependents: string[] };
      if (n.dependencies.length > 0) n.dependencies = n.dependencies.slice();
      if (n.dependents.length > 0) n.dependents = n.dependents.slice();
    }
    return new ModuleGraph(order(queue, byName), byName, byClass);
  }

  /** The node for a class, name or forward reference, if it is in this graph. */
  find(ref: ModuleRef): ModuleNode | undefined {
    if (typeof ref === 'string') return this.byName.get(ref);
    if (typeof ref !== 'function') return undefined;
    return this.byClass.get(refClass(ref));
  }

  /** The node of a module class that is not a module of this graph, for messages. */
  nameOf(ref: ModuleRef): string {
    if (typeof ref === 'string') return ref;
    const cls = refClass(ref);
    return this.byClass.get(cls)?.name ?? cls.name;
  }
}

/** A class, or the class a forward reference (`() => Cls`) returns. */
export function refClass(ref: Exclude<ModuleRef, string>): ModuleClass {
  // Classes have a prototype; arrow functions (forward references) do not.
  if (typeof ref === 'function' && ref.prototype === undefined) {
    try {
      return (ref as () => ModuleClass)();
    } catch (err) {
      throw new KeelError(
        'E_NOT_A_MODULE',
        `A forward reference to a module (() => Class) threw: ${clause(describe(err))}. Make it return the module class.`,
        { cause: err },
      );
    }
  }
  return ref as ModuleClass;
}

function link(from: ModuleNode, to: ModuleNode): void {
  if (from === to) {
    throw moduleCycleError([from.name, from.name]);
  }
  if (!from.dependencies.includes(to.name)) {
    from.dependencies.push(to.name);
    to.dependents.push(from.name);
  }
}

/**
 * Kahn's algorithm, stable in discovery order; a leftover means a cycle, which is named.
 * `index` holds the discovery position while sorting (counts in a typed array, no map).
 */
function order(
  nodes: readonly ModuleNode[],
  byName: ReadonlyMap<string, ModuleNode>,
): ModuleNode[] {
  const remaining = new Int32Array(nodes.length);
  const ready: ModuleNode[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    node.index = i;
    remaining[i] = node.dependencies.length;
    if (node.dependencies.length === 0) ready.push(node);
  }
  for (let i = 0; i < ready.length; i++) {
    for (const dependent of ready[i]!.dependents) {
      const next = byName.get(dependent)!;
      if (--remaining[next.index]! === 0) ready.push(next);
    }
  }
  if (ready.length < nodes.length) {
    const stuck = nodes.filter((n) => remaining[n.index]! > 0).map((n) => n.name);
    const cycle = findCycle(stuck, (name) => byName.get(name)!.dependencies) ?? stuck;
    throw moduleCycleError(cycle);
  }
  for (let i = 0; i < ready.length; i++) ready[i]!.index = i;
  return ready;
}

function declaredEvents(
  module: string,
  events: readonly EventDeclaration[],
): ReadonlyMap<string, boolean> {
  const map = new Map<string, boolean>();
  if (!Array.isArray(events)) {
    throw declarationOptionError(
      `Module "${module}"`,
      'events',
      "@Module({ events }) must be an array of event names, e.g. events: ['changed'].",
      module,
    );
  }
  for (const decl of events as readonly EventDeclaration[]) {
    const name = typeof decl === 'string' ? decl : decl?.name;
    if (typeof name !== 'string' || name === '') {
      throw new KeelError(
        'E_INVALID_OPTION',
        `Module "${module}" declares an event without a name in @Module({ events }).`,
        {
          module,
        },
      );
    }
    // First declaration wins, as in portbase.
    if (!map.has(name)) map.set(name, typeof decl === 'string' ? true : decl.expose !== false);
  }
  return map;
}

type Via = 'modules' | 'dependsOn' | 'parameter' | 'hook';

/** `dependsOn of api`, `constructor parameter #1 of api`, …: where a class was found. */
function viaText(
  via: Via,
  from: ModuleNode | undefined,
  at: number | string | symbol | undefined,
): string {
  const name = from?.name ?? '';
  switch (via) {
    case 'modules':
      return `Kernel.create({ modules }) at index ${String(at)}`;
    case 'dependsOn':
      return `dependsOn of ${name}`;
    case 'parameter':
      return `constructor parameter #${String(at)} of ${name}`;
    case 'hook':
      return `@OnEvent on ${name}.${String(at)}`;
  }
}

function notAModule(value: unknown, via: string): KeelError {
  const what =
    typeof value === 'function' ? `Class "${value.name}"` : `The value ${printValue(value)}`;
  const hint = hasMethodMetadata(value)
    ? ' It uses @Worker, @Task or @OnEvent, which only work on a @Module class.'
    : '';
  return new KeelError(
    'E_NOT_A_MODULE',
    `${what} (${via}) is not a module.${hint} Decorate it with @Module() or remove it from the module list.`,
    { details: { via } },
  );
}

function decoratorOutsideModule(cls: ModuleClass): KeelError {
  return decoratorMisuseError(
    `Class "${cls.name}" uses @Worker, @Task or @OnEvent but is not decorated with @Module(). ` +
      `Add @Module() to it, or move those methods into a module.`,
  );
}

/** `@OnEvent(source, …)` with a source that is no module class, name or event key. */
function badHookSource(node: ModuleNode, method: string | symbol, source: unknown): KeelError {
  const got = source === null ? 'null' : typeof source;
  return declarationOptionError(
    `@OnEvent on "${node.meta.className}.${String(method)}"`,
    'source',
    `source must be a module class, a module name or an event key from defineEvent(), got ${got}.`,
    node.name,
  );
}
