import type { InjectionToken } from 'tsyringe';

/** A value, class or factory registered in a kernel's container (or replacing a module). */
export interface Provider<T = unknown> {
  provide: InjectionToken<T>;
  useValue?: T;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  useClass?: new (...args: any[]) => T;
  useFactory?: (resolver: Resolver) => T;
}

/** What a provider factory may resolve from. */
export interface Resolver {
  resolve<T>(token: InjectionToken<T>): T;
}

export type { InjectionToken };
