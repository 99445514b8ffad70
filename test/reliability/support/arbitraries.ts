import fc from 'fast-check';
import {
  THROWN_KINDS,
  type CodePlan,
  type LifecycleFault,
  type ModulePlan,
  type Op,
  type Scenario,
  type ThrownKind,
  type WorkerPlan,
} from './plan.js';

/** Which faults a property draws, so each test file can focus its runs. */
export interface Profile {
  /** At most this many faulty lifecycle methods per scenario (a third of scenarios have none). */
  readonly maxLifecycleFaults: number;
  /** Draw prep faults too (any of them fails the whole start, which ends the scenario early). */
  readonly prepFaults: boolean;
  /** Draw workers, tasks, hooks, microtasks (and their faults), prep workers and early triggers. */
  readonly work: boolean;
  readonly maxOps: number;
  readonly management: boolean;
  /** Race `shutdown()` against `start()`. */
  readonly raceStart: boolean;
  /** Race `shutdown()` against a last `manage()`. */
  readonly raceManage: boolean;
}

/** One faulty lifecycle method. */
interface LifecycleFaultPlan {
  readonly module: number;
  readonly step: 'prep' | 'start' | 'stop';
  readonly fault: Exclude<LifecycleFault, 'ok'>;
}

/** A few faults per scenario (shrinks to none); prep faults are rarer, as any fails the start. */
function lifecycleFaults(profile: Profile): fc.Arbitrary<LifecycleFaultPlan[]> {
  const one = fc.record({
    module: fc.nat(),
    step: fc.oneof(
      { weight: profile.prepFaults ? 1 : 0, arbitrary: fc.constant('prep' as const) },
      { weight: 2, arbitrary: fc.constant('start' as const) },
      { weight: 3, arbitrary: fc.constant('stop' as const) },
    ),
    fault: fc.constantFrom(
      'throw' as const,
      'reject' as const,
      'panic' as const,
      'hang' as const,
      'slow' as const,
    ),
  });
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant<LifecycleFaultPlan[]>([]) },
    {
      weight: 2,
      arbitrary: fc.array(one, { minLength: 1, maxLength: profile.maxLifecycleFaults }),
    },
  );
}

function code(work: boolean): fc.Arbitrary<CodePlan> {
  if (!work) return fc.constant('none' as const);
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant('none' as const) },
    { weight: 2, arbitrary: fc.constant('ok' as const) },
    { weight: 1, arbitrary: fc.constant('throw' as const) },
  );
}

function worker(work: boolean): fc.Arbitrary<WorkerPlan> {
  if (!work) return fc.constant('none' as const);
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant('none' as const) },
    { weight: 6, arbitrary: fc.constant('ok' as const) },
    { weight: 4, arbitrary: fc.constant('fail' as const) },
    { weight: 1, arbitrary: fc.constant('escalate' as const) },
    { weight: 2, arbitrary: fc.constant('ignore-abort' as const) },
    { weight: 2, arbitrary: fc.constant('linger' as const) },
    { weight: 1, arbitrary: fc.constant('sleep-loop' as const) },
  );
}

/** Mostly Errors; otherwise any of the values that are hard to print or inspect. */
function thrown(): fc.Arbitrary<ThrownKind> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant('error' as const) },
    { weight: 2, arbitrary: fc.constantFrom(...THROWN_KINDS) },
  );
}

/** Wall-clock steps: NTP-sized and hour-sized, back and forward. */
const WALL_STEPS = [-3_600_000, -60_000, -1500, 1500, 60_000, 3_600_000];

/** A module before its picks are mapped onto lower indices and faults are applied. */
interface RawModule extends Omit<ModulePlan, 'deps' | 'hookSource' | 'prep' | 'start' | 'stop'> {
  readonly rawDeps: readonly number[];
  readonly rawHookSource: number;
}

function rawModule(profile: Profile): fc.Arbitrary<RawModule> {
  const sometimes = profile.work
    ? fc.oneof(
        { weight: 5, arbitrary: fc.constant(false) },
        { weight: 1, arbitrary: fc.constant(true) },
      )
    : fc.constant(false);
  return fc.record({
    rawDeps: fc.uniqueArray(fc.nat(), { maxLength: 3 }),
    worker: worker(profile.work),
    workerRestart: fc.constantFrom('never' as const, 'on-error' as const),
    task: code(profile.work),
    microtask: code(profile.work),
    hook: code(profile.work),
    rawHookSource: fc.nat(),
    prepWorker: sometimes,
    triggerInStart: sometimes,
    thrown: thrown(),
  });
}

/** Module `index` may only depend on lower indices, so any list is a DAG (and shrinks as one). */
function toPlan({ rawDeps, rawHookSource, ...rest }: RawModule, index: number): ModulePlan {
  const deps = index === 0 ? [] : [...new Set(rawDeps.map((d) => d % index))];
  const sources = [...deps, index];
  const hookSource = sources[rawHookSource % sources.length]!;
  return { ...rest, deps, hookSource, prep: 'ok', start: 'ok', stop: 'ok' };
}

/** Mostly small graphs (fast runs), sometimes up to 60 modules; each shrinks towards one module. */
function graph(profile: Profile): fc.Arbitrary<ModulePlan[]> {
  const sized = (maxLength: number): fc.Arbitrary<RawModule[]> =>
    fc.array(rawModule(profile), { minLength: 1, maxLength, size: 'max' });
  return fc
    .oneof(
      { weight: 12, arbitrary: sized(6) },
      { weight: 4, arbitrary: sized(20) },
      { weight: 1, arbitrary: sized(60) },
    )
    .map((raw) => raw.map(toPlan));
}

function op(profile: Profile): fc.Arbitrary<Op> {
  const moduleOp = (kind: 'enable' | 'disable' | 'restart' | 'trigger'): fc.Arbitrary<Op> =>
    fc.nat().map((module) => ({ kind, module }));
  const manageWeight = profile.management ? 3 : 0;
  const ms = fc.integer({ min: 0, max: 3000 });
  return fc.oneof(
    { weight: manageWeight, arbitrary: moduleOp('enable') },
    { weight: manageWeight, arbitrary: moduleOp('disable') },
    { weight: manageWeight, arbitrary: fc.constant({ kind: 'manage' as const }) },
    { weight: profile.management ? 1 : 0, arbitrary: moduleOp('restart') },
    { weight: profile.work ? 2 : 0, arbitrary: moduleOp('trigger') },
    { weight: 1, arbitrary: ms.map((ms) => ({ kind: 'advance' as const, ms })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...WALL_STEPS).map((ms) => ({ kind: 'step-wall' as const, ms })),
    },
  );
}

/** Scenarios for one profile. Module numbers (`enabledAtStart`, ops) are taken modulo the count. */
export function scenarioArb(profile: Profile): fc.Arbitrary<Scenario> {
  return fc
    .record({
      modules: graph(profile),
      faults: lifecycleFaults(profile),
      management: profile.management
        ? fc.oneof(
            { weight: 1, arbitrary: fc.constant('off' as const) },
            { weight: 3, arbitrary: fc.constant('before-start' as const) },
            { weight: 3, arbitrary: fc.constant('after-start' as const) },
          )
        : fc.constant('off' as const),
      enabledAtStart: fc.array(fc.nat(), { maxLength: 8 }),
      ops: fc.array(op(profile), { maxLength: profile.maxOps }),
      shutdownDuringStartMs: race(profile.raceStart),
      shutdownDuringManageMs: race(profile.raceManage),
      shutdownTimeoutMs: fc.constantFrom(1000, 2000, 5000),
      // A step timeout above shutdownTimeout lets steps outlive a shutdown that waits for them.
      stepTimeoutMs: fc.constantFrom(1000, 1000, 3000),
      lifecycleConcurrency: fc.constantFrom(1, 2, 32),
      taskConcurrency: fc.constantFrom(1, 2),
      secondKernel: fc.boolean(),
      listener: fc.oneof(
        { weight: 12, arbitrary: fc.constant('none' as const) },
        { weight: 1, arbitrary: fc.constant('sync' as const) },
        { weight: 1, arbitrary: fc.constant('async' as const) },
      ),
      wallStepDuringShutdownMs: fc.option(fc.constantFrom(...WALL_STEPS), {
        freq: 4,
        nil: undefined,
      }),
    })
    .map(({ faults, ...s }) => ({
      ...s,
      modules: withFaults(s.modules, faults),
      enabledAtStart: [...new Set(s.enabledAtStart.map((i) => i % s.modules.length))],
      secondKernel: s.secondKernel && s.modules.length <= 12,
    }));
}

function withFaults(modules: ModulePlan[], faults: readonly LifecycleFaultPlan[]): ModulePlan[] {
  const planned = [...modules];
  for (const { module, step, fault } of faults) {
    const i = module % planned.length;
    planned[i] = { ...planned[i]!, [step]: fault };
  }
  return planned;
}

/** A delay in one scenario of four, when racing is on. */
function race(on: boolean): fc.Arbitrary<number | undefined> {
  if (!on) return fc.constant(undefined);
  return fc.option(fc.integer({ min: 0, max: 2500 }), { freq: 3, nil: undefined });
}
