import { Module, ModuleError, type KernelEvent } from '@keel/core';
import { createTestKernel } from '@keel/testing';

// Issue 13, item 1. A kernel.on('telemetry') listener that throws (or rejects) was handed
// the module-error event reporting its own failure, threw again, and so on: a sync throw
// overflowed the stack in start(), an async one spun the microtask queue forever. A
// throwing listener is reported once per event and never re-fed its own failure.

class Db {}
Module({ name: 'db' })(Db);

/** A listener that fails on every event, up to a cap (so the old code fails instead of hanging). */
function failing(mode: 'sync' | 'async'): {
  listener: (e: KernelEvent) => unknown;
  calls: KernelEvent[];
  thrown: Set<unknown>;
} {
  const calls: KernelEvent[] = [];
  const thrown = new Set<unknown>();
  const listener = (e: KernelEvent): unknown => {
    calls.push(e);
    if (calls.length > 500) return undefined;
    const err = new Error(`listener failed on ${e.type}`);
    thrown.add(err);
    if (mode === 'sync') throw err;
    return Promise.reject(err);
  };
  return { listener, calls, thrown };
}

describe.each(['sync', 'async'] as const)('a telemetry listener that throws (%s)', (mode) => {
  it('is reported once per event and never re-fed its own failure', async () => {
    const k = createTestKernel({ modules: [Db] });
    const { listener, calls, thrown } = failing(mode);
    k.on('telemetry', listener);
    await k.start();
    await k.clock.settle();
    await k.shutdown();
    await k.clock.settle();
    const fedOwnFailure = calls.filter(
      (e) => e.type === 'module-error' && thrown.has(e.error.cause),
    );
    expect(fedOwnFailure).toEqual([]);
    expect(calls.length).toBeLessThan(50);
    const reports = k.errors.filter((e) => thrown.has(e.cause));
    // One report per event the listener failed on.
    expect(reports.length).toBe(calls.length);
    expect(reports.every((e) => e instanceof ModuleError && e.module === 'kernel')).toBe(true);
    k.expectNoLeaks();
  });

  it('two listeners that both throw do not feed each other forever', async () => {
    const k = createTestKernel({ modules: [Db] });
    const a = failing(mode);
    const b = failing(mode);
    k.on('telemetry', a.listener);
    k.on('telemetry', b.listener);
    await k.start();
    await k.shutdown();
    await k.clock.settle();
    expect(a.calls.length).toBeLessThan(50);
    expect(b.calls.length).toBeLessThan(50);
  });
});
