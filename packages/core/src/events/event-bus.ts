import type { WorkOwner, WorkRecord } from '../work/work-owner.js';
import { endedByAbort } from '../errors/abort.js';
import { KeelError } from '../errors/keel-error.js';
import type { TaskType } from '../errors/module-error.js';
import { isThenable } from '../util/thenable.js';

/** A hook of one module on an event of another (or its own). */
export interface Hook {
  readonly owner: WorkOwner;
  /** Worker name, e.g. `hook config/changed -> api.reload`. */
  readonly name: string;
  readonly description: string;
  readonly call: (data: unknown, signal: AbortSignal) => unknown;
  /** A fleet hook (`@OnEvent(…, { fleet })`): a fleet trigger reaches it through the fleet. */
  readonly fleet?: boolean;
}

/**
 * Sends a fleet trigger: checks it at once (throwing at the call site) and returns the
 * publishing, which never rejects.
 */
export type FleetPublish = (
  module: string,
  event: string,
  exposed: boolean,
  data: unknown,
) => Promise<void>;

/** What the bus needs from its kernel. */
export interface EventBusHost {
  /** Every trigger, for `kernel.on('event')`; `source` is the module whose event it is. */
  onEvent(source: WorkOwner, event: string, data: unknown, exposed: boolean): void;
  /** The kernel clock's wall time: read once per trigger for all its hooks' work records. */
  now(): number;
}

/** A hook as the bus keeps it: with the spare runs it reuses. */
interface BusHook extends Hook {
  spareRuns: HookRun | undefined;
  spareCount: number;
}

/** One declared event of a source: what a trigger of it needs, in one lookup. */
interface Route {
  readonly exposed: boolean;
  /** Made with the event's first hook. */
  hooks: BusHook[] | undefined;
}

interface Source {
  readonly owner: WorkOwner;
  /** event name → its route */
  readonly routes: ReadonlyMap<string, Route>;
}

/**
 * Delivers module events to hooks. A hook runs as a worker of its own module once both
 * modules are online; it is skipped when either is stopping or will not start.
 */
export class EventBus {
  private readonly sources = new Map<string, Source>();
  /** The same sources by `owner.index`: a trigger finds its own without hashing a name. */
  private readonly byIndex: Source[] = [];

  constructor(private readonly host: EventBusHost) {}

  /** Registers a module and the events it declares. */
  addSource(owner: WorkOwner, events: ReadonlyMap<string, boolean>): void {
    // Most modules of a large graph declare no event: they share one empty map.
    let routes: ReadonlyMap<string, Route> = NO_ROUTES;
    if (events.size > 0) {
      const own = new Map<string, Route>();
      for (const [event, exposed] of events) own.set(event, { exposed, hooks: undefined });
      routes = own;
    }
    const source: Source = { owner, routes };
    this.sources.set(owner.name, source);
    this.byIndex[owner.index] = source;
  }

  /** True when `module` declares `event`. */
  declares(module: string, event: string): boolean {
    return this.sources.get(module)?.routes.has(event) === true;
  }

  /** Adds a hook; the caller checked the module and event at create time. */
  addHook(module: string, event: string, hook: Hook): void {
    const route = this.sources.get(module)!.routes.get(event)!;
    // Its own object, every field set: one shape for all hooks, and the spares are the bus's.
    const entry: BusHook = {
      owner: hook.owner,
      name: hook.name,
      description: hook.description,
      call: hook.call,
      fleet: hook.fleet === true,
      spareRuns: undefined,
      spareCount: 0,
    };
    if (route.hooks === undefined) route.hooks = [entry];
    else route.hooks.push(entry);
  }

  /**
   * Runs every hook on `source`'s `event` concurrently. Settles when all hooks settled;
   * never rejects. Throws `E_EVENT_UNKNOWN` at once for an undeclared event.
   */
  trigger(source: WorkOwner, event: string, data: unknown, fleet?: FleetPublish): Promise<void> {
    return this.deliver(source, this.byIndex[source.index]!, event, data, fleet);
  }

  /** Triggers `target`'s `targetEvent` on its behalf, from `source`. */
  inject(source: WorkOwner, target: string, targetEvent: string, data: unknown): Promise<void> {
    const into = this.sources.get(target);
    if (into === undefined) {
      throw new KeelError(
        'E_MODULE_MISSING',
        `Module "${source.name}" injects an event into "${target}", which is not a module of this kernel.`,
        { module: source.name },
      );
    }
    return this.deliver(source, into, targetEvent, data);
  }

  private deliver(
    trigger: WorkOwner,
    source: Source,
    event: string,
    data: unknown,
    fleet?: FleetPublish,
  ): Promise<void> {
    const route = source.routes.get(event);
    if (route === undefined) throw unknownEvent(source, event);
    const exposed = route.exposed;
    // A fleet trigger is checked (exposed, JSON payload) before anything runs.
    const published = fleet?.(source.owner.name, event, exposed, data);
    this.host.onEvent(source.owner, event, data, exposed);
    const hooks = route.hooks;
    if (hooks === undefined || !trigger.onlineSoon) return published ?? RESOLVED;
    // Made at the first hook that returns a promise: a trigger of synchronous hooks costs none.
    let delivery: Delivery | undefined;
    if (published !== undefined) (delivery = new Delivery(this.host.now())).track(published);
    const bothOnline = trigger.status === 'online';
    for (const hook of hooks) {
      if (fleet !== undefined && hook.fleet) continue; // it arrives through the fleet
      const owner = hook.owner;
      // Fast path: both online, so the hook runs now; only a hook that returns a promise
      // is tracked.
      if (bothOnline && owner.status === 'online') {
        let result: unknown;
        try {
          result = hook.call(data, owner.signal);
        } catch (err) {
          hookFailed(hook, err);
          continue;
        }
        if (result instanceof Promise)
          (delivery ??= new Delivery(this.host.now())).hook(hook, result);
        else if (isThenable(result))
          (delivery ??= new Delivery(this.host.now())).hook(hook, Promise.resolve(result));
      } else if (owner.onlineSoon) {
        (delivery ??= new Delivery(this.host.now())).track(this.runWhenOnline(trigger, hook, data));
      }
    }
    return delivery === undefined ? RESOLVED : delivery.done();
  }

  /** Runs a hook; a promise only when the hook returned one (then tracked as its module's work). */
  private runNow(hook: BusHook, data: unknown): Promise<void> | undefined {
    let result: unknown;
    try {
      result = hook.call(data, hook.owner.signal);
    } catch (err) {
      hookFailed(hook, err);
      return undefined;
    }
    if (!isThenable(result)) return undefined;
    const delivery = new Delivery(this.host.now());
    delivery.hook(hook, result instanceof Promise ? result : Promise.resolve(result));
    return delivery.done();
  }

  private async runWhenOnline(trigger: WorkOwner, hook: BusHook, data: unknown): Promise<void> {
    const owner = hook.owner;
    if (trigger.status !== 'online' && !(await trigger.whenOnline())) return;
    if (owner.status !== 'online' && !(await owner.whenOnline())) return;
    if (!trigger.onlineSoon) return;
    await this.runNow(hook, data);
  }
}

function unknownEvent(source: Source, event: string): KeelError {
  const module = source.owner.name;
  const known = [...source.routes.keys()].map((e) => `"${e}"`).join(', ') || 'none';
  return new KeelError(
    'E_EVENT_UNKNOWN',
    `Module "${module}" has no event "${event}" (declared: ${known}). Declare it in @Module({ events: ['${event}'] }).`,
    { module, details: { event } },
  );
}

/** A hook's promise rejected, or it threw: a ModuleError of its module, unless its stop aborted it. */
function hookFailed(hook: Hook, err: unknown): void {
  if (!endedByAbort(err, hook.owner.signal)) hook.owner.report(err, hook.name, 'hook');
}

const RESOLVED = Promise.resolve();
const NO_ROUTES: ReadonlyMap<string, Route> = new Map();

/**
 * The hooks of one trigger that returned a promise: one {@link HookRun} and ONE `then` per
 * such hook, and one promise for the caller, settled when the last one settled, instead of
 * a wrapping promise per hook plus `Promise.all`.
 */
class Delivery {
  private pending = 0;
  private resolve: (() => void) | undefined = undefined;

  /** `startedAt`: when its hooks began (one clock read per trigger). */
  constructor(private readonly startedAt: number) {}

  /** Waits for `running` too (it never rejects). */
  track(running: Promise<void>): void {
    this.pending++;
    running.then(
      () => this.settled(),
      () => this.settled(),
    );
  }

  /** Counts a hook's promise as work of its module until it settles; reports a rejection. */
  hook(hook: BusHook, result: Promise<unknown>): void {
    this.pending++;
    const run = HookRun.take(hook, this, this.startedAt);
    result.then(run.onFulfilled, run.onRejected);
  }

  /** Settles once every tracked promise settled; never rejects. */
  done(): Promise<void> {
    if (this.pending === 0) return RESOLVED;
    return new Promise<void>((resolve) => (this.resolve = resolve));
  }

  /** One tracked promise settled (a {@link HookRun} calls it too). */
  settled(): void {
    if (--this.pending === 0) this.resolve?.();
  }
}

/** Spare runs kept per hook: as many as commonly run at once; beyond, runs are garbage. */
const MAX_SPARE_RUNS = 16;

/**
 * One running hook promise: its module's work record (a {@link WorkRecord} by shape) and its
 * trigger's pending count in one object. Reused from run to run of its hook, with the two
 * reactions made once, so a hook run allocates only what `then` itself does.
 * Not a subclass: `super()` and the base's field defines cost a tenth of a trigger.
 */
class HookRun implements WorkRecord {
  // `declare`: only the constructor's stores, in one order (one shape).
  declare kind: TaskType;
  declare name: string;
  declare since: number;
  declare prev: WorkRecord | undefined;
  declare next: WorkRecord | undefined;
  declare ended: boolean;
  declare linked: boolean;
  declare private readonly hook: BusHook;
  declare private delivery: Delivery | undefined;
  /** The next spare of the same hook while this one is spare. */
  declare private nextSpare: HookRun | undefined;
  declare readonly onFulfilled: () => void;
  declare readonly onRejected: (err: unknown) => void;

  private constructor(hook: BusHook) {
    this.kind = 'hook';
    this.name = hook.name;
    this.since = 0;
    this.prev = undefined;
    this.next = undefined;
    this.ended = true; // not counted yet: enter() counts it
    this.linked = false;
    this.hook = hook;
    this.delivery = undefined;
    this.nextSpare = undefined;
    this.onFulfilled = () => this.fulfilled();
    this.onRejected = (err) => this.rejected(err);
  }

  /** A spare run of `hook` (or a new one), counted as its module's work from `since`. */
  static take(hook: BusHook, delivery: Delivery, since: number): HookRun {
    let run = hook.spareRuns;
    if (run === undefined) {
      run = new HookRun(hook);
      hook.owner.enter(run, 'hook', hook.name, since);
    } else {
      hook.spareRuns = run.nextSpare;
      hook.spareCount--;
      run.nextSpare = undefined;
      hook.owner.resume(run, since);
    }
    run.delivery = delivery;
    return run;
  }

  private fulfilled(): void {
    const hook = this.hook;
    const delivery = this.delivery!;
    this.delivery = undefined;
    const count = hook.spareCount;
    if (count < MAX_SPARE_RUNS) {
      // Kept in its module's list while spare: the next run of the hook re-counts it there.
      hook.owner.park(this);
      this.nextSpare = hook.spareRuns;
      hook.spareRuns = this;
      hook.spareCount = count + 1;
    } else hook.owner.forget(this);
    delivery.settled();
  }

  private rejected(err: unknown): void {
    hookFailed(this.hook, err);
    this.fulfilled();
  }
}
