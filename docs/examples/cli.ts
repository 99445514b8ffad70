import { Kernel, Module, ModuleContext } from '@keel/core';
import { pino } from 'pino';

/** Declares its command-line flags; reads them from prep() on (or in its constructor). */
@Module({
  name: 'http',
  flags: {
    port: { type: 'string', short: 'p', default: '8080', description: 'Port to listen on.' },
    verbose: { type: 'boolean', description: 'Log every request.' },
  },
})
export class Http {
  port = 0;
  constructor(private readonly ctx: ModuleContext) {}

  prep(): void {
    this.port = Number(this.ctx.flag<string>('port'));
  }
}

@Module({ dependsOn: [Http] })
export class Migrations {
  applied: string[] = [];
  migrate(): void {
    this.applied.push('001-create-items');
  }
}

/** `mysvc --help`, `mysvc -p 9000` and `mysvc migrate`, each as a kernel would run them. */
export async function main() {
  const logger = pino({ level: 'silent' });
  let help = '';
  const helpKernel = Kernel.create({
    modules: [Migrations],
    logger,
    cli: { argv: ['--help'], name: 'mysvc', print: (text) => (help += text) },
  });
  const helpExit = await helpKernel.run(); // prints the flags of every module, starts nothing

  const service = Kernel.create({ modules: [Migrations], logger, cli: { argv: ['-p', '9000'] } });
  await service.start();
  const port = service.get(Http).port;
  await service.shutdown();

  // A one-off command: modules are prepped, not started; the exit code says how it went.
  const command = Kernel.create({ modules: [Migrations], logger });
  const migrateExit = await command.runCommand((k) => k.get(Migrations).migrate());
  return { help, helpExit, port, migrateExit, applied: command.get(Migrations).applied };
}
