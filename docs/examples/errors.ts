import {
  isKeelError,
  isPanic,
  Kernel,
  Module,
  ModuleContext,
  Task,
  type ModuleError,
} from '@keel/core';
import { createTestKernel } from '@keel/testing';

/** Two modules that need each other: Kernel.create refuses them. */
@Module({ dependsOn: [() => Billing] })
export class Accounts {}

@Module({ dependsOn: [Accounts] })
export class Billing {}

/** Tasks that fail in different ways. */
@Module({ events: ['paid'] })
export class Invoices {
  private readonly open = new Map<string, { lines: number[] }>();

  constructor(private readonly ctx: ModuleContext) {}

  @Task({ every: '1m' })
  send(): void {
    throw new Error('mail server said 421'); // an error: severity 'error'
  }

  @Task({ every: '2m' })
  total(): number {
    return this.open.get('A-1')!.lines.length; // a bug, a TypeError: severity 'panic'
  }

  /** Triggers an event the module does not declare. */
  announce(): void {
    void this.ctx.triggerEvent('sent', {});
  }
}

/** A KeelError from Kernel.create: match on `code`; the message names the cycle. */
export function createError() {
  try {
    Kernel.create({ modules: [Accounts] });
    return undefined;
  } catch (err) {
    if (!isKeelError(err)) throw err;
    return { code: err.code, message: err.message, details: err.details, meaning: err.meaning };
  }
}

/** ModuleErrors from module code: reported on kernel.on('error'), never thrown at you. */
export async function moduleErrors() {
  const k = createTestKernel({ modules: [Invoices] });
  const seen: ModuleError[] = [];
  const off = k.on('error', (err) => seen.push(err));
  await k.start();
  await k.clock.advance('2m'); // send at 1 min and 2 min, total at 2 min
  off();
  let unknownEvent: string | undefined;
  try {
    (k.module(Invoices).instance as Invoices).announce();
  } catch (err) {
    unknownEvent = isKeelError(err) ? err.code : undefined;
  }
  const last = k.lastError;
  await k.shutdown();
  return {
    reports: seen.map((e) => ({
      module: e.module,
      taskName: e.taskName,
      taskType: e.taskType,
      severity: e.severity,
      panic: isPanic(e),
    })),
    lastError: last?.taskName,
    formatted: seen[0]?.format(),
    unknownEvent,
    exitCode: k.exitCode,
  };
}

/** Runs every scenario of this page. */
export async function main() {
  return { createError: createError(), moduleErrors: await moduleErrors() };
}
