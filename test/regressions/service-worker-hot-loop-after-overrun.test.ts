import { Module, Worker, type ModuleClass } from '@keel/core';
import { createTestKernel } from '@keel/testing';

// Found by test/reliability (work property, small shutdownTimeout): the test process ran
// out of memory.
//
// After a shutdown overran shutdownTimeout, a module the stop phase had not reached stays
// online (see shutdown-overrun-leaves-modules-running.test.ts) and its service workers keep
// running. Kernel.stopAll() has closed the TimerHeap, and TimerHeap.sleep() on a closed
// heap resolves at once, so the restart backoff of a failing @Worker is gone: it restarts
// in a microtask loop that never yields to the event loop, reporting (and logging) an
// error per turn until the process runs out of memory.

const CALL_LIMIT = 50; // the worker stops failing after this many calls, to end the loop

describe('a failing service worker after a shutdown overrun', () => {
  it('is not restarted without backoff (no microtask hot loop)', async () => {
    let calls = 0;
    let failFirstRun!: (err: Error) => void;
    const db = { db: class {} }.db;
    (db.prototype as unknown as { pump: () => Promise<void> }).pump = () => {
      calls++;
      if (calls === 1) return new Promise<void>((_, reject) => (failFirstRun = reject));
      if (calls >= CALL_LIMIT) return new Promise<void>(() => undefined);
      return Promise.reject(new Error('pump failed again'));
    };
    Worker({ backoff: '1s' })(db.prototype, 'pump', Object.getOwnPropertyDescriptor(db.prototype, 'pump'));
    Module({ name: 'db' })(db);
    const api = { api: class {} }.api;
    (api.prototype as unknown as { stop: () => Promise<void> }).stop = () => new Promise<void>(() => undefined);
    Module({ name: 'api', dependsOn: [db] })(api);

    const k = createTestKernel({ modules: [api as ModuleClass], stopTimeout: '5s', shutdownTimeout: '1s' });
    await k.start();
    expect(calls).toBe(1);
    const done = k.shutdown();
    await k.clock.advance('1s'); // the overrun: api's stop() still hangs
    await done;
    expect(k.module(db).status).toBe('online'); // the other bug; this one follows from it
    failFirstRun(new Error('pump failed'));
    await k.clock.settle();
    // With a 1 s backoff and no fake time passing there is no restart. Fails today: the
    // worker ran CALL_LIMIT times (and would run forever without the limit).
    expect(calls).toBe(1);
  });
});
