import { Module, ModuleContext, Task, Worker } from '@keel/core';

/** Settings other modules read: a module like any other, injected by its type. */
@Module()
export class Settings {
  readonly greeting = 'hello';
}

/** Greets once a minute and keeps a worker running until the service stops. */
@Module()
export class Greeter {
  greetings = 0;

  // Settings is a dependency because the constructor asks for it; ctx is this module's own.
  constructor(
    private readonly settings: Settings,
    private readonly ctx: ModuleContext,
  ) {}

  /** A task: at start, then one minute after each run. */
  @Task({ every: '1m', runOnStart: true })
  greet(): void {
    this.greetings++;
    this.ctx.logger.info({ greetings: this.greetings }, this.settings.greeting);
  }

  /** A worker: runs from start until the module stops (its signal aborts). */
  @Worker()
  async listen(signal: AbortSignal): Promise<void> {
    await new Promise<void>((resolve) =>
      signal.addEventListener('abort', () => resolve(), { once: true }),
    );
  }
}
