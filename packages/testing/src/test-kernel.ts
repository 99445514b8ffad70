import {
  Kernel,
  type KernelOptions,
  type ModuleError,
  type ModuleRef,
  type ModuleStatus,
  type Provider,
  type TaskHandle,
} from '@keel/core';
import type { LevelWithSilent } from 'pino';
import { FakeClock, DEFAULT_FAKE_NOW } from './fake-clock.js';
import { findLeaks } from './leaks.js';
import { captureLogger, type LogRecord } from './log-capture.js';
import { runTask, trigger, type TriggerOptions } from './trigger.js';
import { waitFor, type WaitForOptions } from './wait-for.js';

/**
 * A replacement for a module or a provider. With a `@Module` class as `provide`, the module
 * keeps its name and place in the graph and only the replacement's own lifecycle methods
 * (and, if it is itself a `@Module` class, its `@Worker`/`@Task`/`@OnEvent`) run.
 */
export type Override<T = unknown> = Provider<T>;

/**
 * Options of {@link createTestKernel}: those of `Kernel.create` (with `clock` only a
 * {@link FakeClock}), plus test ones.
 */
export interface TestKernelOptions extends Omit<KernelOptions, 'clock'> {
  /**
   * A FakeClock to share with other test kernels, e.g. `FakeFleet.clock` so replicas of one
   * fake fleet see the same time; default a new FakeClock at `now`.
   */
  clock?: FakeClock;
  /** Modules or providers to replace; they win over `providers` for the same token. */
  overrides?: Override[];
  /** Start time of the fake clock; default 2026-01-01T00:00:00Z. */
  now?: Date | number;
  /** Level of the captured default logger; default 'debug'. Ignored with `logger`. */
  logLevel?: LevelWithSilent;
  /**
   * `@keel/config` values per section name, then key: `{ db: { host: 'test-db' } }`. They
   * win over every other source, and `process.env` is not read (unless
   * `ConfigModule.configure({ env })` passes an environment).
   */
  config?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** `@keel/config`'s token for test values (a `Symbol.for`: no import of that package). */
const CONFIG_TEST_VALUES = Symbol.for('@keel/config:test-values');

/** What {@link createTestKernel} adds to a `Kernel`. */
export interface TestKernelExtras {
  /** The kernel's clock: time moves only with `advance()`, `advanceTo()` or `runUntilIdle()`. */
  readonly clock: FakeClock;
  /** Every `ModuleError` reported so far (`kernel.on('error')`), oldest first. */
  readonly errors: ModuleError[];
  /** Lines of the default logger, parsed; empty when you pass your own `logger`. */
  readonly logs: LogRecord[];
  /** Throws, listing each error's `format()`, when any `ModuleError` was reported. */
  expectNoErrors(): void;
  /**
   * After `shutdown()`: throws, naming what is left, when the kernel is not stopped, a fake
   * timer is pending, a module is not at rest, or work (workers, tasks, microtasks, hooks)
   * still runs.
   */
  expectNoLeaks(): void;
  /**
   * Resolves when the module reaches `status` (at once if it is there). Lets promise work
   * settle, and fires the timers due within `timeout` of fake time (default 0); rejects with
   * the module's status and the captured errors when that is not enough. Never hangs.
   */
  waitFor(module: ModuleRef, status: ModuleStatus, options?: WaitForOptions): Promise<void>;
  /**
   * Triggers a module's declared event on its behalf and waits for its hooks (see
   * `waitFor` for `timeout`).
   */
  /**
   * Runs a module's task now (front of the queue) and waits for that run to end (see
   * `waitFor` for `timeout`); resolves with the task's handle.
   */
  runTask(module: ModuleRef, task: string, options?: TriggerOptions): Promise<TaskHandle>;
  trigger(
    module: ModuleRef,
    event: string,
    data?: unknown,
    options?: TriggerOptions,
  ): Promise<void>;
}

/** A real `Kernel` on a fake clock, with captured errors and logs and test assertions. */
export type TestKernel = Kernel & TestKernelExtras;

/**
 * Creates a real kernel for tests: a {@link FakeClock} as its clock, overrides as
 * providers, a logger that captures into `logs` (silent on stdout), errors captured into
 * `errors`, and backoff jitter without randomness (`random: () => 0`) unless given.
 * @example
 * ```ts
 * const k = createTestKernel({ modules: [Feed], overrides: [{ provide: Db, useValue: fakeDb }] });
 * await k.start();
 * await k.clock.advance('1h');
 * await k.shutdown();
 * k.expectNoErrors();
 * k.expectNoLeaks();
 * ```
 */
export function createTestKernel(options: TestKernelOptions): TestKernel {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(
      'createTestKernel needs an options object: createTestKernel({ modules: [...] }).',
    );
  }
  if (options.clock !== undefined && !(options.clock instanceof FakeClock)) {
    throw new TypeError(
      'createTestKernel: `clock` must be a FakeClock from @keel/testing (e.g. fakeFleet.clock, to share ' +
        'time between replicas); omit it and the test kernel brings its own (k.clock). Use `now` to set the start time.',
    );
  }
  if (options.clock !== undefined && options.now !== undefined) {
    throw new TypeError(
      'createTestKernel: pass either `clock` (a shared FakeClock, already at its time) or `now`, not both.',
    );
  }
  const {
    overrides = [],
    now = DEFAULT_FAKE_NOW,
    logLevel = 'debug',
    config = {},
    clock: shared,
    ...rest
  } = options;
  if (config === null || typeof config !== 'object') {
    throw new TypeError(
      "createTestKernel: `config` must be an object of sections, e.g. { db: { host: 'x' } }.",
    );
  }
  if (!Array.isArray(overrides)) {
    throw new TypeError('createTestKernel: `overrides` must be an array of providers.');
  }
  const clock = shared ?? new FakeClock(now);
  const captured = captureLogger(logLevel, () => clock.now());
  const kernelOptions: KernelOptions = {
    random: () => 0,
    ...rest,
    logger: rest.logger ?? captured.logger,
    // Test kernels never read process.env for @keel/config: values come from `config`.
    providers: [
      { provide: CONFIG_TEST_VALUES, useValue: config },
      ...(rest.providers ?? []),
      ...overrides,
    ],
    clock,
  };
  const kernel = Kernel.create(kernelOptions);
  const errors: ModuleError[] = [];
  kernel.on('error', (err) => {
    errors.push(err);
  });
  const extras: TestKernelExtras = {
    clock,
    errors,
    logs: captured.logs,
    expectNoErrors() {
      if (errors.length === 0) return;
      const list = errors.map((e, i) => `#${i + 1}\n${e.format()}`).join('\n\n');
      throw new Error(`expectNoErrors: ${errors.length} module error(s) were reported:\n\n${list}`);
    },
    expectNoLeaks() {
      const leaks = findLeaks(kernel, clock);
      if (leaks.length === 0) return;
      throw new Error(
        `expectNoLeaks: the kernel left ${leaks.length} thing(s) behind:\n${leaks.map((l) => `  - ${l}`).join('\n')}`,
      );
    },
    waitFor: (module, status, waitOptions) =>
      waitFor(kernel, clock, errors, module, status, waitOptions),
    trigger: (module, event, data, triggerOptions) =>
      trigger(kernel, clock, module, event, data, triggerOptions),
    runTask: (module, name, taskOptions) => runTask(kernel, clock, module, name, taskOptions),
  };
  return Object.assign(kernel, extras);
}
