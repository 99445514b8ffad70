import type { InjectionToken } from 'tsyringe';

/** A value, class or factory registered in a kernel's container (or replacing a module). */
export interface Provider<T = unknown> {
  provide: InjectionToken<T>;
  useValue?: T;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  useClass?: new (...args: any[]) => T;
  useFactory?: (resolver: Resolver) => T | Promise<T>;
  /**
   * The factory returns a promise (implied for an `async` function): it is awaited once,
   * during `start()` before the prep of the first module that needs it.
   */
  async?: boolean;
  /** Releases the value at shutdown, after every module stopped. Factory providers only. */
  // A method signature, so a typed Provider<Db> still fits the kernel's Provider[] (bivariant).
  dispose?(this: void, value: T): unknown;
}

/** What a provider factory may resolve from. */
export interface Resolver {
  resolve<T>(token: InjectionToken<T>): T;
}

export type { InjectionToken };
