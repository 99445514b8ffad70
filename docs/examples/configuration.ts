import { Kernel, Module, ModuleContext, type KernelOptions } from '@keel/core';

/** Settings from outside, provided as a value. */
export class Settings {
  databaseUrl = '';
  password = '';
}

/** An interface-like class with two implementations; the kernel gets one with useClass. */
export class Mailer {
  send(to: string): string {
    return `mail to ${to}`;
  }
}
export class OutboxMailer extends Mailer {
  override send(to: string): string {
    return `queued for ${to}`;
  }
}

/** Made by a factory from other provided values: one instance per kernel, made on first use. */
export class Pool {
  constructor(readonly url: string) {}
}

/** Uses the providers and a command-line flag. */
@Module({
  flags: { port: { type: 'string', default: '8080', description: 'Port to listen on.' } },
})
export class Api {
  constructor(
    readonly settings: Settings,
    readonly mailer: Mailer,
    readonly pool: Pool,
    private readonly ctx: ModuleContext,
  ) {}

  /** The --port flag. */
  get port(): number {
    return Number(this.ctx.flag<string>('port'));
  }

  start(): void {
    // `redact` below censors settings.password in this line.
    this.ctx.logger.info({ settings: this.settings, port: this.port }, 'api configured');
  }
}

/** Every Kernel.create option, with a value other than its default. */
export function createKernel(argv: string[], more: Partial<KernelOptions> = {}): Kernel {
  return Kernel.create({
    modules: [Api],
    providers: [
      {
        provide: Settings,
        useValue: { databaseUrl: 'postgres://db/app', password: 'hunter2' },
      },
      { provide: Mailer, useClass: OutboxMailer },
      { provide: Pool, useFactory: (c) => new Pool(c.resolve(Settings).databaseUrl) },
    ],
    redact: ['*.password'],
    cli: { argv, name: 'api' },
    startTimeout: '30s',
    stopTimeout: '20s',
    shutdownTimeout: '1m',
    taskConcurrency: 2,
    maxConcurrentMicroTasks: 8,
    lifecycleConcurrency: 8,
    random: Math.random,
    ...more, // logger and clock: tests pass a captured logger and a fake clock
  });
}
