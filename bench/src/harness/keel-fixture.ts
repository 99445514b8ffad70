import { Kernel, Module, ModuleContext, type ModuleClass, type KernelOptions } from '@keel/core';
import { pino } from 'pino';
import { named } from '../contenders/contender.js';

/** A started kernel with one module whose context the bench drives from outside. */
export interface KeelFixture {
  readonly kernel: Kernel;
  /** The `ModuleContext` of the module `bench`. */
  readonly ctx: ModuleContext;
}

/**
 * Starts a kernel with a module `bench` (constructor-injected `ModuleContext`) plus `extra`
 * modules, with a silent pino logger. The caller shuts the kernel down.
 */
export async function startKeelFixture(
  options: Partial<KernelOptions> & { extra?: ModuleClass[]; events?: string[] } = {},
): Promise<KeelFixture> {
  const { extra = [], events = [], ...kernelOptions } = options;
  let captured: ModuleContext | undefined;
  const BenchModule = named(
    class {
      constructor(ctx: ModuleContext) {
        captured = ctx;
      }
    },
    'BenchModule',
  );
  // What tsc emits for `constructor(ctx: ModuleContext)` on a decorated class.
  Reflect.defineMetadata('design:paramtypes', [ModuleContext], BenchModule);
  Module({ name: 'bench', events })(BenchModule);
  const kernel = Kernel.create({
    logger: pino({ level: 'silent' }),
    ...kernelOptions,
    modules: [BenchModule, ...extra],
  });
  await kernel.start();
  if (captured === undefined) throw new Error('the bench module was not constructed');
  return { kernel, ctx: captured };
}
