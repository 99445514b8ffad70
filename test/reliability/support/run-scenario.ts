import { isKeelError, type ModuleClass, type ModuleStatus } from '@keel/core';
import { createTestKernel, type TestKernel } from '@keel/testing';
import { settleUnder, track, type Tracked } from './drive.js';
import { checkAfterShutdown } from './final-checks.js';
import { buildModules, LINGER_MS, type World } from './fault-modules.js';
import {
  describeScenario,
  isFault,
  moduleName,
  SLOW_MS,
  wantedSet,
  type Scenario,
} from './plan.js';
import { watchProcess } from './process-watch.js';
import { Recorder } from './recorder.js';
import { StatusMonitor } from './status-monitor.js';

/**
 * What the runs of this test file exercised (printed after the property, so a generator
 * that stopped producing faults is noticed).
 */
export const coverage = new Map<string, number>();

function count(what: string, n = 1): void {
  if (n > 0) coverage.set(what, (coverage.get(what) ?? 0) + n);
}

/** One line per counter, sorted. */
export function coverageReport(): string {
  return [...coverage.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** Fake time any one kernel call may take before the run counts as hung. */
const CAP_MS = 10 * 60_000;

/**
 * Runs one scenario end to end (start, manage steps, shutdown; then, if planned, a second
 * kernel from the same classes) and throws, describing the scenario and every broken
 * invariant, if anything went wrong.
 */
export async function runScenario(s: Scenario): Promise<void> {
  const watch = watchProcess();
  try {
    const world = {} as World;
    const classes = buildModules(s.modules, s.stepTimeoutMs, world);
    const violations = await runKernel(s, classes, world, true);
    if (violations.length === 0 && s.secondKernel) {
      violations.push(...(await runKernel(s, classes, world, false)).map((v) => `2nd kernel: ${v}`));
    }
    violations.push(...watch.problems);
    if (violations.length > 0) {
      throw new Error(
        `${violations.length} invariant(s) broken:\n- ${violations.join('\n- ')}\nScenario:\n${describeScenario(s)}`,
      );
    }
  } finally {
    watch.dispose();
  }
}

/** The state of one kernel's run that the checks need. */
export interface KernelRun {
  readonly k: TestKernel;
  readonly s: Scenario;
  readonly recorder: Recorder;
  readonly monitor: StatusMonitor;
  startRejected: boolean;
  /** A worker may shut the kernel down by itself (`escalate: 'shutdown'`). */
  readonly mayShutItself: boolean;
  /** The shutdown ran into shutdownTimeout. */
  overran: boolean;
}

async function runKernel(
  s: Scenario,
  classes: ModuleClass[],
  world: World,
  first: boolean,
): Promise<string[]> {
  const k = createTestKernel({
    modules: classes,
    startTimeout: s.stepTimeoutMs,
    stopTimeout: s.stepTimeoutMs,
    shutdownTimeout: s.shutdownTimeoutMs,
    lifecycleConcurrency: s.lifecycleConcurrency,
    taskConcurrency: s.taskConcurrency,
    maxConcurrentMicroTasks: 2,
    logLevel: 'error',
  });
  const recorder = new Recorder(k);
  world.recorder = recorder;
  world.clock = k.clock;
  const run: KernelRun = {
    k,
    s,
    recorder,
    monitor: new StatusMonitor(k, s.modules, recorder),
    startRejected: false,
    mayShutItself: s.modules.some((m) => m.worker === 'escalate'),
    overran: false,
  };
  const fail = (message: string): void => recorder.violation(message);
  const handle = (i: number) => k.module(moduleName(i % s.modules.length));

  s.modules.forEach((m, i) => {
    const actual = [...k.module(moduleName(i)).dependencies].sort();
    const planned = m.deps.map(moduleName).sort();
    if (actual.join() !== planned.join()) fail(`${moduleName(i)} depends on [${actual.join()}], planned [${planned.join()}]`);
  });

  // Start, possibly with a shutdown racing it.
  const enabled = new Set<number>();
  let managed = s.management === 'before-start';
  if (managed) {
    k.enableManagement();
    for (const i of s.enabledAtStart) {
      handle(i).enable();
      enabled.add(i);
    }
  }
  const wantedAtStart = wantedSet(s.modules, managed, enabled);
  const starting = track(k.clock, k.start());
  let shutdown: { tracked: Tracked<void>; promise: Promise<void>; calledAt: number } | undefined;
  const racing = first && s.shutdownDuringStartMs !== undefined;
  if (racing) {
    await k.clock.advance(s.shutdownDuringStartMs!);
    shutdown = shutdownNow(k);
  }
  const started = await settleUnder(k.clock, starting, 'start()', CAP_MS);
  run.startRejected = !started.ok;
  count(started.ok ? 'start.resolved' : 'start.rejected');
  checkStart(run, started, wantedAtStart, racing || run.mayShutItself);

  if (first && s.management === 'after-start') {
    k.enableManagement();
    managed = true;
  }
  let racingManage: Tracked<void> | undefined;
  for (const op of first ? s.ops : []) {
    switch (op.kind) {
      case 'enable':
      case 'disable':
        handle(op.module)[op.kind]();
        if (op.kind === 'enable') enabled.add(op.module % s.modules.length);
        else enabled.delete(op.module % s.modules.length);
        break;
      case 'manage':
        await manage(run, managed, enabled);
        break;
      case 'restart': {
        const i = op.module % s.modules.length;
        handle(i).disable();
        enabled.delete(i);
        await manage(run, managed, enabled);
        handle(i).enable();
        enabled.add(i);
        await manage(run, managed, enabled);
        break;
      }
      case 'trigger':
        handle(op.module)
          .triggerEvent('ping', 'op')
          .catch((err: unknown) => fail(`triggerEvent rejected: ${String(err)}`));
        break;
      case 'advance':
        await k.clock.advance(op.ms);
        break;
    }
  }
  if (first && s.shutdownDuringManageMs !== undefined) {
    racingManage = track(k.clock, k.manage());
    await k.clock.advance(s.shutdownDuringManageMs);
    shutdown = shutdownNow(k);
    count('manage.raced');
  }

  // Shutdown: idempotent, bounded by shutdownTimeout.
  shutdown ??= shutdownNow(k);
  if (k.shutdown() !== shutdown.promise) fail('a second shutdown() returned another promise');
  const stopped = await settleUnder(k.clock, shutdown.tracked, 'shutdown()', CAP_MS);
  if (!stopped.ok) fail(`shutdown() rejected: ${String(stopped.error)}`);
  const took = stopped.at - shutdown.calledAt;
  // Finishing exactly at the deadline is no overrun; an overrun is reported on on('error').
  run.overran = k.errors.some((e) => e.message.includes('overran shutdownTimeout'));
  if (took > s.shutdownTimeoutMs) {
    fail(`shutdown() took ${took} ms of fake time, over shutdownTimeout ${s.shutdownTimeoutMs} ms`);
  }
  // Let work that ignores its signal for a while (linger workers) end, then check.
  await k.clock.advance(Math.max(LINGER_MS, SLOW_MS) + 500);
  if (racingManage !== undefined) {
    const outcome = racingManage.outcome;
    if (outcome === undefined) fail('a manage() raced by shutdown() never settled');
    else if (!outcome.ok && !(isKeelError(outcome.error) && outcome.error.code === 'E_START_FAILED')) {
      fail(`a manage() raced by shutdown() rejected with ${String(outcome.error)}`);
    }
  }
  checkAfterShutdown(run);
  count('runs');
  count(`shutdown.${run.overran ? 'overran' : 'in-time'}`);
  for (const e of k.errors) count(`error.${e.taskType}`);
  return recorder.violations;
}

function shutdownNow(k: TestKernel): {
  tracked: Tracked<void>;
  promise: Promise<void>;
  calledAt: number;
} {
  const promise = k.shutdown();
  return { tracked: track(k.clock, promise), promise, calledAt: k.clock.now() };
}

function checkStart(
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
  if (started.elapsedMs > bound) fail(`start() took ${started.elapsedMs} ms of fake time (bound ${bound})`);
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
      if (
        plan === undefined ||
        (!isFault(plan.prep, s.stepTimeoutMs) && !isFault(plan.start, s.stepTimeoutMs))
      ) {
        fail(`start() blamed ${err.module}, which has no prep/start fault`);
      }
    } else if (!racing) {
      fail('start() rejected without naming the module');
    }
    if (!racing) {
      if (k.status !== 'stopped') fail(`after a failed start the kernel is ${k.status}`);
      if (k.exitCode === 0) fail('after a failed start exitCode is 0');
      for (const h of k.modules) {
        if (h.status !== 'offline' && h.status !== 'dead') fail(`after a failed start ${h.name} is ${h.status}`);
      }
    }
  } else if (!racing) {
    if (k.status !== 'online') fail(`start() resolved but the kernel is ${k.status}`);
    expectOnlineExactly(run, wanted, 'after start()');
  }
}

async function manage(run: KernelRun, managed: boolean, enabled: ReadonlySet<number>): Promise<void> {
  const { k, s, recorder } = run;
  const fail = (message: string): void => recorder.violation(message);
  const before: ModuleStatus[] = k.modules.map(() => 'dead');
  s.modules.forEach((_, i) => (before[i] = k.module(moduleName(i)).status));
  const active = managed && k.status === 'online';
  const shutItself = (): boolean => run.mayShutItself && k.shuttingDown.aborted;
  const wanted = wantedSet(s.modules, true, enabled);
  const expectReject =
    active &&
    [...wanted].some((i) => before[i] !== 'online' && isFault(s.modules[i]!.start, s.stepTimeoutMs));
  const outcome = await settleUnder(k.clock, track(k.clock, k.manage()), 'manage()', CAP_MS);
  count(`manage.${active ? (outcome.ok ? 'resolved' : 'rejected') : 'inactive'}`);
  if (shutItself()) return; // a worker shut the kernel down meanwhile: no exact outcome
  if (outcome.ok === expectReject) {
    fail(`manage() ${outcome.ok ? 'resolved' : `rejected (${String(outcome.error)})`}, expected the opposite`);
  }
  if (!active) {
    s.modules.forEach((_, i) => {
      const now = k.module(moduleName(i)).status;
      if (now !== before[i]) fail(`manage() without effect moved ${moduleName(i)} ${before[i]}->${now}`);
    });
  } else if (outcome.ok) {
    expectOnlineExactly(run, wanted, 'after manage()');
  } else {
    const err = outcome.error;
    if (!isKeelError(err) || err.code !== 'E_START_FAILED') fail(`manage() rejected with ${String(err)}`);
    s.modules.forEach((_, i) => {
      const status = k.module(moduleName(i)).status;
      if (status === 'online' && !wanted.has(i)) fail(`${moduleName(i)} runs after manage() but is not wanted`);
      if (status !== 'online' && status !== 'offline') fail(`${moduleName(i)} is ${status} after manage()`);
    });
  }
}

function expectOnlineExactly(run: KernelRun, wanted: ReadonlySet<number>, when: string): void {
  run.s.modules.forEach((_, i) => {
    const status = run.k.module(moduleName(i)).status;
    const expected: ModuleStatus = wanted.has(i) ? 'online' : 'offline';
    if (status !== expected) run.recorder.violation(`${when}: ${moduleName(i)} is ${status}, expected ${expected}`);
  });
}
