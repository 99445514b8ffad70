import { pino, type Logger } from 'pino';
import { Kernel, type KernelOptions } from '../src/index.js';

/** A logger that prints nothing. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Kernel.create with a silent logger. */
export function quietKernel(options: KernelOptions): Kernel {
  return Kernel.create({ logger: silentLogger(), ...options });
}

/** A promise with its resolve function, to hold module code at a point. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Lets pending promise callbacks run. */
export async function flush(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}
