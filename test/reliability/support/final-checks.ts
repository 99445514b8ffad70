import { ModuleError, type TaskType } from '@keel/core';
import { abandoned, isFault, moduleName, overranWhileStepping, type ModulePlan } from './plan.js';
import type { KernelRun } from './kernel-run.js';

/** Kinds of failure that are counted one report per faulty call. */
const EXACT: readonly TaskType[] = ['prep', 'start', 'worker', 'task', 'hook', 'microtask'];

/**
 * After shutdown (and after lingering work ended): the kernel is stopped, every start was
 * matched by exactly one stop, every error is the planned fault of the module it names,
 * the exit code tells about failed steps, and nothing is left running but work that never
 * ends on purpose.
 */
export function checkAfterShutdown(run: KernelRun): void {
  checkRest(run);
  checkReports(run);
  checkExitCode(run);
  checkLeaks(run);
}

function checkRest(run: KernelRun): void {
  const { k, s, recorder, monitor } = run;
  const fail = (message: string): void => recorder.violation(message);
  if (k.status !== 'stopped') fail(`after shutdown the kernel is ${k.status}`);
  s.modules.forEach((_, i) => {
    const name = moduleName(i);
    const status = k.module(name).status;
    if (status !== 'offline' && status !== 'dead') fail(`after shutdown ${name} is ${status}`);
    const counts = monitor.counts[i]!;
    if (counts.starting !== counts.stopping) {
      fail(`${name} started ${counts.starting} time(s) but was stopped ${counts.stopping} time(s)`);
    }
    // After an overrun the kernel may give up on calling stop(), but never calls it twice.
    const stops = recorder.callCount(name, 'stop');
    if (run.overran ? stops > counts.online : stops !== counts.online) {
      fail(`${name} came online ${counts.online} time(s) but its stop() ran ${stops} time(s)`);
    }
  });
}

/** Is a report of `type` on a module with this plan explained by a planned fault? */
function explained(plan: ModulePlan, type: TaskType, message: string, stepMs: number): boolean {
  switch (type) {
    case 'prep':
      return isFault(plan.prep, stepMs);
    case 'start':
      return isFault(plan.start, stepMs);
    case 'stop':
      // A failing stop(), work that ignores its signal, or an overrun of the whole shutdown.
      return (
        isFault(plan.stop, stepMs) ||
        plan.worker === 'ignore-abort' ||
        plan.worker === 'sleep-loop' ||
        plan.worker === 'linger' ||
        message.includes('shutdownTimeout')
      );
    case 'worker':
      return plan.worker === 'fail' || plan.worker === 'escalate';
    case 'task':
      return plan.task === 'throw';
    case 'hook':
      return plan.hook === 'throw';
    case 'microtask':
      return plan.microtask === 'throw';
    case 'job':
      return false; // the generated modules declare no jobs
  }
}

function checkReports(run: KernelRun): void {
  const { k, s, recorder } = run;
  const fail = (message: string): void => recorder.violation(message);
  const reported = new Map<string, number>();
  let listenerReports = 0;
  for (const err of k.errors) {
    const label = `${err.module} ${err.taskType} "${err.taskName}": ${err.message}`;
    if (!(err instanceof ModuleError)) fail(`a reported error is no ModuleError: ${label}`);
    // The scenario's throwing telemetry listener is the kernel's to report, once per failure.
    if (err.module === 'kernel' && err.taskName === "on('telemetry') listener") {
      listenerReports++;
      continue;
    }
    const i = s.modules.findIndex((_, j) => moduleName(j) === err.module);
    const plan = s.modules[i];
    if (plan === undefined) {
      fail(`error reported against a non-module: ${label}`);
      continue;
    }
    // A step cut off by an overrun is reported besides (not instead of) its own faults.
    const cutOff = abandoned(err.message);
    if (cutOff && !run.overran) fail(`a step was abandoned without a shutdown overrun: ${label}`);
    if (!cutOff && !explained(plan, err.taskType, err.message, s.stepTimeoutMs))
      fail(`unplanned error: ${label}`);
    const severity = isError(err.cause) ? 'error' : 'panic';
    if (err.severity !== severity) fail(`severity ${err.severity}, expected ${severity}: ${label}`);
    const key = `${err.module}/${err.taskType}${cutOff ? '/cut-off' : ''}`;
    reported.set(key, (reported.get(key) ?? 0) + 1);
    if (overranWhileStepping(err.message)) {
      for (const step of ['prep', 'start']) {
        const cutKey = `${err.module}/${step}/cut-off`;
        reported.set(cutKey, (reported.get(cutKey) ?? 0) + 1);
      }
    }
  }
  if (listenerReports > run.listenerFailures) {
    fail(
      `the throwing listener failed ${run.listenerFailures} time(s) but ${listenerReports} reports name it`,
    );
  }
  s.modules.forEach((_, i) => {
    const name = moduleName(i);
    for (const type of EXACT) {
      const faults = recorder.faultCount(name, type);
      const got = reported.get(`${name}/${type}`) ?? 0;
      // A faulty step the overrun cut off first is reported as cut off instead.
      const cut = reported.get(`${name}/${type}/cut-off`) ?? 0;
      if (got > faults || got + cut < faults) {
        fail(`${name}: ${faults} planned ${type} fault(s) ran, ${got} reported (${cut} cut off)`);
      }
    }
    const stopFaults = recorder.faultCount(name, 'stop');
    const stopReports = reported.get(`${name}/stop`) ?? 0;
    if (stopReports < stopFaults) {
      fail(`${name}: ${stopFaults} planned stop fault(s) ran, only ${stopReports} stop report(s)`);
    }
  });
}

function checkExitCode(run: KernelRun): void {
  const { k, recorder } = run;
  // A start that a shutdown interrupted (no module named) has not failed.
  const stepFailed =
    run.startFailed || k.errors.some((e) => e.taskType === 'prep' || e.taskType === 'stop');
  if (stepFailed && k.exitCode === 0)
    recorder.violation('a prep/start/stop step failed but exitCode is 0');
  const anyStepError = k.errors.some((e) => ['prep', 'start', 'stop'].includes(e.taskType));
  // A worker past its restart limit with escalate: 'shutdown' also sets it.
  const escalated = k.errors.some(
    (e) =>
      e.taskType === 'worker' && run.s.modules[Number(e.module.slice(1))]?.worker === 'escalate',
  );
  if (!anyStepError && !run.startRejected && !escalated && k.exitCode !== 0) {
    recorder.violation(`exitCode is ${k.exitCode} although no step failed`);
  }
}

function checkLeaks(run: KernelRun): void {
  const { k, s, recorder } = run;
  try {
    k.expectNoLeaks();
  } catch (err) {
    // Only workers that never end on purpose may remain: the kernel cannot kill them.
    const stuck = new Set(
      s.modules.flatMap((m, i) => (m.worker === 'ignore-abort' ? [moduleName(i)] : [])),
    );
    const lines = String((err as Error).message)
      .split('\n')
      .slice(1)
      .map((l) => l.trim().replace(/^- /, ''));
    for (const line of lines) {
      const match = /^module "(m\d+)" still (?:runs|has) worker "work"/.exec(line);
      if (match === null || !stuck.has(match[1]!)) recorder.violation(`leak: ${line}`);
    }
  }
}

/** `instanceof Error` that a revoked Proxy cannot make throw (it is no Error). */
function isError(value: unknown): boolean {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}
