import 'reflect-metadata';
import { container, injectable, Lifecycle } from 'tsyringe';
import { topologicalOrder, type Dag } from '../dag.js';
import { moduleName, named, type BootContender, type CallCounter } from './contender.js';

/** Lifecycle methods may be async in a real app, so the floor awaits each call. */
interface Instance {
  prep(): void | Promise<void>;
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}
type Ctor = new (...args: unknown[]) => Instance;

/**
 * Plain tsyringe, the floor a framework on tsyringe adds to: a child container, one
 * container-scoped registration per class, `resolve` in topological order (constructor
 * injection of the DAG), then prep and start in that order, stop in reverse.
 */
export const tsyringe: BootContender = {
  define(dag: Dag, counter: CallCounter) {
    const classes: Ctor[] = [];
    for (let i = 0; i < dag.n; i++) {
      const cls = named(
        class implements Instance {
          readonly deps: unknown[];
          constructor(...deps: unknown[]) {
            this.deps = deps;
          }
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
      );
      Reflect.defineMetadata(
        'design:paramtypes',
        dag.deps[i]!.map((j) => classes[j]!),
        cls,
      );
      injectable()(cls);
      classes.push(cls);
    }
    return {
      async boot() {
        const scope = container.createChildContainer();
        for (const cls of classes) {
          scope.register(cls, { useClass: cls }, { lifecycle: Lifecycle.ContainerScoped });
        }
        const instances = topologicalOrder(dag).map((i) => scope.resolve(classes[i]!));
        for (const m of instances) await m.prep();
        for (const m of instances) await m.start();
        return {
          async shutdown() {
            for (let k = instances.length - 1; k >= 0; k--) await instances[k]!.stop();
            await scope.dispose();
          },
        };
      },
    };
  },
};
