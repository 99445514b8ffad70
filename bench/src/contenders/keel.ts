import { Kernel, Module, type ModuleClass } from '@keel/core';
import { pino } from 'pino';
import type { Dag } from '../dag.js';
import { moduleName, named, type BootContender, type CallCounter } from './contender.js';

/** Keel: `@Module({ name, dependsOn })` classes, booted with `Kernel.create` + `start()`. */
export const keel: BootContender = {
  define(dag: Dag, counter: CallCounter) {
    const classes: ModuleClass[] = [];
    for (let i = 0; i < dag.n; i++) {
      const cls = named(
        class {
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
      Module({ name: moduleName(i), dependsOn: dag.deps[i]!.map((j) => classes[j]!) })(cls);
      classes.push(cls);
    }
    const logger = pino({ level: 'silent' });
    return {
      async boot() {
        const kernel = Kernel.create({ modules: classes, logger });
        await kernel.start();
        return { shutdown: () => kernel.shutdown() };
      },
    };
  },
};
