import { isKeelError, type ModuleStatus } from '@keel/core';
import type { TestKernel } from '@keel/testing';
import { settleUnder, track } from './drive.js';
import { count, type KernelRun } from './kernel-run.js';
import { abandoned, isFault, messageOf, moduleName, SLOW_MS, wantedSet } from './plan.js';

/** Fake time any one kernel call may take before the run counts as hung. */
export const CAP_MS = 10 * 60_000;

export function checkStart(
  run: KernelRun,
  started: { ok: boolean; error?: unknown; elapsedMs: number },
  wanted: ReadonlySet<number>,
  racing: boolean,
): void {
  const { k, s, recorder } = run;
  const fail = (message: string): void => recorder.violation(message);
  const prepFault = s.modules.some((m) => isFault(m.prep, s.stepTimeoutMs));
  const startFault = [...wanted].some((i) => isFault(s.modules[i]!.start, s.stepTimeoutMs));
  // Only planned (slow or failing) steps take time, one step timeout or SLOW_MS each at
  // most; a failed start then waits for the module's work, then the rollback shutdown.
  const planned = s.modules.flatMap((m) => [m.prep, m.start]).filter((f) => f !== 'ok').length;
  const bound =
    (planned + 1) * Math.max(s.stepTimeoutMs, SLOW_MS) + s.stepTimeoutMs + s.shutdownTimeoutMs;
  if (started.elapsedMs > bound)
    fail(`start() took ${started.elapsedMs} ms of fake time (bound ${bound})`);
  if (!racing && started.ok === (prepFault || startFault)) {
    fail(
      started.ok
        ? `start() resolved although a ${prepFault ? 'prep' : 'start'} fault was planned on a module it had to run`
        : `start() rejected without a planned prep/start fault: ${String(started.error)}`,
    );
  }
  if (!started.ok) {
    const err = started.error;
    if (!isKeelError(err) || err.code !== 'E_START_FAILED') {
      fail(`start() rejected with something else than E_START_FAILED: ${String(err)}`);
    } else if (err.module !== undefined) {
      const i = Number(err.module.slice(1));
      const plan = s.modules[i];
      // A racing shutdown may cut a step off; the module whose step it was is named then.
      const cutOff = racing && abandoned(messageOf(err.cause));
      if (
        plan === undefined ||
        (!cutOff && !isFault(plan.prep, s.stepTimeoutMs) && !isFault(plan.start, s.stepTimeoutMs))
      ) {
        fail(`start() blamed ${err.module}, which has no prep/start fault`);
      }
      expectReported(run, err.cause, 'start()');
    } else if (!racing) {
      fail('start() rejected without naming the module');
    }
    if (!racing) {
      if (k.status !== 'stopped') fail(`after a failed start the kernel is ${k.status}`);
      if (k.exitCode === 0) fail('after a failed start exitCode is 0');
      for (const h of k.modules) {
        if (h.status !== 'offline' && h.status !== 'dead')
          fail(`after a failed start ${h.name} is ${h.status}`);
      }
    }
  } else if (!racing) {
    if (k.status !== 'online') fail(`start() resolved but the kernel is ${k.status}`);
    expectOnlineExactly(run, wanted, 'after start()');
  }
}

export async function manage(
  run: KernelRun,
  managed: boolean,
  enabled: ReadonlySet<number>,
): Promise<void> {
  const { k, s, recorder } = run;
  const fail = (message: string): void => recorder.violation(message);
  const before: ModuleStatus[] = k.modules.map(() => 'dead');
  s.modules.forEach((_, i) => (before[i] = k.module(moduleName(i)).status));
  const active = managed && k.status === 'online';
  const shutItself = (): boolean => run.mayShutItself && k.shuttingDown.aborted;
  const wanted = wantedSet(s.modules, true, enabled);
  const expectReject =
    active &&
    [...wanted].some(
      (i) => before[i] !== 'online' && isFault(s.modules[i]!.start, s.stepTimeoutMs),
    );
  const outcome = await settleUnder(k.clock, track(k.clock, k.manage()), 'manage()', CAP_MS);
  count(`manage.${active ? (outcome.ok ? 'resolved' : 'rejected') : 'inactive'}`);
  if (shutItself()) return; // a worker shut the kernel down meanwhile: no exact outcome
  if (outcome.ok === expectReject) {
    fail(
      `manage() ${outcome.ok ? 'resolved' : `rejected (${String(outcome.error)})`}, expected the opposite`,
    );
  }
  if (!active) {
    s.modules.forEach((_, i) => {
      const now = k.module(moduleName(i)).status;
      if (now !== before[i])
        fail(`manage() without effect moved ${moduleName(i)} ${before[i]}->${now}`);
    });
  } else if (outcome.ok) {
    expectOnlineExactly(run, wanted, 'after manage()');
    // enabledAsDependency: needed by an enabled module, directly or not.
    const needed = wantedSet(
      s.modules,
      true,
      new Set([...enabled].flatMap((i) => s.modules[i]!.deps)),
    );
    s.modules.forEach((_, i) => {
      const flag = k.module(moduleName(i)).enabledAsDependency;
      if (flag !== needed.has(i))
        fail(`after manage() ${moduleName(i)}.enabledAsDependency is ${flag}`);
    });
  } else {
    const err = outcome.error;
    if (!isKeelError(err) || err.code !== 'E_START_FAILED')
      fail(`manage() rejected with ${String(err)}`);
    s.modules.forEach((_, i) => {
      const status = k.module(moduleName(i)).status;
      if (status === 'online' && !wanted.has(i))
        fail(`${moduleName(i)} runs after manage() but is not wanted`);
      if (status !== 'online' && status !== 'offline')
        fail(`${moduleName(i)} is ${status} after manage()`);
    });
  }
}

/** The failure a rejection blames a module for was reported on on('error') too. */
function expectReported(run: KernelRun, cause: unknown, call: string): void {
  if (cause === undefined || run.k.errors.some((e) => e.cause === cause)) return;
  run.recorder.violation(
    `${call} rejected blaming an error never reported on on('error'): ${messageOf(cause) || typeof cause}`,
  );
}

/** inspect() is JSON-serialisable and agrees with the module handles. */
export function checkSnapshot(run: KernelRun): void {
  const snapshot = JSON.parse(JSON.stringify(run.k.inspect())) as ReturnType<TestKernel['inspect']>;
  run.s.modules.forEach((_, i) => {
    const name = moduleName(i);
    const status = run.k.module(name).status;
    if (snapshot.modules[name]?.status !== status) {
      run.recorder.violation(
        `inspect() says ${name} is ${snapshot.modules[name]?.status}, its handle ${status}`,
      );
    }
  });
}

function expectOnlineExactly(run: KernelRun, wanted: ReadonlySet<number>, when: string): void {
  run.s.modules.forEach((_, i) => {
    const status = run.k.module(moduleName(i)).status;
    const expected: ModuleStatus = wanted.has(i) ? 'online' : 'offline';
    if (status !== expected)
      run.recorder.violation(`${when}: ${moduleName(i)} is ${status}, expected ${expected}`);
  });
}
