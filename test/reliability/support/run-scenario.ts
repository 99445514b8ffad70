import { isKeelError, type KernelEvent, type ModuleClass } from '@keel/core';
import { createTestKernel, type TestKernel } from '@keel/testing';
import { settleUnder, track, type Tracked } from './drive.js';
import { buildModules, LINGER_MS, type World } from './fault-modules.js';
import { checkAfterShutdown } from './final-checks.js';
import { count, type KernelRun } from './kernel-run.js';
import { CAP_MS, checkSnapshot, checkStart, manage } from './oracles.js';
import { describeScenario, moduleName, SLOW_MS, wantedSet, type Scenario } from './plan.js';
import { watchProcess } from './process-watch.js';
import { Recorder } from './recorder.js';
import { StatusMonitor } from './status-monitor.js';

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
      const again = await runKernel(s, classes, world, false);
      violations.push(...again.map((v) => `2nd kernel: ${v}`));
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

/** A `shutdown()` call: its promise, observed from the start, and when it was made. */
interface Shutdown {
  readonly promise: Promise<void>;
  readonly tracked: Tracked<void>;
  readonly calledAt: number;
}

/** What the phases of one kernel's run share. */
interface Steps {
  readonly run: KernelRun;
  /** The first kernel of the scenario: only it races and takes the steps. */
  readonly first: boolean;
  /** The model of `enable()`/`disable()` so far. */
  readonly enabled: Set<number>;
  managed: boolean;
  shutdown: Shutdown | undefined;
  racingManage: Tracked<void> | undefined;
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
    startFailed: false,
    mayShutItself: s.modules.some((m) => m.worker === 'escalate'),
    overran: false,
    listenerFailures: 0,
  };
  if (s.listener !== 'none') throwingListener(run, s.listener);
  checkGraph(run);
  const steps: Steps = {
    run,
    first,
    enabled: new Set(),
    managed: s.management === 'before-start',
    shutdown: undefined,
    racingManage: undefined,
  };
  await startKernel(steps);
  await takeSteps(steps);
  await shutDown(steps);
  checkAfterShutdown(run);
  count('runs');
  count(`shutdown.${run.overran ? 'overran' : 'in-time'}`);
  for (const e of k.errors) count(`error.${e.taskType}`);
  return recorder.violations;
}

/** The kernel's graph is the planned one. */
function checkGraph({ k, s, recorder }: KernelRun): void {
  s.modules.forEach((m, i) => {
    const actual = [...k.module(moduleName(i)).dependencies].sort().join();
    const planned = m.deps.map(moduleName).sort().join();
    if (actual !== planned) {
      recorder.violation(`${moduleName(i)} depends on [${actual}], planned [${planned}]`);
    }
  });
}

/** `start()`, possibly raced by `shutdown()`, and its checks. */
async function startKernel(steps: Steps): Promise<void> {
  const { run, enabled } = steps;
  const { k, s } = run;
  if (steps.managed) {
    k.enableManagement();
    for (const i of s.enabledAtStart) {
      k.module(moduleName(i)).enable();
      enabled.add(i);
    }
  }
  const wanted = wantedSet(s.modules, steps.managed, enabled);
  const starting = track(k.clock, k.start());
  const racing = steps.first && s.shutdownDuringStartMs !== undefined;
  if (racing) {
    await k.clock.advance(s.shutdownDuringStartMs);
    steps.shutdown = shutdownNow(k);
  }
  const started = await settleUnder(k.clock, starting, 'start()', CAP_MS);
  run.startRejected = !started.ok;
  run.startFailed = !started.ok && isKeelError(started.error) && started.error.module !== undefined;
  count(started.ok ? 'start.resolved' : 'start.rejected');
  checkStart(run, started, wanted, racing || run.mayShutItself);
  if (steps.first && s.management === 'after-start') {
    k.enableManagement();
    steps.managed = true;
  }
}

/** The generated steps (first kernel only), then possibly a `manage()` raced by `shutdown()`. */
async function takeSteps(steps: Steps): Promise<void> {
  const { run, enabled } = steps;
  const { k, s } = run;
  if (!steps.first) return;
  const index = (module: number): number => module % s.modules.length;
  const handle = (module: number) => k.module(moduleName(index(module)));
  for (const op of s.ops) {
    switch (op.kind) {
      case 'enable':
        handle(op.module).enable();
        enabled.add(index(op.module));
        break;
      case 'disable':
        handle(op.module).disable();
        enabled.delete(index(op.module));
        break;
      case 'manage':
        await manage(run, steps.managed, enabled);
        break;
      case 'restart':
        handle(op.module).disable();
        enabled.delete(index(op.module));
        await manage(run, steps.managed, enabled);
        handle(op.module).enable();
        enabled.add(index(op.module));
        await manage(run, steps.managed, enabled);
        break;
      case 'trigger':
        handle(op.module)
          .triggerEvent('ping', 'op')
          .catch((err: unknown) => run.recorder.violation(`triggerEvent rejected: ${String(err)}`));
        break;
      case 'advance':
        await k.clock.advance(op.ms);
        break;
      case 'step-wall':
        k.clock.stepWall(op.ms);
        count('wall.stepped');
        break;
    }
    checkSnapshot(run);
  }
  if (s.shutdownDuringManageMs !== undefined) {
    steps.racingManage = track(k.clock, k.manage());
    await k.clock.advance(s.shutdownDuringManageMs);
    steps.shutdown = shutdownNow(k);
    count('manage.raced');
  }
}

/** `shutdown()` (idempotent, bounded by shutdownTimeout), then what outlives it ends. */
async function shutDown(steps: Steps): Promise<void> {
  const { run } = steps;
  const { k, s } = run;
  const fail = (message: string): void => run.recorder.violation(message);
  const shutdown = (steps.shutdown ??= shutdownNow(k));
  if (k.shutdown() !== shutdown.promise) fail('a second shutdown() returned another promise');
  if (s.wallStepDuringShutdownMs !== undefined && k.status === 'stopping') {
    // An NTP step while shutdown waits: its deadlines are on monotonic time, and so is `took`.
    k.clock.stepWall(s.wallStepDuringShutdownMs);
    count('wall.stepped-during-shutdown');
  }
  const stopped = await settleUnder(k.clock, shutdown.tracked, 'shutdown()', CAP_MS);
  if (!stopped.ok) fail(`shutdown() rejected: ${String(stopped.error)}`);
  const took = stopped.at - shutdown.calledAt;
  if (took > s.shutdownTimeoutMs) {
    fail(`shutdown() took ${took} ms of fake time, over shutdownTimeout ${s.shutdownTimeoutMs} ms`);
  }
  // Finishing exactly at the deadline is no overrun; an overrun is reported on on('error').
  run.overran = k.errors.some((e) => e.message.includes('overran shutdownTimeout'));
  // Linger workers, slow lifecycle calls, a stop() left to finish after an overrun: the
  // kernel's own timers are gone, so only the test's fire.
  await k.clock.advance(Math.max(LINGER_MS, SLOW_MS));
  await k.clock.runUntilIdle({ maxTimers: 100 }).catch((err: Error) => fail(err.message));
  const raced = steps.racingManage?.outcome;
  if (steps.racingManage !== undefined && raced === undefined) {
    fail('a manage() raced by shutdown() never settled');
  } else if (raced?.ok === false && !isStartFailed(raced.error)) {
    fail(`a manage() raced by shutdown() rejected with ${String(raced.error)}`);
  }
}

function isStartFailed(err: unknown): boolean {
  return isKeelError(err) && err.code === 'E_START_FAILED';
}

function shutdownNow(k: TestKernel): Shutdown {
  const promise = k.shutdown();
  return { promise, tracked: track(k.clock, promise), calledAt: k.clock.monotonic() };
}

/** The listener throws on its first events only: each failure costs a report and a log line. */
const LISTENER_FAILURES = 30;
/** Calls after which a listener counts as fed in a loop. */
const LISTENER_LOOP = 5000;

/**
 * A `kernel.on('telemetry')` listener that throws (or rejects) on its first events: each failure
 * is reported once, and it must never be handed the report of its own failure.
 */
function throwingListener(run: KernelRun, mode: 'sync' | 'async'): void {
  const own = new Set<unknown>();
  let calls = 0;
  const listener = (event: KernelEvent): unknown => {
    if (event.type === 'module-error' && own.has(event.error.cause)) {
      run.recorder.violation('a throwing listener was handed the report of its own failure');
    }
    if (++calls === LISTENER_LOOP) run.recorder.violation('listener fed in a loop');
    if (run.listenerFailures >= LISTENER_FAILURES) return undefined;
    run.listenerFailures++;
    const err = new Error('planned listener fault');
    own.add(err);
    count(`listener.${mode}`);
    if (mode === 'sync') throw err;
    return Promise.reject(err);
  };
  // A listener may return a promise: its rejection is a failure of the listener.
  run.k.on('telemetry', listener);
}
