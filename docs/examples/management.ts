import { Kernel, Module, ModuleContext, Task } from '@keel/core';
import { pino } from 'pino';

@Module()
export class Storage {}

/** An optional feature: it runs only while an operator has it switched on. */
@Module({ dependsOn: [Storage] })
export class Reports {
  constructor(private readonly ctx: ModuleContext) {}

  @Task({ every: '1h' })
  build(): void {
    this.ctx.logger.info('building the hourly report');
  }
}

/** Switches Reports on and off at run time; Storage comes and goes with it. */
export async function main() {
  const kernel = Kernel.create({ modules: [Reports], logger: pino({ level: 'silent' }) });
  const seen: string[] = [];
  kernel.on('status', (name, _from, to) => {
    if (to === 'online' || to === 'offline') seen.push(`${name} ${to}`);
  });
  kernel.enableManagement(); // from now on, only enabled modules and their dependencies run
  await kernel.start(); // preps every module; starts nothing, as nothing is enabled

  kernel.module(Reports).enable();
  await kernel.manage(); // starts Storage, then Reports
  const whileOn = kernel.module(Storage).enabledAsDependency;

  kernel.module(Reports).disable();
  await kernel.manage(); // stops Reports, then Storage (nothing else needs it)

  await kernel.shutdown();
  return { seen, whileOn };
}
