import type { Logger } from 'pino';
import { KeelError } from '../errors/keel-error.js';
import { describe, type ModuleError, type TaskType } from '../errors/module-error.js';
import { FailureTracker, type FailureState } from '../failure/failure-state.js';
import type { Lifecycle } from '../lifecycle/lifecycle.js';
import { isAbandonment } from '../lifecycle/lifecycle.js';
import type { ModuleRuntime } from '../lifecycle/module-runtime.js';
import type { Clock } from '../time/clock.js';
import type { Timer, TimerHeap } from '../time/timer-heap.js';
import { withDeadline } from '../time/deadline.js';
import type {
  FleetConnection,
  FleetConnectionSnapshot,
  FleetProvider,
  FleetReplica,
} from '../specs/fleet-provider.js';
import { planLeaseGroups, type LeaseGroup } from './singletons.js';

/** `inspect().fleet`. */
export interface FleetSnapshot extends FleetConnectionSnapshot {
  readonly service: string;
  readonly replicaId: string;
  /** The provider's kind: `'local'`, `'redis'`, `'bullmq'`, `'fake'`, … */
  readonly provider: string;
  readonly connected: boolean;
  /** The built-in `fleet` failure status: a warning while the engine is unreachable. */
  readonly failure: FailureState;
}

/** What the kernel's fleet layer needs from its kernel. */
export interface KernelFleetHost {
  readonly provider: FleetProvider;
  readonly clock: Clock;
  readonly timers: TimerHeap;
  readonly logger: Logger;
  readonly runtimes: readonly ModuleRuntime[];
  readonly lifecycle: Lifecycle;
  readonly startTimeoutMs: number;
  report(module: string, err: unknown, taskName: string, taskType: TaskType): ModuleError;
  /** True while the kernel is online, not shutting down, and management wants `rt`. */
  wants(rt: ModuleRuntime): boolean;
  /** True once shutdown began. */
  halted(): boolean;
  onFailure(state: FailureState): void;
}

const DEFAULT_TTL_MS = 10_000;
const DISCONNECTED = 'fleet:disconnected';

/**
 * The kernel's side of the fleet: it connects the provider, keeps this replica's heartbeat,
 * and owns the policy of singleton leases (renew every ttl/3, step down before a lease it
 * could not renew can expire on the engine, release after a graceful stop). The connection
 * only does what the engine can do atomically.
 */
export class KernelFleet {
  connection: FleetConnection | undefined = undefined;
  readonly failure: FailureTracker;
  readonly ttlMs: number;
  /** Renew and heartbeat interval: ttl/3. */
  readonly renewMs: number;
  readonly groups: LeaseGroup[];
  private readonly groupOf = new Map<ModuleRuntime, LeaseGroup>();
  private loop: Timer | undefined = undefined;
  private ticking: Promise<void> | undefined = undefined;
  private closing = false;
  private since = 0;
  private replicas: readonly FleetReplica[] = [];
  private readonly stepDowns = new Map<LeaseGroup, Timer>();
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Fleet task keys and job queues this replica declares (for the engine's reconciliation). */
  declares: { tasks: readonly string[]; queues: readonly string[] } = { tasks: [], queues: [] };

  constructor(private readonly host: KernelFleetHost) {
    this.ttlMs = host.provider.leaseTtlMs ?? DEFAULT_TTL_MS;
    this.renewMs = Math.max(10, Math.floor(this.ttlMs / 3));
    this.failure = new FailureTracker((state) => host.onFailure(state));
    this.groups = planLeaseGroups(host.runtimes);
    for (const g of this.groups) for (const m of g.members) this.groupOf.set(m, g);
  }

  /** True for a singleton module. */
  isSingleton(rt: ModuleRuntime): boolean {
    return this.groupOf.has(rt);
  }

  /** A singleton that another replica leads (or nobody yet): offline here by design. */
  isStandby(rt: ModuleRuntime): boolean {
    const g = this.groupOf.get(rt);
    return g !== undefined && g.token === undefined && rt.status === 'offline';
  }

  /** `ctx.fleet.token`: the fencing token while the module is active here. */
  tokenOf(rt: ModuleRuntime): number | undefined {
    const g = this.groupOf.get(rt);
    if (g === undefined || g.token === undefined) return undefined;
    return rt.status === 'online' || rt.status === 'starting' ? g.token : undefined;
  }

  /**
   * Connects the provider, bounded by `startTimeout` and the shutdown.
   * @throws KeelError `E_FLEET_UNAVAILABLE`
   */
  async connect(shutdown: AbortSignal): Promise<void> {
    const { provider, timers, startTimeoutMs } = this.host;
    const controller = new AbortController();
    const onShutdown = (): void => controller.abort(shutdown.reason);
    shutdown.addEventListener('abort', onShutdown, { once: true });
    const timer = timers.after(startTimeoutMs, () =>
      controller.abort(new KeelError('E_TIMEOUT', 'startTimeout passed while connecting')),
    );
    const logger = this.host.logger.child({ module: 'fleet' });
    try {
      const connecting = provider.connect(
        {
          clock: this.host.clock,
          logger,
          connectionChanged: (connected, reason) => this.connectionChanged(connected, reason),
          report: (err, taskName) => this.host.report('fleet', err, taskName, 'worker'),
        },
        controller.signal,
      );
      // A provider that ignores its signal still cannot hold start() past its deadline.
      const aborted = new Promise<never>((_, reject) => {
        controller.signal.addEventListener(
          'abort',
          () =>
            reject(
              new KeelError(
                'E_FLEET_UNAVAILABLE',
                `The fleet (${provider.kind}) did not connect within startTimeout (${startTimeoutMs} ms). ` +
                  `Check that the engine is reachable, or raise Kernel.create({ startTimeout }).`,
              ),
            ),
          { once: true },
        );
      });
      let connection: FleetConnection;
      try {
        connection = await Promise.race([connecting, aborted]);
      } catch (err) {
        // A connection that arrives after we gave up is closed, never leaked.
        void connecting.then((late) => late.close()).catch(() => undefined);
        if (err instanceof KeelError && err.code === 'E_FLEET_UNAVAILABLE') throw err;
        throw new KeelError(
          'E_FLEET_UNAVAILABLE',
          `The fleet (${provider.kind}) could not connect: ${describe(err)}`,
          { cause: err },
        );
      }
      this.connection = connection;
      this.since = this.host.clock.now();
      await this.beat().catch(() => undefined);
    } finally {
      timers.cancel(timer);
      shutdown.removeEventListener('abort', onShutdown);
    }
  }

  /** Heartbeats and lease renewal every ttl/3, until {@link stopLoop}. */
  beginLoop(): void {
    if (this.connection === undefined || this.closing || this.loop !== undefined) return;
    if (this.host.provider.alone === true && this.groups.length === 0) return;
    const tick = (): void => {
      this.loop = undefined;
      if (this.closing) return;
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
        if (!this.closing) this.loop = this.host.timers.after(this.renewMs, tick);
      });
    };
    this.loop = this.host.timers.after(this.renewMs, tick);
  }

  /** No more campaigns or renewals (shutdown began); held leases are released as modules stop. */
  stopLoop(): void {
    this.closing = true;
    this.host.timers.cancel(this.loop);
    this.loop = undefined;
  }

  /**
   * The first campaign, inside `start()`: singletons whose lease this replica wins start now,
   * so `start()` resolves with them online. Returns the first start failure, if any.
   */
  async startSingletons(): Promise<{ node: ModuleRuntime; error: unknown } | undefined> {
    const results = await Promise.all(this.groups.map((g) => this.campaign(g)));
    return results.find((r) => r !== undefined);
  }

  /** A singleton reached offline: once its whole group is offline, the lease is given up. */
  onStopped(rt: ModuleRuntime): void {
    if (this.groupOf.size === 0) return; // no singletons: every module's stop asks
    const g = this.groupOf.get(rt);
    if (g === undefined || g.state !== 'active') return;
    if (g.members.some((m) => m.status !== 'offline')) return;
    this.track(this.giveUp(g));
  }

  /** Releases what is still held and disconnects; after every module stopped. */
  async close(): Promise<void> {
    this.stopLoop();
    await this.ticking?.catch(() => undefined);
    await Promise.all([...this.inFlight]);
    for (const g of this.groups) if (g.token !== undefined) await this.giveUp(g);
    for (const t of this.stepDowns.values()) this.host.timers.cancel(t);
    this.stepDowns.clear();
    const connection = this.connection;
    if (connection === undefined) return;
    try {
      await connection.close();
    } catch (err) {
      this.host.report('fleet', err, 'close fleet connection', 'stop');
    }
  }

  /** `inspect().fleet`. */
  snapshot(): FleetSnapshot {
    const c = this.connection;
    const view = safeSnapshot(c);
    const mine = this.leaderOf();
    // This replica's own entry is current; others are as of their last heartbeat.
    const replicas = (view.replicas.length > 0 ? view.replicas : this.replicas).map((r) =>
      r.replicaId === c?.replicaId ? { ...r, leaderOf: mine } : r,
    );
    return {
      service: c?.service ?? '',
      replicaId: c?.replicaId ?? '',
      provider: this.host.provider.kind,
      connected: c?.connected ?? false,
      replicas,
      queues: view.queues,
      events: view.events,
      tasks: view.tasks,
      failure: { ...this.failure.state },
    };
  }

  // ----- the loop ---------------------------------------------------------------------

  private async tick(): Promise<void> {
    await Promise.all([
      this.beat().catch(() => undefined),
      ...this.groups.map((g) =>
        g.state === 'active' ? this.renew(g) : this.campaign(g).then(() => undefined),
      ),
    ]);
  }

  private async beat(): Promise<void> {
    const c = this.connection;
    if (c === undefined) return;
    const live = await this.bounded(
      c.heartbeat(
        { since: this.since, leaderOf: this.leaderOf(), declares: this.declares },
        this.ttlMs,
      ),
    );
    // An engine that answered the heartbeat with the live list saves a round trip per tick.
    this.replicas = Array.isArray(live) ? live : await this.bounded(c.replicas());
  }

  private leaderOf(): string[] {
    const names: string[] = [];
    for (const g of this.groups)
      if (g.token !== undefined) for (const m of g.members) names.push(m.name);
    return names;
  }

  /** Tries to take a group's lease and start it; resolves with a start failure, if any. */
  private async campaign(
    g: LeaseGroup,
  ): Promise<{ node: ModuleRuntime; error: unknown } | undefined> {
    const c = this.connection;
    if (c === undefined || g.state !== 'idle' || this.closing || !this.eligible(g))
      return undefined;
    const { timers } = this.host;
    g.state = 'acquiring';
    const sentAt = timers.now();
    let token: number | undefined;
    try {
      token = await this.bounded(c.acquire(g.lease, this.ttlMs));
    } catch {
      // Unreachable engine: the fleet status shows it; the next tick tries again.
      g.state = 'idle';
      return undefined;
    }
    if (token === undefined) {
      g.state = 'idle';
      return undefined;
    }
    g.token = token;
    g.validUntil = sentAt + this.ttlMs;
    this.armStepDown(g);
    if (this.closing || !this.eligible(g)) {
      await this.giveUp(g);
      return undefined;
    }
    g.state = 'starting';
    for (const m of g.members) m.planned = true;
    const result = await this.host.lifecycle.start(g.members, () => this.host.halted());
    const failed = result.failed.find((f) => !isAbandonment(f.error));
    if (failed !== undefined || this.host.halted() || g.stepDownPending) {
      for (const m of g.members) m.unplan();
      await this.stepDown(g, failed === undefined ? 'lease lost while starting' : 'start failed');
      return failed === undefined ? undefined : { node: failed.node, error: failed.error };
    }
    g.state = 'active';
    this.announce();
    return undefined;
  }

  private async renew(g: LeaseGroup): Promise<void> {
    const c = this.connection;
    const token = g.token;
    if (c === undefined || token === undefined) return;
    const sentAt = this.host.timers.now();
    let held: boolean;
    try {
      held = await this.bounded(c.renew(g.lease, token, this.ttlMs));
    } catch {
      return; // the step-down timer decides if this goes on too long
    }
    if (g.token !== token) return;
    if (!held) {
      this.host.logger.warn(
        { module: 'fleet', lease: g.lease },
        'lost the lease of a singleton to another replica: stepping down',
      );
      await this.stepDown(g, 'lease lost');
      return;
    }
    g.validUntil = Math.max(g.validUntil, sentAt + this.ttlMs);
    this.armStepDown(g);
  }

  /**
   * Steps down when a sixth of the TTL is left, counted from before the last successful renew
   * request: two renewals may fail first, and the engine cannot have expired the lease yet.
   */
  private armStepDown(g: LeaseGroup): void {
    const { timers } = this.host;
    timers.cancel(this.stepDowns.get(g));
    const at = g.validUntil - Math.floor(this.ttlMs / 6);
    this.stepDowns.set(
      g,
      timers.at(at, () => {
        this.stepDowns.delete(g);
        if (g.token === undefined) return;
        this.host.logger.warn(
          { module: 'fleet', lease: g.lease },
          'could not renew the lease of a singleton in time: stepping down',
        );
        this.track(this.stepDown(g, 'lease not renewed'));
      }),
    );
  }

  private async stepDown(g: LeaseGroup, why: string): Promise<void> {
    if (g.state === 'starting' && why !== 'start failed' && why !== 'lease lost while starting') {
      g.stepDownPending = true; // the campaign steps down once the start settled
      return;
    }
    if (g.state === 'stopping' || g.state === 'idle') return;
    const token = g.token;
    g.token = undefined; // ctx.fleet.token is undefined from now on
    g.state = 'stopping';
    g.stepDownPending = false;
    const online = g.members.filter((m) => m.status === 'online' || m.status === 'starting');
    if (online.length > 0) await this.host.lifecycle.stop(online);
    await this.release(g, token);
    g.state = 'idle';
    this.announce();
    this.host.logger.info({ module: 'fleet', lease: g.lease, why }, 'singleton stepped down');
  }

  private async giveUp(g: LeaseGroup): Promise<void> {
    const token = g.token;
    g.token = undefined;
    g.state = 'idle';
    await this.release(g, token);
  }

  private async release(g: LeaseGroup, token: number | undefined): Promise<void> {
    this.host.timers.cancel(this.stepDowns.get(g));
    this.stepDowns.delete(g);
    const c = this.connection;
    if (c === undefined || token === undefined) return;
    try {
      await this.bounded(c.release(g.lease, token));
    } catch {
      // Unreachable: the lease simply expires on the engine.
    }
  }

  private eligible(g: LeaseGroup): boolean {
    if (this.host.halted()) return false;
    if (!g.members.every((m) => m.status === 'offline' && this.host.wants(m))) return false;
    return g.needs.every((d) => d.status === 'online');
  }

  private connectionChanged(connected: boolean, reason?: string): void {
    if (connected) {
      this.failure.resolve(DISCONNECTED);
      return;
    }
    this.failure.set(
      'warning',
      DISCONNECTED,
      'Fleet engine unreachable',
      `The ${this.host.provider.kind} fleet engine is unreachable${reason === undefined ? '' : ` (${reason})`}; ` +
        'singletons step down if their lease cannot be renewed; work resumes on reconnect.',
    );
  }

  /** Heartbeats now, so other replicas see a change of leadership without waiting a tick. */
  private announce(): void {
    if (this.closing || this.host.provider.alone === true) return;
    this.track(this.beat().catch(() => undefined));
  }

  /**
   * An engine call that does not answer within one renew interval counts as failed: a hung
   * socket must not stall the lease policy (its step-down timer runs regardless).
   */
  private async bounded<T>(call: Promise<T>): Promise<T> {
    const result = await withDeadline(call, this.renewMs, this.host.timers);
    if (result.timedOut) {
      throw new KeelError(
        'E_TIMEOUT',
        `The fleet engine did not answer within ${this.renewMs} ms.`,
      );
    }
    return result.value;
  }

  private track(p: Promise<unknown>): void {
    const tracked = p.catch((err: unknown) => {
      this.host.report('fleet', err, 'singleton lease', 'worker');
    });
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }
}

function safeSnapshot(c: FleetConnection | undefined): FleetConnectionSnapshot {
  const empty: FleetConnectionSnapshot = { replicas: [], queues: {}, events: {}, tasks: {} };
  if (c === undefined) return empty;
  try {
    return c.snapshot();
  } catch {
    return empty;
  }
}
