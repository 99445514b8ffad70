import { Module, ModuleContext, Task, Worker } from '@keel/core';

/** A storage module with one exposed and one private event. */
@Module({ name: 'db', events: ['saved', { name: 'credentials', expose: false }] })
export class Db {
  constructor(readonly ctx: ModuleContext) {}
}

/** Depends on db; has a repeating task. */
@Module({ name: 'cache' })
export class Cache {
  constructor(
    readonly db: Db,
    readonly ctx: ModuleContext,
  ) {}

  @Task({ every: '5m' })
  async flush(): Promise<void> {}
}

/** Depends on cache and db; has a long-running worker. */
@Module({ name: 'api' })
export class Api {
  constructor(
    readonly cache: Cache,
    readonly db: Db,
  ) {}

  @Worker()
  async serve(signal: AbortSignal): Promise<void> {
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
  }
}

/** Independent; used to toggle under management. */
@Module({ name: 'mailer' })
export class Mailer {
  constructor(readonly ctx: ModuleContext) {}
}

/** A token long enough for `Inspector.configure`. */
export const TOKEN = 'test-token-0123456789abcdef';
