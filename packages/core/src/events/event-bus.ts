import type { WorkOwner } from '../work/work-owner.js';
import { endedByAbort } from '../errors/abort.js';
import { KeelError } from '../errors/keel-error.js';
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
  /** Every trigger, for `kernel.on('event')`. */
  onEvent(module: string, event: string, data: unknown, exposed: boolean): void;
}

interface Source {
  readonly owner: WorkOwner;
  /** event name → exposed */
  readonly events: ReadonlyMap<string, boolean>;
  readonly hooks: Map<string, Hook[]>;
}

/**
 * Delivers module events to hooks. A hook runs as a worker of its own module once both
 * modules are online; it is skipped when either is stopping or will not start.
 */
export class EventBus {
  private readonly sources = new Map<string, Source>();

  constructor(private readonly host: EventBusHost) {}

  /** Registers a module and the events it declares. */
  addSource(owner: WorkOwner, events: ReadonlyMap<string, boolean>): void {
    this.sources.set(owner.name, { owner, events, hooks: new Map() });
  }

  /** True when `module` declares `event`. */
  declares(module: string, event: string): boolean {
    return this.sources.get(module)?.events.has(event) === true;
  }

  /** Adds a hook; the caller checked the module and event at create time. */
  addHook(module: string, event: string, hook: Hook): void {
    const source = this.sources.get(module)!;
    const list = source.hooks.get(event);
    if (list === undefined) source.hooks.set(event, [hook]);
    else list.push(hook);
  }

  /** Hooks on one event (for inspect and tests). */
  hooksOf(module: string, event: string): readonly Hook[] {
    return this.sources.get(module)?.hooks.get(event) ?? [];
  }

  /**
   * Runs every hook on `source`'s `event` concurrently. Settles when all hooks settled;
   * never rejects. Throws `E_EVENT_UNKNOWN` at once for an undeclared event.
   */
  trigger(source: WorkOwner, event: string, data: unknown, fleet?: FleetPublish): Promise<void> {
    return this.deliver(source, source.name, event, data, fleet);
  }

  /** Triggers `target`'s `targetEvent` on its behalf, from `source`. */
  inject(source: WorkOwner, target: string, targetEvent: string, data: unknown): Promise<void> {
    if (!this.sources.has(target)) {
      throw new KeelError(
        'E_MODULE_MISSING',
        `Module "${source.name}" injects an event into "${target}", which is not a module of this kernel.`,
        { module: source.name },
      );
    }
    return this.deliver(source, target, targetEvent, data);
  }

  private deliver(
    trigger: WorkOwner,
    module: string,
    event: string,
    data: unknown,
    fleet?: FleetPublish,
  ): Promise<void> {
    const source = this.sources.get(module)!;
    const exposed = source.events.get(event);
    if (exposed === undefined) {
      const known = [...source.events.keys()].map((e) => `"${e}"`).join(', ') || 'none';
      throw new KeelError(
        'E_EVENT_UNKNOWN',
        `Module "${module}" has no event "${event}" (declared: ${known}). Declare it in @Module({ events: ['${event}'] }).`,
        { module, details: { event } },
      );
    }
    // A fleet trigger is checked (exposed, JSON payload) before anything runs.
    const published = fleet?.(module, event, exposed, data);
    this.host.onEvent(module, event, data, exposed);
    const hooks = source.hooks.get(event);
    if (hooks === undefined || !trigger.onlineSoon) return published ?? RESOLVED;
    let pending: Array<Promise<void>> | undefined =
      published === undefined ? undefined : [published];
    for (const hook of hooks) {
      if (!hook.owner.onlineSoon) continue;
      if (fleet !== undefined && hook.fleet === true) continue; // it arrives through the fleet
      // Fast path: both online, so the hook runs now; only a hook that returns a promise
      // costs an await.
      const run =
        trigger.status === 'online' && hook.owner.status === 'online'
          ? this.runNow(hook, data)
          : this.runWhenOnline(trigger, hook, data);
      if (run !== undefined) (pending ??= []).push(run);
    }
    if (pending === undefined) return RESOLVED;
    return pending.length === 1 ? pending[0]! : Promise.all(pending).then(noop);
  }

  /**
   * Runs a hook; a promise only when the hook returned one. Only then is it recorded as
   * work of its module: a synchronous hook ends before anything could wait for it.
   */
  private runNow(hook: Hook, data: unknown): Promise<void> | undefined {
    const owner = hook.owner;
    let result: unknown;
    try {
      result = hook.call(data, owner.signal);
    } catch (err) {
      this.failed(hook, err);
      return undefined;
    }
    if (!isThenable(result)) return undefined;
    const end = owner.begin('hook', hook.name);
    return Promise.resolve(result).then(
      () => end(),
      (err: unknown) => {
        this.failed(hook, err);
        end();
      },
    );
  }

  private async runWhenOnline(trigger: WorkOwner, hook: Hook, data: unknown): Promise<void> {
    const owner = hook.owner;
    if (trigger.status !== 'online' && !(await trigger.whenOnline())) return;
    if (owner.status !== 'online' && !(await owner.whenOnline())) return;
    if (!trigger.onlineSoon) return;
    await this.runNow(hook, data);
  }

  private failed(hook: Hook, err: unknown): void {
    if (!endedByAbort(err, hook.owner.signal)) hook.owner.report(err, hook.name, 'hook');
  }
}

const RESOLVED = Promise.resolve();
function noop(): void {}
