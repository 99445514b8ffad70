import { Kernel, Module, ModuleContext, Task, Worker, type KernelOptions } from '@keel/core';

/** Settings other modules read. A module like any other: it is injected by type. */
@Module()
export class Config {
  readonly greeting = 'hello';
  readonly pollEvery = '10s';
}

/** Greets once a minute and keeps a worker running until the service stops. */
@Module()
export class Greeter {
  greetings = 0;
  polls = 0;

  // Config is a dependency because the constructor asks for it; ctx is this module's own.
  constructor(
    private readonly config: Config,
    private readonly ctx: ModuleContext,
  ) {}

  /** Dependencies are online here. Begin work; do not block. */
  start(): void {
    this.ctx.logger.info('greeter online');
  }

  /** A repeating task: the first run one minute after start, then one minute after each run. */
  @Task({ every: '1m' })
  greet(): void {
    this.greetings++;
    this.ctx.logger.info(`${this.config.greeting} #${this.greetings}`);
  }

  /** A worker: runs from start until the module stops (its signal aborts). */
  @Worker()
  async poll(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.polls++;
      await this.ctx.sleep(this.config.pollEvery); // kernel time: returns early on stop
    }
  }

  /** Called after the worker and tasks ended. */
  stop(): void {
    this.ctx.logger.info({ greetings: this.greetings }, 'greeter stopped');
  }
}

/** Builds the service's kernel. Config joins on its own: Greeter needs it. */
export function createKernel(options: Omit<KernelOptions, 'modules'> = {}): Kernel {
  return Kernel.create({ modules: [Greeter], ...options });
}

/** The entry point of a service (main.ts): run until SIGINT/SIGTERM, then exit with the code. */
export async function main(): Promise<void> {
  const code = await createKernel().run();
  process.exit(code);
}
