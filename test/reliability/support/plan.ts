/**
 * What a lifecycle method does: return, throw an Error, reject, throw a non-Error, never
 * settle, or resolve after {@link SLOW_MS} of fake time (a fault only when that is longer
 * than the scenario's step timeout).
 */
export type LifecycleFault = 'ok' | 'throw' | 'reject' | 'panic' | 'hang' | 'slow';

/** Fake ms a `slow` lifecycle method takes. */
export const SLOW_MS = 1700;

/**
 * A module's `@Worker`: `ok` ends when its signal aborts, `fail` throws at once (restarted
 * or not), `escalate` throws at once and shuts the kernel down past its restart limit,
 * `ignore-abort` never ends, `linger` ends 1.2 s (fake) after its signal aborted.
 */
export type WorkerPlan =
  'none' | 'ok' | 'fail' | 'escalate' | 'ignore-abort' | 'linger' | 'sleep-loop';

/**
 * What a module's failing code throws (the `panic` lifecycle fault, failing tasks, hooks,
 * microtasks and workers): an Error, or one of the values that are hard to print or even to
 * inspect (`instanceof` throws on a revoked Proxy).
 */
export type ThrownKind =
  | 'error'
  | 'string'
  | 'null'
  | 'undefined'
  | 'bigint'
  | 'symbol'
  | 'cyclic-null-proto'
  | 'throwing-tostring'
  | 'revoked-proxy'
  | 'error-bad-message';

export const THROWN_KINDS: readonly ThrownKind[] = [
  'error',
  'string',
  'null',
  'undefined',
  'bigint',
  'symbol',
  'cyclic-null-proto',
  'throwing-tostring',
  'revoked-proxy',
  'error-bad-message',
];

/** A fresh thrown value of `kind`; `label` goes into the ones that can carry it. */
export function thrownValue(kind: ThrownKind, label: string): unknown {
  switch (kind) {
    case 'error':
      return new Error(label);
    case 'string':
      return label;
    case 'null':
      return null;
    case 'undefined':
      return undefined;
    case 'bigint':
      return 13n;
    case 'symbol':
      return Symbol(label);
    case 'cyclic-null-proto': {
      const o = Object.create(null) as Record<string, unknown>;
      o['self'] = o;
      return o;
    }
    case 'throwing-tostring':
      return {
        toString(): string {
          throw new Error('toString refused');
        },
        toJSON(): never {
          throw new Error('toJSON refused');
        },
      };
    case 'revoked-proxy': {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    }
    case 'error-bad-message': {
      const err = new Error(label);
      Object.defineProperty(err, 'message', {
        get(): never {
          throw new Error('message refused');
        },
      });
      return err;
    }
  }
}

/** `value instanceof Error`, false when the check itself throws (a revoked Proxy). */
export function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

/** The message of an Error, '' for anything else (or a message that cannot be read). */
export function messageOf(value: unknown): string {
  try {
    return isError(value) ? String(value.message) : '';
  } catch {
    return '';
  }
}

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
  /** `prep()` starts a background worker (`ctx.startWorker`) that ends when its signal aborts. */
  readonly prepWorker: boolean;
  /** `start()` triggers `ping` before it returns (hooks must wait until both sides are online). */
  readonly triggerInStart: boolean;
  /** What its failing code throws. */
  readonly thrown: ThrownKind;
}

/** A step after `start()`. Module numbers are taken modulo the module count. */
export type Op =
  | { readonly kind: 'enable' | 'disable' | 'restart' | 'trigger'; readonly module: number }
  | { readonly kind: 'manage' }
  | { readonly kind: 'advance'; readonly ms: number }
  /** Steps the wall clock (an NTP correction): monotonic time, and so every deadline, does not move. */
  | { readonly kind: 'step-wall'; readonly ms: number };

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
  /** After the ops, calls `manage()` and, this many fake ms later, `shutdown()`. */
  readonly shutdownDuringManageMs: number | undefined;
  readonly shutdownTimeoutMs: number;
  /** startTimeout and stopTimeout. */
  readonly stepTimeoutMs: number;
  readonly lifecycleConcurrency: number;
  readonly taskConcurrency: number;
  /** After the first kernel shut down, builds a second one from the same classes. */
  readonly secondKernel: boolean;
  /** A `kernel.on('telemetry')` listener that throws (or rejects) on every event. */
  readonly listener: 'none' | 'sync' | 'async';
  /** Steps the wall clock by this many ms right after `shutdown()` was called. */
  readonly wallStepDuringShutdownMs: number | undefined;
}

/** Does the kernel see this lifecycle behaviour as a failure (a throw, or a timeout)? */
export function isFault(fault: LifecycleFault, stepTimeoutMs: number): boolean {
  return fault !== 'ok' && !(fault === 'slow' && stepTimeoutMs > SLOW_MS);
}

/**
 * True for the overrun report on a module whose prep()/start() was still running: the
 * kernel cut that step off, so a fault planned in it may show only here.
 */
export function overranWhileStepping(message: string): boolean {
  return /overran shutdownTimeout .* was (preparing|starting)/.test(message);
}

/**
 * True for the error of a prep/start/stop the kernel cut off because the whole shutdown ran
 * out of time (not the module's fault: any step in flight at that moment gets one).
 */
export function abandoned(message: string): boolean {
  return message.includes('was abandoned: the shutdown ran out of time');
}

/** The module name of an index. */
export function moduleName(index: number): string {
  return `m${index}`;
}

/** Modules that must run: all without management, else the enabled ones and their dependencies. */
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
    const traits = [
      m.deps.length > 0 ? `deps=${m.deps.map(moduleName).join(',')}` : '',
      m.prep !== 'ok' ? `prep=${m.prep}` : '',
      m.start !== 'ok' ? `start=${m.start}` : '',
      m.stop !== 'ok' ? `stop=${m.stop}` : '',
      m.worker !== 'none' ? `worker=${m.worker}/${m.workerRestart}` : '',
      m.task !== 'none' ? `task=${m.task}` : '',
      m.microtask !== 'none' && m.task !== 'none' ? `microtask=${m.microtask}` : '',
      m.hook !== 'none' ? `hook=${m.hook}@${moduleName(m.hookSource)}` : '',
      m.prepWorker ? 'prepWorker' : '',
      m.triggerInStart ? 'triggerInStart' : '',
      m.thrown !== 'error' ? `thrown=${m.thrown}` : '',
    ].filter((x) => x !== '');
    return `  ${moduleName(i)}: ${traits.join(' ') || '(plain)'}`;
  });
  const ops = s.ops.map((o) => {
    if ('module' in o) return `${o.kind}(${moduleName(o.module % s.modules.length)})`;
    return o.kind === 'manage' ? o.kind : `${o.kind}(${o.ms})`;
  });
  return [
    `management=${s.management} enabledAtStart=[${s.enabledAtStart.map(moduleName).join(',')}]` +
      ` shutdownTimeout=${s.shutdownTimeoutMs} stepTimeout=${s.stepTimeoutMs} shutdownDuringStart=${s.shutdownDuringStartMs ?? '-'}` +
      ` shutdownDuringManage=${s.shutdownDuringManageMs ?? '-'}` +
      ` lifecycleConcurrency=${s.lifecycleConcurrency} taskConcurrency=${s.taskConcurrency}` +
      ` secondKernel=${s.secondKernel} listener=${s.listener}` +
      ` wallStepDuringShutdown=${s.wallStepDuringShutdownMs ?? '-'}`,
    ...lines,
    `  ops: ${ops.join(' ') || '(none)'}`,
  ].join('\n');
}
