import { Module, Worker, type ModuleClass } from '@keel/core';
import { createTestKernel } from '@keel/testing';

// Found by test/reliability (start()/manage() raced by shutdown(), or a worker escalating
// to shutdown during manage(); a step timeout longer than what is left of shutdownTimeout).
// Without the call limit below, the test process runs out of memory.
//
// shutdown() waits for the phase in flight (kernel.start(), kernel.manage()) only until
// shutdownTimeout; then it abandons online and stopping modules, closes the kernel's timer
// heap and resolves. But the phase goes on, and every deadline it sets or already set lives
// on the closed heap, so it never fires:
// - a module whose prep()/start() still runs stays "preparing"/"starting" (nothing reports
//   it), and kernel.start()/kernel.manage() never settle while that step hangs: kernel.run()
//   would never return after a SIGTERM during a slow start;
// - a stop that manage() launches after the overrun waits forever: manage() never settles;
// - a start() that resolves later launches the module's workers and moves it to "online"
//   after the kernel reported "stopped". A failing @Worker then restarts without backoff,
//   because TimerHeap.sleep() on a closed heap resolves at once: a microtask loop that
//   never yields to the event loop, reporting an error per turn.

const CALL_LIMIT = 50; // the worker stops failing after this many calls, to end the loop

function slowStartingModule(): { cls: ModuleClass; finishStart: () => void; calls: () => number } {
  let calls = 0;
  let finishStart: () => void = () => undefined;
  const cls = { db: class {} }.db;
  const proto = cls.prototype as unknown as Record<string, unknown>;
  proto.start = () => new Promise<void>((resolve) => (finishStart = resolve));
  proto.pump = () => {
    calls++;
    if (calls >= CALL_LIMIT) return new Promise<void>(() => undefined);
    return Promise.reject(new Error('pump failed'));
  };
  Worker({ backoff: '1s' })(proto, 'pump', Object.getOwnPropertyDescriptor(proto, 'pump'));
  Module({ name: 'db' })(cls);
  return { cls: cls, finishStart: () => finishStart(), calls: () => calls };
}

/** Starts the kernel, and shuts it down 100 ms later, while db's start() still runs. */
async function shutDownDuringStart(cls: ModuleClass) {
  const k = createTestKernel({ modules: [cls], startTimeout: '10s', shutdownTimeout: '1s' });
  let startOutcome = 'pending';
  const started = k.start().then(
    () => (startOutcome = 'resolved'),
    () => (startOutcome = 'rejected'),
  );
  await k.clock.advance(100);
  const done = k.shutdown();
  await k.clock.advance('1s'); // shutdownTimeout passes while db's start() still runs
  await done;
  return { k, started, startOutcome: () => startOutcome };
}

describe('a phase (start, manage) still running when shutdown() gives up waiting for it', () => {
  it('lets kernel.start() settle by the time shutdown() resolved (run() would never return)', async () => {
    const db = slowStartingModule();
    const { k, startOutcome } = await shutDownDuringStart(db.cls);
    expect(k.status).toBe('stopped');
    await k.clock.settle();
    // Failed before 2892b49: kernel.start() stays pending until db's start() settles, which may be
    // never, as its startTimeout deadline lives on the closed timer heap.
    expect(startOutcome()).toBe('rejected');
    db.finishStart();
  });

  it('lets kernel.start() settle when a prep() hangs (startTimeout longer than shutdownTimeout)', async () => {
    const cls = { cfg: class {} }.cfg;
    (cls.prototype as unknown as { prep: () => Promise<void> }).prep = () =>
      new Promise(() => undefined);
    Module({ name: 'cfg' })(cls);
    const k = createTestKernel({
      modules: [cls],
      startTimeout: '10s',
      shutdownTimeout: '1s',
    });
    let startOutcome = 'pending';
    void k.start().then(
      () => (startOutcome = 'resolved'),
      () => (startOutcome = 'rejected'),
    );
    await k.clock.advance(100); // cfg's prep() is running
    expect(k.module(cls).status).toBe('preparing');
    const done = k.shutdown();
    await k.clock.advance('1m');
    await done;
    // Failed before 2892b49: start() never settles, and cfg stays "preparing".
    expect(startOutcome).toBe('rejected');
    expect(k.module(cls).status).toBe('dead');
    k.expectNoLeaks();
  });

  it('lets kernel.manage() settle when a start() hangs (startTimeout longer than shutdownTimeout)', async () => {
    const cls = { feature: class {} }.feature;
    (cls.prototype as unknown as { start: () => Promise<void> }).start = () =>
      new Promise(() => undefined);
    Module({ name: 'feature' })(cls);
    const k = createTestKernel({
      modules: [cls],
      startTimeout: '10s',
      shutdownTimeout: '1s',
    });
    k.enableManagement();
    await k.start();
    k.module(cls).enable();
    let manageOutcome = 'pending';
    void k.manage().then(
      () => (manageOutcome = 'resolved'),
      () => (manageOutcome = 'rejected'),
    );
    await k.clock.advance(100); // feature's start() is running
    expect(k.module(cls).status).toBe('starting');
    const done = k.shutdown();
    await k.clock.advance('1m');
    await done;
    // Failed before 2892b49: manage() never settles, feature stays "starting", and the overrun is
    // reported nowhere (kernel.exitCode is 1 without any ModuleError).
    expect(manageOutcome).not.toBe('pending');
    expect(k.module(cls).status).toBe('offline');
    expect(k.errors.map((e) => `${e.module} ${e.taskType}`)).toContain('feature stop');
    k.expectNoLeaks();
  });

  it('lets kernel.manage() settle when a stop() it began hangs past the overrun', async () => {
    const make = (name: string): ModuleClass => {
      const cls = { [name]: class {} }[name]!;
      (cls.prototype as unknown as { stop: () => Promise<void> }).stop = () =>
        new Promise(() => undefined);
      Module({ name })(cls);
      return cls;
    };
    const [a, b] = [make('a'), make('b')];
    const k = createTestKernel({
      modules: [a, b],
      stopTimeout: '1s',
      shutdownTimeout: '1500ms',
      lifecycleConcurrency: 1,
    });
    k.enableManagement();
    k.module(a).enable();
    k.module(b).enable();
    await k.start();
    k.module(a).disable();
    k.module(b).disable();
    let manageOutcome = 'pending';
    void k.manage().then(
      () => (manageOutcome = 'resolved'),
      () => (manageOutcome = 'rejected'),
    );
    await k.clock.advance(1); // manage() is stopping a (b waits for the one slot)
    const done = k.shutdown();
    await k.clock.advance('1m'); // a times out at 1 s, b's stop() begins; overrun at 1.5 s
    await done;
    // Failed before 2892b49: b's stop deadline (2 s) was on the heap closed at 1.5 s: manage() never settles.
    expect(manageOutcome).not.toBe('pending');
    expect(k.modules.map((m) => m.status)).toEqual(['offline', 'offline']);
    k.expectNoLeaks();
  });

  it('does not bring its module online, nor run its workers, once it completes', async () => {
    const db = slowStartingModule();
    const { k, started } = await shutDownDuringStart(db.cls);
    db.finishStart();
    await started;
    await k.clock.settle();
    // Failed before 2892b49: db is "online" after the kernel stopped, and its failing worker ran
    // CALL_LIMIT times without any fake time passing (no backoff).
    expect(k.module(db.cls).status).not.toBe('online');
    expect(db.calls()).toBe(0);
    k.expectNoLeaks();
  });
});
