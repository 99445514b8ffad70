import type { Duration } from '../time/duration.js';

/** A module class: any class decorated with `@Module`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ModuleClass<T = any> = new (...args: any[]) => T;

/** A reference to a module: its class, its name, or a forward reference to its class. */
export type ModuleRef = ModuleClass | string | (() => ModuleClass);

/** An event a module declares, by name or with options. */
export type EventDeclaration = string | { name: string; expose?: boolean };

/** Options of `@Module`. */
export interface ModuleOptions {
  /** Unique per kernel; defaults to the class name. */
  name?: string;
  /** Explicit dependencies, in addition to constructor-injected modules. */
  dependsOn?: ModuleRef[];
  /** Events this module may trigger. `expose` defaults to true. */
  events?: EventDeclaration[];
  /** Command-line flags this module reads (via `ctx.flag(name)`), parsed when `Kernel.create({ argv })` is given. */
  flags?: Record<string, FlagSpec>;
  /**
   * Log paths this module's data must never show (pino `redact` syntax, e.g. `'*.password'`),
   * added to the kernel's `redact` paths at `Kernel.create`. Plugins holding secrets use it.
   */
  redact?: string[];
  /**
   * Active on exactly one replica of the fleet: every replica constructs and preps it, only
   * the holder of its lease starts it (see docs/fleet.md). With no fleet it is always active.
   */
  singleton?: boolean;
}

/** A command-line flag a module declares, as `node:util` `parseArgs` takes it, plus help text. */
export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  default?: string | boolean | string[] | boolean[];
  description?: string;
}

/** A parsed flag value. */
export type FlagValue = string | boolean | string[] | boolean[] | undefined;

/** Restart policy of a `@Worker`. */
export type RestartMode = 'on-error' | 'never';

/** What a service worker does when it restarts too often. */
export type Escalation = 'fail-module' | 'shutdown';

/** Supervision options shared by `@Worker` and `ctx.startServiceWorker`. */
export interface SupervisionOptions {
  /** Base backoff; the wait after the n-th consecutive failure is n × backoff. Default 2s. */
  backoff?: Duration;
  /** Upper bound of one backoff wait. Default: none (linear growth, as portbase). */
  maxBackoff?: Duration;
  /** Random extra wait, as a fraction of the backoff (0..1). Default 0. */
  jitter?: number;
  /** Restart intensity limit: more than this many failures within `window` escalates. */
  maxRestarts?: number;
  /** The window of the intensity limit. Default 1m. */
  window?: Duration;
  /** What happens past the intensity limit. Default 'fail-module'. */
  escalate?: Escalation;
}

/** Options of `@Worker`. */
export interface WorkerOptions extends SupervisionOptions {
  name?: string;
  /** 'on-error' (default) restarts after failures with backoff; 'never' runs it once. */
  restart?: RestartMode;
}

/** Options of `@Task`. */
export interface TaskOptions {
  name?: string;
  /** Repeat interval; the first run is one interval after start (or at once with runOnStart). */
  every?: Duration;
  /** A 5- or 6-field cron expression. */
  cron?: string;
  /** IANA time zone for `cron`, e.g. 'Europe/Berlin'. Default: the process's zone. */
  timezone?: string;
  /** Queue a first run as soon as the module is online. */
  runOnStart?: boolean;
  /** How long a queued run may wait before it jumps the queue. Default 1m. */
  maxDelay?: Duration;
  /** Queue runs in the prioritized queue. */
  prioritized?: boolean;
  /**
   * `'each'` (default): every replica runs its own schedule. `'once'`: each due time runs on
   * exactly one replica of the fleet (see docs/fleet.md).
   */
  fleet?: 'each' | 'once';
}

/** Options of `@OnEvent`. */
export interface HookOptions {
  description?: string;
  /**
   * For triggers with `{ fleet: true }`: `'all'` runs the hook on every live replica, `'one'`
   * on exactly one (acknowledged after it settles, redelivered elsewhere if its replica
   * dies). Without it the hook runs on the triggering replica only.
   */
  fleet?: 'all' | 'one';
  /** `fleet: 'one'`: deliveries before an event goes to the dead-letter list. Default 5. */
  maxDeliveries?: number;
  /** `fleet: 'one'`: how long a delivery may stay unacknowledged before another replica takes it. Default 30s. */
  minIdle?: Duration;
}

/** Retry spacing of a job: a duration (exponential from it) or explicit. */
export type JobBackoff = Duration | { type: 'fixed' | 'exponential'; delay: Duration };

/** Options of `@Job`. */
export interface JobOptions {
  /** The queue's name, the same on every replica. */
  queue: string;
  /** Jobs of this queue running at once on this replica. Default 1. */
  concurrency?: number;
  /** Tries per job before it is failed (and kept). Default 1. */
  attempts?: number;
  /** Wait between tries. Default 1s, exponential. */
  backoff?: JobBackoff;
  /** Per try; the handler's signal aborts when it passes and the try fails. Default: none. */
  timeout?: Duration;
}

/** What a job handler is told about its job. */
export interface JobInfo {
  readonly id: string;
  readonly queue: string;
  /** 1 for the first try. */
  readonly attempt: number;
  /** Epoch ms. */
  readonly enqueuedAt: number;
}

/** What `@Worker` records. */
export interface WorkerMeta {
  method: string | symbol;
  options: WorkerOptions;
}

/** What `@Task` records. */
export interface TaskMeta {
  method: string | symbol;
  options: TaskOptions;
}

/** What `@OnEvent` records. */
export interface HookMeta {
  method: string | symbol;
  source: ModuleRef;
  event: string;
  options: HookOptions;
}

/** What `@Job` records. */
export interface JobMeta {
  method: string | symbol;
  options: JobOptions;
}

/** Everything recorded about a module class. */
export interface ModuleMeta {
  /** The class whose decorators these are: declaration errors name it, as it is written. */
  className: string;
  options: ModuleOptions;
  workers: readonly WorkerMeta[];
  tasks: readonly TaskMeta[];
  hooks: readonly HookMeta[];
  jobs: readonly JobMeta[];
}
