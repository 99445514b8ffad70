import { endedByAbort } from '../errors/abort.js';
import {
  callOptionError,
  eventNotExposedError,
  eventPayloadError,
  jobDataError,
  jobQueueUnknownError,
  kernelStateError,
} from '../errors/catalog.js';
import { KeelError } from '../errors/keel-error.js';
import { validateHookOptions } from '../specs/hook-options.js';
import type { JobInfo } from '../decorators/metadata.js';
import { resolveJobOptions, type JobPlan } from '../jobs/job-options.js';
import type { ModuleRuntime } from '../lifecycle/module-runtime.js';
import { validateTaskOptions, type TaskPlan } from '../specs/task-spec.js';
import type { TaskScheduler } from '../tasks/task-scheduler.js';
import { isThenable } from '../util/thenable.js';
import { toMs, type Duration } from '../time/duration.js';
import type { FleetConnection, FleetEnqueueOptions } from '../specs/fleet-provider.js';
import type { KernelFleet } from './kernel-fleet.js';

type Method = (...args: unknown[]) => unknown;

/** What a fleet hook or job method that returned synchronously hands back to its provider. */
const SETTLED: Promise<void> = Promise.resolve();

/** Options of `ctx.fleet.enqueue`. */
export interface EnqueueOptions {
  /** Makes enqueue idempotent: a second enqueue with the same id adds nothing. */
  jobId?: string;
  /** Lower runs first (as BullMQ); default: none. */
  priority?: number;
  /** Wait this long before the job may run. */
  delay?: Duration;
}

/** A fleet hook as the kernel binds it. */
interface FleetHook {
  readonly topic: string;
  readonly hookId: string;
  readonly mode: 'all' | 'one';
  readonly maxDeliveries: number;
  readonly minIdleMs: number;
  readonly owner: ModuleRuntime;
  readonly name: string;
  readonly method: string | symbol;
}

/** A module's fleet declarations, checked once at `Kernel.create`. */
interface Declared {
  readonly jobs: Array<{ readonly method: string | symbol; readonly plan: JobPlan }>;
  readonly tasks: Array<{
    readonly method: string | symbol;
    readonly name: string;
    readonly cron: string | undefined;
    readonly timezone: string | undefined;
    readonly plan: TaskPlan;
  }>;
  readonly hooks: FleetHook[];
}

/** What a module holds open on the fleet while it is online. */
interface Open {
  close(): Promise<void>;
}

/** The engine's options of a plain enqueue (no jobId, priority or delay): one object for all. */
const NO_OPTIONS: FleetEnqueueOptions = Object.freeze({});

/** Share of `stopTimeout` a job consumer may wait for running jobs before handing them back. */
const JOB_GRACE_SHARE = 0.6;

/**
 * A module's fleet work: its `@Job` consumers, `fleet: 'once'` tasks and fleet hooks are
 * opened when it starts and closed when it begins to stop (its stop waits for them).
 */
export class FleetWork {
  /** Queue names some module of this kernel declares with `@Job`. */
  readonly queues = new Set<string>();
  /** Keys of the `fleet: 'once'` tasks some module of this kernel declares. */
  readonly taskKeys = new Set<string>();
  private readonly declared = new Map<ModuleRuntime, Declared>();
  private readonly open = new Map<ModuleRuntime, Open[]>();

  constructor(
    private readonly fleet: KernelFleet,
    private readonly scheduler: TaskScheduler,
    private readonly stopTimeoutMs: number,
  ) {}

  /** Checks a module's `@Job` and `@OnEvent` options at `Kernel.create` (the decorators only record). */
  plan(rt: ModuleRuntime, sourceName: (hookSource: unknown) => string): void {
    const { meta } = rt;
    if (meta.jobs.length === 0 && meta.tasks.length === 0 && meta.hooks.length === 0) return;
    const declared: Declared = { jobs: [], tasks: [], hooks: [] };
    for (const job of rt.meta.jobs) {
      const plan = resolveJobOptions(rt.meta.className, String(job.method), job.options);
      this.queues.add(plan.queue);
      declared.jobs.push({ method: job.method, plan });
    }
    for (const task of rt.meta.tasks) {
      if (task.options.fleet !== 'once') continue;
      const name = task.options.name ?? String(task.method);
      this.taskKeys.add(`${rt.name}.${name}`);
      declared.tasks.push({
        method: task.method,
        name,
        cron: task.options.cron,
        timezone: task.options.timezone,
        plan: validateTaskOptions(rt.meta.className, String(task.method), task.options, rt.name),
      });
    }
    for (const hook of rt.meta.hooks) {
      const plan = validateHookOptions(
        `@OnEvent on "${rt.meta.className}.${String(hook.method)}"`,
        hook.options,
      );
      if (plan === undefined) continue;
      const source = sourceName(hook.source);
      const topic = `${source}.${hook.event}`;
      declared.hooks.push({
        topic,
        hookId: `${topic}->${rt.name}.${String(hook.method)}`,
        ...plan,
        owner: rt,
        name: `fleet hook ${source}/${hook.event} -> ${rt.name}.${hook.options.description ?? String(hook.method)}`,
        method: hook.method,
      });
    }
    if (declared.jobs.length + declared.tasks.length + declared.hooks.length > 0) {
      this.declared.set(rt, declared);
    }
  }

  /** Opens a module's fleet work right after its start() resolved. */
  launch(rt: ModuleRuntime): boolean {
    const c = this.fleet.connection;
    const declared = this.declared.get(rt);
    if (c === undefined || declared === undefined) return false;
    const open: Open[] = [];
    for (const job of declared.jobs) open.push(this.consume(c, rt, job.method, job.plan));
    for (const task of declared.tasks) open.push(this.scheduleOnce(c, rt, task));
    for (const hook of declared.hooks) open.push(this.subscribe(c, hook));
    this.open.set(rt, open);
    return true;
  }

  /** Closes a module's fleet work as it begins to stop; its stop waits for the closing. */
  stop(rt: ModuleRuntime): void {
    if (this.open.size === 0) return; // no module has fleet work open
    const open = this.open.get(rt);
    if (open === undefined) return;
    this.open.delete(rt);
    const end = rt.begin('worker', 'fleet work');
    void Promise.allSettled(open.map((o) => o.close())).then((results) => {
      for (const r of results) {
        if (r.status === 'rejected') rt.report(r.reason, 'close fleet work', 'stop');
      }
      end();
    });
  }

  /**
   * `ctx.fleet.enqueue`: checks at the call site, then adds the job.
   * @throws KeelError `E_JOB_QUEUE_UNKNOWN`, `E_JOB_DATA`, `E_INVALID_OPTION`, `E_KERNEL_STATE`
   */
  enqueue(
    rt: ModuleRuntime,
    queue: string,
    data: unknown,
    options: EnqueueOptions = {},
  ): Promise<string> {
    if (typeof queue !== 'string' || !this.queues.has(queue)) {
      throw jobQueueUnknownError(rt.name, queue, [...this.queues]);
    }
    const text = jsonOf(data);
    if (text === undefined) {
      throw jobDataError(rt.name, queue, kindOf(data));
    }
    const opts = enqueueOptions(rt.name, queue, options);
    const c = this.fleet.connection;
    if (c === undefined) {
      throw kernelStateError(
        `Module "${rt.name}" enqueues to "${queue}" before the fleet is connected; enqueue from prep(), start() or later, not from a constructor.`,
        rt.name,
      );
    }
    return c.enqueue(queue, text, opts, data);
  }

  /**
   * Publishes a fleet trigger.
   * @throws KeelError `E_EVENT_NOT_EXPOSED`, `E_EVENT_PAYLOAD`
   */
  checkTrigger(
    rt: ModuleRuntime,
    source: string,
    event: string,
    exposed: boolean,
    data: unknown,
  ): string {
    if (!exposed) {
      throw eventNotExposedError(rt.name, source, event);
    }
    const text = jsonOf(data);
    if (text === undefined) {
      throw eventPayloadError(rt.name, source, event, kindOf(data));
    }
    return text;
  }

  /** Sends a checked fleet trigger. */
  publish(topic: string, payload: string): Promise<void> {
    const c = this.fleet.connection;
    if (c === undefined) {
      return Promise.reject(
        kernelStateError(`Fleet trigger of "${topic}" before the fleet is connected.`),
      );
    }
    return c.publish(topic, payload);
  }

  private consume(
    c: FleetConnection,
    rt: ModuleRuntime,
    method: string | symbol,
    plan: JobPlan,
  ): Open {
    const name = `job ${plan.queue} -> ${rt.name}.${String(method)}`;
    const signals = new JobSignals();
    let linkedByEngine = false;
    // A method declaring only `data` cannot see its signal or JobInfo: it is called with
    // `data` alone and the engine may skip the AbortSignal per attempt (as BullMQ does for a
    // processor without a signal parameter). Length 0 may be `(...args)`: it gets all three.
    const dataOnly = (rt.instance[method] as Method).length === 1;
    const failed = (err: unknown): Promise<never> => {
      // A try cut off by the module's stop is handed back, not a failure of module code.
      if (!endedByAbort(err, rt.signal)) rt.report(err, name, 'job');
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the job's own error, passed through as thrown
      return Promise.reject(err);
    };
    const consumer = c.consume(
      plan.queue,
      { ...plan, signal: rt.signal, ...(dataOnly ? { handlerReadsSignal: false } : {}) },
      (job, jobSignal) => {
        const linked = linkedByEngine || dataOnly ? undefined : signals.link(jobSignal, rt.signal);
        let result: unknown;
        try {
          let data: unknown = job.value;
          if (data === undefined) {
            try {
              data = JSON.parse(job.data);
            } catch (err) {
              throw new KeelError(
                'E_JOB_DATA',
                `Job ${job.id} of "${plan.queue}" holds data that is not JSON.`,
                { module: rt.name, cause: err },
              );
            }
          }
          const fn = rt.instance[method] as Method;
          if (dataOnly) {
            result = fn.call(rt.instance, data);
          } else {
            const info: JobInfo = {
              id: job.id,
              queue: job.queue,
              attempt: job.attempt,
              enqueuedAt: job.enqueuedAt,
            };
            result = fn.call(rt.instance, data, linked?.signal ?? jobSignal, info);
          }
        } catch (err) {
          linked?.unlink();
          return failed(err);
        }
        // As for hooks: only a method that returned a promise is recorded as work of its module
        // (a synchronous one ended before a stop could wait for it) and costs a turn.
        if (!isThenable(result)) {
          linked?.unlink();
          return SETTLED;
        }
        const end = rt.begin('job', name);
        return Promise.resolve(result).then(
          () => {
            linked?.unlink();
            end();
          },
          (err: unknown) => {
            linked?.unlink();
            end();
            return failed(err);
          },
        );
      },
    );
    linkedByEngine = consumer.abortsWithSignal === true;
    const graceMs = Math.floor(this.stopTimeoutMs * JOB_GRACE_SHARE);
    return { close: () => consumer.close(graceMs).finally(() => signals.close()) };
  }

  private scheduleOnce(
    c: FleetConnection,
    rt: ModuleRuntime,
    task: Declared['tasks'][number],
  ): Open {
    const { method, name, plan } = task;
    let waiting: Array<() => void> = [];
    const wake = (): void => {
      const w = waiting;
      waiting = [];
      for (const resolve of w) resolve();
    };
    const handle = this.scheduler.newTask(
      rt,
      name,
      async (signal, task) => {
        try {
          await (rt.instance[method] as Method).call(rt.instance, signal, task);
        } finally {
          wake();
        }
      },
      { whenDue: plan.prioritized ? 'prioritized' : 'normal' },
    );
    if (plan.maxDelayMs !== undefined) handle.maxDelay(plan.maxDelayMs);
    const scheduled = c.scheduleTask(
      {
        key: `${rt.name}.${name}`,
        ...(plan.everyMs === undefined ? {} : { everyMs: plan.everyMs }),
        ...(task.cron === undefined ? {} : { cron: task.cron }),
        ...(task.timezone === undefined ? {} : { timezone: task.timezone }),
      },
      // The fleet picked this replica for one due time; the local queue decides when.
      () =>
        new Promise<void>((resolve) => {
          if (handle.running || handle.queued || rt.status !== 'online') return resolve();
          waiting.push(resolve);
          if (plan.prioritized) handle.queuePrioritized();
          else handle.queue();
        }),
    );
    return {
      close: async () => {
        // A run going on keeps the fleet's due time (and its run lease) until it ends: its
        // finally wakes the fleet. One only queued never starts on a stopping module.
        if (!handle.running) wake();
        await scheduled.close();
      },
    };
  }

  private subscribe(c: FleetConnection, hook: FleetHook): Open {
    const rt = hook.owner;
    const failed = (err: unknown): Promise<never> => {
      if (!endedByAbort(err, rt.signal)) rt.report(err, hook.name, 'hook');
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the hook's own error, passed through as thrown
      return Promise.reject(err);
    };
    const handle = c.subscribe(
      {
        topic: hook.topic,
        hookId: hook.hookId,
        mode: hook.mode,
        maxDeliveries: hook.maxDeliveries,
        minIdleMs: hook.minIdleMs,
      },
      (delivery) => {
        if (rt.status !== 'online') {
          return Promise.reject(
            kernelStateError(`Module "${rt.name}" is not online to take ${hook.topic}.`),
          );
        }
        let result: unknown;
        try {
          const data: unknown = JSON.parse(delivery.payload);
          result = (rt.instance[hook.method] as Method).call(rt.instance, data, rt.signal);
        } catch (err) {
          return failed(err);
        }
        // As for local hooks: only a hook that returned a promise is recorded as work of its
        // module (a synchronous one ended before a stop could wait for it) and costs a turn.
        if (!isThenable(result)) return SETTLED;
        const end = rt.begin('hook', hook.name);
        return Promise.resolve(result).then(
          () => end(),
          (err: unknown) => {
            end();
            return failed(err);
          },
        );
      },
    );
    return { close: () => handle.close() };
  }
}

/** A job handler's signal, and how to let go of it when the try ends. */
interface LinkedSignal {
  readonly signal: AbortSignal;
  unlink(): void;
}

const ALREADY_ABORTED = (signal: AbortSignal): LinkedSignal => ({ signal, unlink: () => {} });

/**
 * The signals of one consumer's job handlers: each aborts with its job's own signal (timeout,
 * hand-back) or with the module's (stop), whichever comes first. One listener on the
 * module's signal serves every running job. `AbortSignal.any([job, module])` per job cost
 * ~20 µs and, on Node 20, kept every job's signal reachable from the long-lived module
 * signal until the module stopped (measured: ~2 KB per job, and a 2 s abort after 500,000).
 */
export class JobSignals {
  private readonly running = new Set<AbortController>();
  private watched: AbortSignal | undefined;
  private readonly onModuleAbort = (): void => {
    const reason: unknown = this.watched?.reason;
    const running = [...this.running];
    this.running.clear();
    for (const controller of running) controller.abort(reason);
  };

  link(jobSignal: AbortSignal, moduleSignal: AbortSignal): LinkedSignal {
    // Both aborted: the job's reason wins, as AbortSignal.any([job, module]) would.
    if (jobSignal.aborted) return ALREADY_ABORTED(AbortSignal.abort(jobSignal.reason));
    if (moduleSignal.aborted) return ALREADY_ABORTED(AbortSignal.abort(moduleSignal.reason));
    if (this.watched !== moduleSignal) {
      // A module's signal is replaced only when it starts again.
      this.watched?.removeEventListener('abort', this.onModuleAbort);
      this.watched = moduleSignal;
      moduleSignal.addEventListener('abort', this.onModuleAbort, { once: true });
    }
    const controller = new AbortController();
    this.running.add(controller);
    const onJobAbort = (): void => {
      this.running.delete(controller);
      controller.abort(jobSignal.reason);
    };
    jobSignal.addEventListener('abort', onJobAbort, { once: true });
    return {
      signal: controller.signal,
      unlink: () => {
        this.running.delete(controller);
        jobSignal.removeEventListener('abort', onJobAbort);
      },
    };
  }

  /** Stops listening to the module's signal (the consumer closed). */
  close(): void {
    this.watched?.removeEventListener('abort', this.onModuleAbort);
    this.watched = undefined;
    this.running.clear();
  }
}

/** JSON text of a value, or undefined when it does not survive JSON (never throws). */
export function jsonOf(value: unknown): string | undefined {
  try {
    const text = JSON.stringify(value);
    return typeof text === 'string' ? text : undefined;
  } catch {
    return undefined;
  }
}

function kindOf(value: unknown): string {
  if (typeof value === 'bigint') return 'a bigint';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (value === undefined) return 'undefined';
  return 'a value with a cycle or a throwing toJSON';
}

function enqueueOptions(module: string, queue: string, options: EnqueueOptions) {
  // Built only for an error: this runs once per enqueue.
  const where = (): string => `ctx.fleet.enqueue("${queue}") of module "${module}"`;
  if (options === null || typeof options !== 'object') {
    throw callOptionError(where(), 'options', 'options must be an object.', module);
  }
  const { jobId, priority, delay } = options;
  if (jobId === undefined && priority === undefined && delay === undefined) return NO_OPTIONS;
  if (jobId !== undefined && (typeof jobId !== 'string' || jobId === '' || /^\d+$/.test(jobId))) {
    throw callOptionError(
      where(),
      'jobId',
      `jobId must be a non-empty string that is not only digits (BullMQ reserves those), got ${String(jobId)}.`,
      module,
    );
  }
  if (
    priority !== undefined &&
    (typeof priority !== 'number' ||
      !Number.isInteger(priority) ||
      priority < 0 ||
      priority > 2_097_152)
  ) {
    throw callOptionError(
      where(),
      'priority',
      `priority must be a whole number from 0 to 2097152, got ${String(priority)}.`,
      module,
    );
  }
  return {
    ...(jobId === undefined ? {} : { jobId }),
    ...(priority === undefined ? {} : { priority }),
    ...(delay === undefined ? {} : { delayMs: toMs(delay, `${where()} delay`) }),
  };
}
