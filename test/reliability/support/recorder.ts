import type { Kernel, TaskType } from '@keel/core';

/** Kinds of module code the harness counts. */
export type CallKind = TaskType;

/**
 * What module code did during one kernel's life: how often each piece ran, how often it
 * failed on purpose, and any invariant it saw broken. Written by the generated modules and
 * the kernel listeners, read by the final checks.
 */
export class Recorder {
  private readonly calls = new Map<string, number>();
  private readonly faults = new Map<string, number>();
  readonly violations: string[] = [];

  constructor(readonly kernel: Kernel) {}

  /** Module code of `kind` ran in `module`; `faulty` when it is about to fail on purpose. */
  called(module: string, kind: CallKind, faulty: boolean): void {
    bump(this.calls, `${module}/${kind}`);
    if (faulty) bump(this.faults, `${module}/${kind}`);
  }

  callCount(module: string, kind: CallKind): number {
    return this.calls.get(`${module}/${kind}`) ?? 0;
  }

  faultCount(module: string, kind: CallKind): number {
    return this.faults.get(`${module}/${kind}`) ?? 0;
  }

  /** Records a broken invariant; listeners must not throw (the kernel would report it). */
  violation(message: string): void {
    if (this.violations.length < 50) this.violations.push(message);
  }

  /** Records a violation unless `module` is online now. */
  expectOnline(module: string, what: string): void {
    const status = this.kernel.module(module).status;
    if (status !== 'online') this.violation(`${what} ran while module ${module} was ${status}`);
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
