import 'reflect-metadata';
import {
  Module,
  ModuleContext,
  OnEvent,
  Task,
  Worker,
  type ModuleClass,
  type WorkerOptions,
} from '@keel/core';
import type { FakeClock } from '@keel/testing';
import {
  isFault,
  moduleName,
  SLOW_MS,
  thrownValue,
  type LifecycleFault,
  type ModulePlan,
  type ThrownKind,
} from './plan.js';
import type { Recorder } from './recorder.js';

/** Fake ms a `linger` worker keeps running after its signal aborted. */
export const LINGER_MS = 1200;
/** Interval of every generated `@Task`. */
export const TASK_EVERY_MS = 700;
/** Backoff of restarting (`on-error`) workers. */
export const WORKER_BACKOFF_MS = 400;
/** Far more runs of one worker than backoff allows in a scenario's fake time. */
const MAX_WORKER_RUNS = 500;

/**
 * The kernel the generated classes currently run in. Classes are shared by the kernels of
 * one scenario (a "process restart" builds a second kernel from them), so they look up
 * their recorder and clock here rather than capturing them.
 */
export interface World {
  recorder: Recorder;
  clock: FakeClock;
}

type Instance = { readonly ctx: ModuleContext };
type Step = 'prep' | 'start' | 'stop';

/** Builds one fresh `@Module` class per plan, with the planned faults. */
export function buildModules(
  plans: readonly ModulePlan[],
  stepTimeoutMs: number,
  world: World,
): ModuleClass[] {
  const classes: ModuleClass[] = [];
  plans.forEach((plan, index) => {
    const name = moduleName(index);
    // A computed key gives the anonymous class its name (the graph and messages use it).
    const cls = {
      [name]: class {
        constructor(readonly ctx: ModuleContext) {}
      },
    }[name]!;
    // Decorators applied by hand emit no constructor metadata: declare the context param.
    Reflect.defineMetadata('design:paramtypes', [ModuleContext], cls);
    const proto = cls.prototype as unknown as Record<string, unknown>;
    const step = (s: Step, before?: (ctx: ModuleContext) => void): unknown =>
      lifecycleMethod(
        world,
        name,
        s,
        plan[s],
        isFault(plan[s], stepTimeoutMs),
        plan.thrown,
        before,
      );
    proto.prep = step('prep', (ctx) => {
      if (plan.prepWorker) ctx.startWorker('prep-work', untilAborted);
    });
    proto.start = step('start', (ctx) => {
      if (plan.triggerInStart) void ctx.triggerEvent('ping', 'start');
    });
    proto.stop = step('stop');
    if (plan.worker !== 'none') {
      proto.work = workerMethod(world, name, plan);
      decorate(Worker({ name: 'work', ...workerOptions(plan) }), proto, 'work');
    }
    if (plan.task !== 'none') {
      proto.tick = taskMethod(world, name, plan);
      decorate(Task({ name: 'tick', every: TASK_EVERY_MS }), proto, 'tick');
    }
    if (plan.hook !== 'none') {
      const source = moduleName(plan.hookSource);
      proto.onPing = hookMethod(world, name, source, plan);
      decorate(OnEvent(source, 'ping'), proto, 'onPing');
    }
    const dependsOn = plan.deps.map((d) => classes[d]!);
    Module({ name, dependsOn, events: ['ping'] })(cls);
    classes.push(cls);
  });
  return classes;
}

function decorate(
  decorator: (target: object, key: string, descriptor?: PropertyDescriptor) => void,
  proto: object,
  key: string,
): void {
  decorator(proto, key, Object.getOwnPropertyDescriptor(proto, key));
}

function workerOptions(plan: ModulePlan): WorkerOptions {
  if (plan.worker === 'escalate') {
    // The second failure within 10 s exceeds the limit and shuts the whole kernel down.
    return { backoff: WORKER_BACKOFF_MS, maxRestarts: 1, window: '10s', escalate: 'shutdown' };
  }
  if (plan.workerRestart === 'never') return { restart: 'never' };
  return { restart: 'on-error', backoff: WORKER_BACKOFF_MS };
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

function lifecycleMethod(
  world: World,
  module: string,
  step: Step,
  fault: LifecycleFault,
  faulty: boolean,
  thrown: ThrownKind,
  before?: (ctx: ModuleContext) => void,
): (this: Instance) => unknown {
  return function (this: Instance) {
    world.recorder.called(module, step, faulty);
    before?.(this.ctx);
    switch (fault) {
      case 'ok':
        return undefined;
      case 'throw':
        throw new Error(`planned ${step} fault in ${module}`);
      case 'reject':
        return Promise.reject(new Error(`planned ${step} rejection in ${module}`));
      case 'panic':
        // A thrown non-Error (a panic), or whatever the module throws: maybe unprintable.

        throw thrown === 'error'
          ? `planned ${step} panic in ${module}`
          : thrownValue(thrown, `planned ${step} panic in ${module}`);
      case 'hang':
        return new Promise<never>(() => undefined);
      case 'slow':
        // On the test's clock, not the kernel's timers: it ends even after a shutdown.
        return new Promise<void>((resolve) => world.clock.setTimeout(resolve, SLOW_MS));
    }
  };
}

function workerMethod(world: World, module: string, plan: ModulePlan) {
  return function (this: Instance, signal: AbortSignal): Promise<void> {
    const { recorder, clock } = world;
    if (recorder.callCount(module, 'worker') >= MAX_WORKER_RUNS) {
      // A restart loop without backoff would starve the event loop (and this test) for good.
      recorder.violation(`worker of ${module} ran ${MAX_WORKER_RUNS} times: a restart loop`);
      return new Promise<never>(() => undefined);
    }
    recorder.called(module, 'worker', plan.worker === 'fail' || plan.worker === 'escalate');
    if (signal.aborted) recorder.violation(`worker of ${module} started with an aborted signal`);
    const status = recorder.kernel.module(module).status;
    if (status !== 'starting' && status !== 'online') {
      recorder.violation(`worker of ${module} started while the module was ${status}`);
    }
    switch (plan.worker) {
      case 'fail':
      case 'escalate':
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- any thrown value
        return Promise.reject(thrownValue(plan.thrown, `planned worker fault in ${module}`));
      case 'sleep-loop':
        // Ignores its signal: sleeps in a loop until the test's kernel is gone.
        return (async () => {
          while (world.recorder === recorder && recorder.kernel.status !== 'stopped') {
            await this.ctx.sleep('1s');
          }
        })();
      case 'ignore-abort':
        return new Promise<never>(() => undefined);
      case 'linger':
        return new Promise((resolve) =>
          signal.addEventListener('abort', () => clock.setTimeout(resolve, LINGER_MS), {
            once: true,
          }),
        );
      case 'ok':
      case 'none':
        return untilAborted(signal);
    }
  };
}

function taskMethod(world: World, module: string, plan: ModulePlan) {
  return function (this: Instance): void {
    const { recorder } = world;
    recorder.called(module, 'task', plan.task === 'throw');
    recorder.expectOnline(module, `task of ${module}`);
    if (plan.microtask !== 'none') {
      this.ctx.startMicroTask('mt', () => {
        recorder.called(module, 'microtask', plan.microtask === 'throw');
        if (plan.microtask === 'throw')
          throw thrownValue(plan.thrown, `planned microtask fault in ${module}`);
      });
    }
    void this.ctx.triggerEvent('ping', module);

    if (plan.task === 'throw') throw thrownValue(plan.thrown, `planned task fault in ${module}`);
  };
}

function hookMethod(world: World, module: string, source: string, plan: ModulePlan) {
  return function (this: Instance): void {
    const { recorder } = world;
    recorder.called(module, 'hook', plan.hook === 'throw');
    recorder.expectOnline(module, `hook of ${module}`);
    recorder.expectOnline(source, `hook of ${module} on ${source}/ping`);

    if (plan.hook === 'throw') throw thrownValue(plan.thrown, `planned hook fault in ${module}`);
  };
}
