import fc from 'fast-check';

/** What a lifecycle method does: return, throw an Error, reject, throw a non-Error, or never settle. */
export type LifecycleFault = 'ok' | 'throw' | 'reject' | 'panic' | 'hang';

/**
 * A module's `@Worker`: `ok` ends when its signal aborts, `fail` throws at once,
 * `ignore-abort` never ends, `linger` ends 1.5 s (fake) after its signal aborted.
 */
export type WorkerPlan = 'none' | 'ok' | 'fail' | 'ignore-abort' | 'linger';

/** A piece of module code that may be absent, succeed or throw. */
export type CodePlan = 'none' | 'ok' | 'throw';

/** One generated module. Indices refer to `Scenario.modules`. */
export interface ModulePlan {
  /** Dependencies, all with a lower index: the graph is a DAG by construction. */
  readonly deps: readonly number[];
  readonly prep: LifecycleFault;
  readonly start: LifecycleFault;
  readonly stop: LifecycleFault;
  readonly worker: WorkerPlan;
  readonly workerRestart: 'never' | 'on-error';
  /** A `@Task({ every })` that triggers the module's `ping` event and may start a microtask. */
  readonly task: CodePlan;
  /** The microtask the task starts. */
  readonly microtask: CodePlan;
  /** An `@OnEvent(source, 'ping')` hook. */
  readonly hook: CodePlan;
  /** The hooked module: one of `deps`, or the module itself. */
  readonly hookSource: number;
}

/** A step after `start()`. Module numbers are taken modulo the module count. */
export type Op =
  | { readonly kind: 'enable' | 'disable' | 'restart' | 'trigger'; readonly module: number }
  | { readonly kind: 'manage' }
  | { readonly kind: 'advance'; readonly ms: number };

/** One generated run: a graph with its fault plan, and what is done to the kernel. */
export interface Scenario {
  readonly modules: readonly ModulePlan[];
  /** When `kernel.enableManagement()` is called, if at all. */
  readonly management: 'off' | 'before-start' | 'after-start';
  /** Modules enabled before `start()` (only meaningful with management before start). */
  readonly enabledAtStart: readonly number[];
  readonly ops: readonly Op[];
  /** Calls `shutdown()` this many fake ms after `start()`, while it may still run. */
  readonly shutdownDuringStartMs: number | undefined;
  readonly shutdownTimeoutMs: number;
  /** After the first kernel shut down, builds a second one from the same classes. */
  readonly secondKernel: boolean;
}

/** Which faults a property draws, so each test file can focus its runs. */
export interface Profile {
  /** Weight of a faulty lifecycle method against 24 for `ok`. */
  readonly lifecycleFaultWeight: number;
  /** Draw workers, tasks, hooks and microtasks (and their faults). */
  readonly work: boolean;
  readonly maxOps: number;
  readonly management: boolean;
  readonly shutdownDuringStart: boolean;
}

export const STEP_TIMEOUT_MS = 1000;

const lifecycleFault = (faultWeight: number): fc.Arbitrary<LifecycleFault> =>
  fc.oneof(
    { weight: 24, arbitrary: fc.constant('ok' as const) },
    { weight: faultWeight, arbitrary: fc.constant('throw' as const) },
    { weight: faultWeight, arbitrary: fc.constant('reject' as const) },
    { weight: faultWeight, arbitrary: fc.constant('panic' as const) },
    { weight: faultWeight, arbitrary: fc.constant('hang' as const) },
  );

const code = (work: boolean): fc.Arbitrary<CodePlan> =>
  work
    ? fc.oneof(
        { weight: 4, arbitrary: fc.constant('none' as const) },
        { weight: 2, arbitrary: fc.constant('ok' as const) },
        { weight: 1, arbitrary: fc.constant('throw' as const) },
      )
    : fc.constant('none' as const);

const worker = (work: boolean): fc.Arbitrary<WorkerPlan> =>
  work
    ? fc.oneof(
        { weight: 6, arbitrary: fc.constant('none' as const) },
        { weight: 3, arbitrary: fc.constant('ok' as const) },
        { weight: 2, arbitrary: fc.constant('fail' as const) },
        { weight: 1, arbitrary: fc.constant('ignore-abort' as const) },
        { weight: 1, arbitrary: fc.constant('linger' as const) },
      )
    : fc.constant('none' as const);

/** Mostly small graphs (fast runs), sometimes up to 60 modules. */
const moduleCount = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 1, max: 6 }) },
  { weight: 4, arbitrary: fc.integer({ min: 7, max: 20 }) },
  { weight: 1, arbitrary: fc.integer({ min: 21, max: 60 }) },
);

function modulePlan(index: number, profile: Profile): fc.Arbitrary<ModulePlan> {
  return fc
    .record({
      rawDeps: fc.uniqueArray(fc.nat(), { maxLength: Math.min(index, 3) }),
      prep: lifecycleFault(profile.lifecycleFaultWeight),
      start: lifecycleFault(profile.lifecycleFaultWeight),
      stop: lifecycleFault(profile.lifecycleFaultWeight),
      worker: worker(profile.work),
      workerRestart: fc.constantFrom('never' as const, 'on-error' as const),
      task: code(profile.work),
      microtask: code(profile.work),
      hook: code(profile.work),
      rawHookSource: fc.nat(),
    })
    .map(({ rawDeps, rawHookSource, ...rest }) => {
      const deps = index === 0 ? [] : [...new Set(rawDeps.map((d) => d % index))];
      const sources = [...deps, index];
      return { ...rest, deps, hookSource: sources[rawHookSource % sources.length]! };
    });
}

function op(profile: Profile): fc.Arbitrary<Op> {
  const moduleOp = (kind: 'enable' | 'disable' | 'restart' | 'trigger'): fc.Arbitrary<Op> =>
    fc.nat().map((module) => ({ kind, module }));
  const manageWeight = profile.management ? 3 : 0;
  return fc.oneof(
    { weight: manageWeight, arbitrary: moduleOp('enable') },
    { weight: manageWeight, arbitrary: moduleOp('disable') },
    { weight: manageWeight, arbitrary: fc.constant({ kind: 'manage' as const }) },
    { weight: profile.management ? 1 : 0, arbitrary: moduleOp('restart') },
    { weight: profile.work ? 2 : 0, arbitrary: moduleOp('trigger') },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 3000 }).map((ms) => ({ kind: 'advance' as const, ms })) },
  );
}

/** Scenarios for one profile. */
export function scenarioArb(profile: Profile): fc.Arbitrary<Scenario> {
  return moduleCount.chain((count) =>
    fc.record({
      modules: fc.tuple(...Array.from({ length: count }, (_, i) => modulePlan(i, profile))),
      management: profile.management
        ? fc.constantFrom('off' as const, 'before-start' as const, 'after-start' as const)
        : fc.constant('off' as const),
      enabledAtStart: fc.uniqueArray(fc.nat({ max: count - 1 }), { maxLength: count }),
      ops: fc.array(op(profile), { maxLength: profile.maxOps }),
      shutdownDuringStartMs: profile.shutdownDuringStart
        ? fc.option(fc.integer({ min: 0, max: 2500 }), { freq: 3 })
        : fc.constant(undefined),
      shutdownTimeoutMs: fc.constantFrom(1000, 2000, 5000),
      secondKernel: fc.boolean().map((b) => b && count <= 12),
    }),
  ).map((s) => ({ ...s, shutdownDuringStartMs: s.shutdownDuringStartMs ?? undefined }));
}

/** The module name of an index. */
export function moduleName(index: number): string {
  return `m${index}`;
}

/** Modules that must run: every module without management, else the enabled ones and their dependencies. */
export function wantedSet(
  modules: readonly ModulePlan[],
  managed: boolean,
  enabled: ReadonlySet<number>,
): Set<number> {
  if (!managed) return new Set(modules.keys());
  const wanted = new Set<number>();
  const stack = [...enabled];
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (wanted.has(i)) continue;
    wanted.add(i);
    stack.push(...modules[i]!.deps);
  }
  return wanted;
}

/** A short, readable description of a scenario for failure messages. */
export function describeScenario(s: Scenario): string {
  const lines = s.modules.map((m, i) => {
    const faults = [
      m.deps.length > 0 ? `deps=${m.deps.map(moduleName).join(',')}` : '',
      m.prep !== 'ok' ? `prep=${m.prep}` : '',
      m.start !== 'ok' ? `start=${m.start}` : '',
      m.stop !== 'ok' ? `stop=${m.stop}` : '',
      m.worker !== 'none' ? `worker=${m.worker}/${m.workerRestart}` : '',
      m.task !== 'none' ? `task=${m.task}` : '',
      m.microtask !== 'none' && m.task !== 'none' ? `microtask=${m.microtask}` : '',
      m.hook !== 'none' ? `hook=${m.hook}@${moduleName(m.hookSource)}` : '',
    ].filter((x) => x !== '');
    return `  ${moduleName(i)}: ${faults.join(' ') || '(plain)'}`;
  });
  return [
    `management=${s.management} enabledAtStart=[${s.enabledAtStart.join(',')}] shutdownTimeout=${s.shutdownTimeoutMs}ms` +
      ` shutdownDuringStart=${s.shutdownDuringStartMs ?? '-'} secondKernel=${s.secondKernel}`,
    ...lines,
    `  ops: ${s.ops.map((o) => ('module' in o ? `${o.kind}(${moduleName(o.module % s.modules.length)})` : o.kind === 'advance' ? `advance(${o.ms})` : o.kind)).join(' ') || '(none)'}`,
  ].join('\n');
}
