import { isKeelError, type ModuleClass } from '@keel/core';
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
      violations.push(
        ...(await runKernel(s, classes, world, false)).map((v) => `2nd kernel: ${v}`),
      );
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
  };
  const fail = (message: string): void => recorder.violation(message);
  const handle = (i: number) => k.module(moduleName(i % s.modules.length));

  s.modules.forEach((m, i) => {
    const actual = [...k.module(moduleName(i)).dependencies].sort();
    const planned = m.deps.map(moduleName).sort();
    if (actual.join() !== planned.join())
      fail(`${moduleName(i)} depends on [${actual.join()}], planned [${planned.join()}]`);
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
    await k.clock.advance(s.shutdownDuringStartMs);
    shutdown = shutdownNow(k);
  }
  const started = await settleUnder(k.clock, starting, 'start()', CAP_MS);
  run.startRejected = !started.ok;
  run.startFailed = !started.ok && isKeelError(started.error) && started.error.module !== undefined;
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
    checkSnapshot(run);
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
  // Let what outlives the shutdown end (linger workers, slow lifecycle calls, a stop() left
  // to finish after an overrun): the kernel's own timers are gone, only the test's fire.
  await k.clock.advance(Math.max(LINGER_MS, SLOW_MS));
  await k.clock.runUntilIdle({ maxTimers: 100 }).catch((err: Error) => fail(err.message));
  if (racingManage !== undefined) {
    const outcome = racingManage.outcome;
    if (outcome === undefined) fail('a manage() raced by shutdown() never settled');
    else if (
      !outcome.ok &&
      !(isKeelError(outcome.error) && outcome.error.code === 'E_START_FAILED')
    ) {
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
