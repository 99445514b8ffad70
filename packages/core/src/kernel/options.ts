import type { Logger } from 'pino';
import type { Provider } from '../container/provider.js';
import type { CliOptions } from './cli.js';
import type { ModuleClass } from '../decorators/metadata.js';
import type { FleetProvider } from '../specs/fleet-provider.js';
import { badArgumentError, kernelOptionError, typeName } from '../errors/catalog.js';
import { systemClock, type Clock } from '../time/clock.js';
import { toMsOr, type Duration } from '../time/duration.js';

/** Options of `Kernel.create`. */
export interface KernelOptions {
  /** The service's modules; modules they depend on are added automatically. */
  modules: ModuleClass[];
  /** Default: a pino logger at 'info' (with `redact` applied). */
  logger?: Logger;
  /**
   * Paths pino should censor in every log line, e.g. `['password', '*.token']`; a single
   * string is one path.
   */
  redact?: string[] | string;
  /** Values, classes and factories to inject; a module class as `provide` replaces that module. */
  providers?: Provider[];
  /** Microtasks running at once; default `os.availableParallelism()`; below 2 becomes 2. */
  maxConcurrentMicroTasks?: number;
  /** Per module prep/start; default 60s. */
  startTimeout?: Duration;
  /** Per module stop, including waiting for its work; default 60s. */
  stopTimeout?: Duration;
  /** Whole shutdown; default 120s. */
  shutdownTimeout?: Duration;
  /** Tasks running at once from the queue; default 1. */
  taskConcurrency?: number;
  /** Modules prepared, started or stopped at once when independent; default 32. */
  lifecycleConcurrency?: number;
  /** Time source for the scheduler, backoff and deadlines; `@keel/testing` has a fake. */
  clock?: Clock;
  /** Random numbers in [0, 1) for backoff jitter; injectable for tests. */
  random?: () => number;
  /**
   * Command-line parsing of the flags modules declare (`@Module({ flags })`). Without it,
   * every flag has its default and `process.argv` is never read.
   */
  cli?: CliOptions;
  /**
   * The fleet this kernel is a replica of (`redisFleet(…)` from `@keel/redis`,
   * `fakeFleet.replica(id)` in tests). Default: a fleet of one, in process (docs/fleet.md).
   */
  fleet?: FleetProvider;
}

/** Options after validation, in milliseconds. */
export interface ResolvedOptions {
  readonly modules: readonly ModuleClass[];
  readonly logger: Logger | undefined;
  readonly redact: readonly string[];
  readonly providers: readonly Provider[];
  readonly maxConcurrentMicroTasks: number;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly taskConcurrency: number;
  readonly lifecycleConcurrency: number;
  readonly clock: Clock;
  readonly random: () => number;
  readonly cli: CliOptions | undefined;
  readonly fleet: FleetProvider | undefined;
}

const KNOWN = new Set([
  'modules',
  'logger',
  'redact',
  'providers',
  'maxConcurrentMicroTasks',
  'startTimeout',
  'stopTimeout',
  'shutdownTimeout',
  'taskConcurrency',
  'lifecycleConcurrency',
  'clock',
  'random',
  'cli',
  'fleet',
]);

/** Validates `Kernel.create` options at once, naming the bad one. */
export function resolveOptions(options: KernelOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw badArgumentError(
      'Kernel.create needs an options object: Kernel.create({ modules: [...] }).',
      { details: { got: typeName(options) } },
    );
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) {
      throw kernelOptionError(
        'options',
        `unknown option "${key}". Known options: ${[...KNOWN].join(', ')}.`,
      );
    }
  }
  if (!Array.isArray(options.modules)) {
    throw kernelOptionError('modules', '`modules` must be an array of @Module classes.');
  }
  if (options.providers !== undefined && !Array.isArray(options.providers)) {
    throw kernelOptionError('providers', '`providers` must be an array.');
  }
  const clock = options.clock ?? systemClock;
  for (const fn of ['now', 'setTimeout', 'clearTimeout'] as const) {
    if (typeof clock[fn] !== 'function') {
      throw kernelOptionError('clock', `\`clock\` has no ${fn}() method.`);
    }
  }
  if (clock.monotonic !== undefined && typeof clock.monotonic !== 'function') {
    throw kernelOptionError(
      'clock',
      '`clock.monotonic` must be a method returning milliseconds, or absent.',
    );
  }
  if (options.random !== undefined && typeof options.random !== 'function') {
    throw kernelOptionError(
      'random',
      `\`random\` must be a function returning numbers in [0, 1), got ${typeof options.random}.`,
    );
  }
  return {
    modules: options.modules,
    logger: validLogger(options.logger),
    redact: validRedact(options.redact),
    providers: options.providers ?? [],
    maxConcurrentMicroTasks: microTaskLimit(options.maxConcurrentMicroTasks),
    startTimeoutMs: toMsOr(options.startTimeout, 60_000, 'Kernel.create option startTimeout'),
    stopTimeoutMs: toMsOr(options.stopTimeout, 60_000, 'Kernel.create option stopTimeout'),
    shutdownTimeoutMs: toMsOr(
      options.shutdownTimeout,
      120_000,
      'Kernel.create option shutdownTimeout',
    ),
    taskConcurrency: positiveInt(options.taskConcurrency, 1, 'taskConcurrency'),
    lifecycleConcurrency: positiveInt(options.lifecycleConcurrency, 32, 'lifecycleConcurrency'),
    clock,
    random: options.random ?? Math.random,
    cli: validCli(options.cli),
    fleet: validFleet(options.fleet),
  };
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw kernelOptionError(
      name,
      `\`${name}\` must be a whole number of at least 1, got ${String(value)}.`,
    );
  }
  return value;
}

/** `os.availableParallelism()`; `node:os` is loaded on use, not at import. */
function availableParallelism(): number {
  return process.getBuiltinModule('node:os').availableParallelism();
}

/** Values below 2 become 2, as documented; non-numbers are rejected. */
function microTaskLimit(value: number | undefined): number {
  if (value === undefined) return Math.max(2, availableParallelism());
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw badArgumentError(`maxConcurrentMicroTasks must be a number, got ${String(value)}.`, {
      details: { option: 'maxConcurrentMicroTasks' },
    });
  }
  return Math.max(2, Math.floor(value));
}

function validCli(cli: CliOptions | undefined): CliOptions | undefined {
  if (cli === undefined) return undefined;
  if (cli === null || typeof cli !== 'object' || !Array.isArray(cli.argv)) {
    throw kernelOptionError(
      'cli',
      '`cli` must be { argv: string[], name?, print? }, e.g. { argv: process.argv.slice(2) }.',
    );
  }
  return cli;
}

function validFleet(fleet: FleetProvider | undefined): FleetProvider | undefined {
  if (fleet === undefined) return undefined;
  if (
    fleet === null ||
    typeof fleet !== 'object' ||
    typeof fleet.connect !== 'function' ||
    typeof fleet.kind !== 'string'
  ) {
    throw kernelOptionError(
      'fleet',
      "`fleet` must be a fleet provider, e.g. redisFleet({ url, service }) from '@keel/redis'.",
    );
  }
  const ttl = fleet.leaseTtlMs;
  if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 30)) {
    throw kernelOptionError(
      'fleet',
      `the fleet provider's leaseTtlMs must be a number of at least 30 ms, got ${String(ttl)}.`,
    );
  }
  return fleet;
}

/** The pino methods Keel calls on a given logger. */
const LOGGER_METHODS = ['child', 'info', 'warn', 'error', 'debug', 'isLevelEnabled'] as const;

function validLogger(logger: Logger | undefined): Logger | undefined {
  if (logger === undefined) return undefined;
  const missing =
    logger === null || typeof logger !== 'object'
      ? [...LOGGER_METHODS]
      : LOGGER_METHODS.filter(
          (m) => typeof (logger as unknown as Record<string, unknown>)[m] !== 'function',
        );
  if (missing.length > 0) {
    throw kernelOptionError(
      'logger',
      `\`logger\` must be a pino logger (it has no ${missing.join(', ')}); ` +
        `pass pino({ ... }) or leave it out for the default logger.`,
    );
  }
  return logger;
}

/** A string is one path (never spread into letters); anything else must be strings. */
function validRedact(redact: readonly string[] | string | undefined): readonly string[] {
  if (redact === undefined) return [];
  if (typeof redact === 'string') return [redact];
  if (!Array.isArray(redact) || !redact.every((p) => typeof p === 'string' && p !== '')) {
    throw kernelOptionError(
      'redact',
      `\`redact\` must be an array of paths (non-empty strings), e.g. ['password', '*.token'].`,
    );
  }
  return redact as readonly string[];
}
