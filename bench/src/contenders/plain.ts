import { topologicalOrder, type Dag } from '../dag.js';
import { moduleName, named, type BootContender, type CallCounter } from './contender.js';

/** Lifecycle methods may be async in a real app, so the floor awaits each call. */
interface Instance {
  prep(): void | Promise<void>;
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}
type Ctor = new (deps: Instance[]) => Instance;

/**
 * The physical floor: the same classes, constructed by hand in topological order (Kahn's
 * algorithm over the DAG) with their dependencies, prep and start awaited in that order,
 * stop in reverse. No container, no framework.
 */
export const plain: BootContender = {
  define(dag: Dag, counter: CallCounter) {
    const classes: Ctor[] = [];
    for (let i = 0; i < dag.n; i++) {
      classes.push(
        named(
          class implements Instance {
            constructor(readonly deps: Instance[]) {}
            prep(): void {
              counter.calls++;
            }
            start(): void {
              counter.calls++;
            }
            stop(): void {
              counter.calls++;
            }
          },
          moduleName(i),
        ),
      );
    }
    return {
      async boot() {
        const order = topologicalOrder(dag);
        const built: Instance[] = new Array<Instance>(dag.n);
        const instances = order.map(
          (i) => (built[i] = new classes[i]!(dag.deps[i]!.map((j) => built[j]!))),
        );
        for (const m of instances) await m.prep();
        for (const m of instances) await m.start();
        return {
          async shutdown() {
            for (let k = instances.length - 1; k >= 0; k--) await instances[k]!.stop();
          },
        };
      },
    };
  },
};
