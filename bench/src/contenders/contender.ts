import type { Dag } from '../dag.js';

/** Counts lifecycle calls, so every contender provably did the same work. */
export interface CallCounter {
  calls: number;
}

/** A booted application: shut it down to end the measurement. */
export interface Booted {
  shutdown(): Promise<void>;
}

/**
 * A boot contender's graph, defined once (the classes and decorators an app has at import
 * time). `boot()` builds and starts a fresh instance of the whole graph.
 */
export interface DefinedGraph {
  boot(): Promise<Booted>;
}

/** What each contender file exports. */
export interface BootContender {
  /** Defines one class per module of `dag`, with three trivial lifecycle methods each. */
  define(dag: Dag, counter: CallCounter): DefinedGraph;
}

/** Lifecycle calls every contender makes per module: prep/init, start/bootstrap, stop/destroy. */
export const CALLS_PER_MODULE = 3;

/** A class with a given name: dynamic classes need it for readable graphs and unique names. */
export function named<T extends abstract new (...args: never[]) => unknown>(
  cls: T,
  name: string,
): T {
  Object.defineProperty(cls, 'name', { value: name });
  return cls;
}

/** The module name of index `i`. */
export function moduleName(i: number): string {
  return `m${i}`;
}
