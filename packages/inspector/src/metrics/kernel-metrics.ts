import { ModuleStatus, type Kernel, type KernelSnapshot, type KernelStatus } from '@keel/core';
import { Counter, Gauge, Registry } from 'prom-client';

const MODULE_STATUSES = Object.values(ModuleStatus);
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed'] as const;
const FAILURE_STATUSES = ['none', 'hint', 'warning', 'error'] as const;
const KERNEL_STATUSES: readonly KernelStatus[] = [
  'created',
  'starting',
  'online',
  'stopping',
  'stopped',
];

/**
 * A kernel's Prometheus metrics in a registry of its own: never prom-client's global one, so
 * two kernels in one process never share (or clash on) a series. Gauges and snapshot
 * counters are refreshed from `kernel.inspect()` at scrape time; errors and events are
 * counted as they happen, from `kernel.on()`.
 */
export class KernelMetrics {
  /** This kernel's registry; add your own metrics to it to serve them on `/metrics`. */
  readonly registry = new Registry();

  private readonly kernelStatus = this.gauge('keel_kernel_status', 'Kernel phase (1 = current).', [
    'status',
  ]);
  private readonly moduleStatus = this.gauge(
    'keel_module_status',
    'Module lifecycle status (1 = current).',
    ['module', 'status'],
  );
  private readonly moduleEnabled = this.gauge(
    'keel_module_enabled',
    'Whether the module should run (enabled, needed by an enabled module, or no management).',
    ['module'],
  );
  private readonly failureStatus = this.gauge(
    'keel_module_failure_status',
    'Module failure state (1 = current).',
    ['module', 'status'],
  );
  private readonly workersRunning = this.gauge(
    'keel_workers_running',
    'Workers running now, per module.',
    ['module'],
  );
  private readonly workerRestarts = this.gauge(
    'keel_worker_restarts',
    'Restarts of each running worker since it was first started.',
    ['module', 'worker'],
  );
  private readonly taskRuns = this.counter('keel_task_runs_total', 'Completed task runs.', [
    'module',
    'task',
  ]);
  private readonly taskFailures = this.counter('keel_task_failures_total', 'Failed task runs.', [
    'module',
    'task',
  ]);
  private readonly taskDuration = this.gauge(
    'keel_task_last_duration_seconds',
    'Duration of the last run of each task.',
    ['module', 'task'],
  );
  private readonly taskRunning = this.gauge('keel_task_running', 'Whether the task runs now.', [
    'module',
    'task',
  ]);
  private readonly tasksQueued = this.gauge('keel_tasks_queued', 'Tasks waiting in the queue.', [
    'queue',
  ]);
  private readonly microtaskLimit = this.gauge(
    'keel_microtask_slots_limit',
    'Soft limit of microtasks running at once.',
  );
  private readonly microtaskInUse = this.gauge(
    'keel_microtask_slots_in_use',
    'Microtask slots in use.',
  );
  private readonly microtaskWaiting = this.gauge(
    'keel_microtasks_waiting',
    'Microtasks waiting for a slot, by priority.',
    ['priority'],
  );
  private readonly microtaskOverdue = this.counter(
    'keel_microtasks_overdue_total',
    'Microtasks that ran without a slot because their max delay passed.',
  );
  private readonly moduleMicrotasks = this.gauge(
    'keel_module_microtasks_running',
    'Microtasks running now, per module.',
    ['module'],
  );
  private readonly errors = this.counter(
    'keel_module_errors_total',
    'Errors reported by module code (kernel.on("error")).',
    ['module', 'task_type', 'severity'],
  );
  private readonly events = this.counter('keel_events_total', 'Events triggered by modules.', [
    'module',
    'event',
  ]);

  private readonly fleetReplicas = this.gauge(
    'keel_fleet_replicas',
    'Live replicas of this service in the fleet (1 for a fleet of one).',
  );
  private readonly fleetConnected = this.gauge(
    'keel_fleet_connected',
    'Whether this replica is connected to its fleet engine.',
  );
  private readonly fleetLeader = this.gauge(
    'keel_fleet_leader',
    'Singleton modules: 1 if this replica leads it, 0 if it stands by.',
    ['module'],
  );
  private readonly jobQueue = this.gauge(
    'keel_job_queue',
    'Jobs of each fleet queue, by state (fleet-wide, as the engine counts them).',
    ['queue', 'state'],
  );
  private readonly fleetEventDelivered = this.counter(
    'keel_fleet_event_delivered_total',
    'Fleet events delivered to each fleet hook.',
    ['hook'],
  );
  private readonly fleetEventPending = this.gauge(
    'keel_fleet_event_pending',
    'Fleet events delivered to each hook and not yet acknowledged.',
    ['hook'],
  );
  private readonly fleetEventDeadLettered = this.counter(
    'keel_fleet_event_dead_lettered_total',
    'Fleet events of each hook moved to its dead-letter list.',
    ['hook'],
  );
  private readonly fleetTaskNextRun = this.gauge(
    'keel_fleet_task_next_run_timestamp_seconds',
    "Next due time of each fleet: 'once' task (Unix seconds).",
    ['task'],
  );

  /** Counts errors and events from now on; returns the unsubscribe. */
  observe(kernel: Kernel): () => void {
    const offError = kernel.on('error', (err) =>
      this.errors.inc({ module: err.module, task_type: err.taskType, severity: err.severity }),
    );
    const offEvent = kernel.on('event', (module, event) => this.events.inc({ module, event }));
    return () => {
      offError();
      offEvent();
    };
  }

  /** The Prometheus text exposition, refreshed from `snapshot`. */
  async render(snapshot: KernelSnapshot): Promise<string> {
    this.refresh(snapshot);
    return this.registry.metrics();
  }

  /** The names of the metrics in the registry (plugin sections may not reuse them). */
  names(): Set<string> {
    return new Set(this.registry.getMetricsAsArray().map((m) => m.name));
  }

  /** The `content-type` of {@link render}'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  private refresh(s: KernelSnapshot): void {
    for (const g of [
      this.kernelStatus,
      this.moduleStatus,
      this.moduleEnabled,
      this.failureStatus,
      this.workersRunning,
      this.workerRestarts,
      this.taskDuration,
      this.taskRunning,
      this.moduleMicrotasks,
      this.fleetLeader,
      this.jobQueue,
      this.fleetEventPending,
      this.fleetTaskNextRun,
    ]) {
      g.reset(); // modules, workers and tasks come and go: drop stale series
    }
    this.taskRuns.reset();
    this.taskFailures.reset();
    for (const status of KERNEL_STATUSES) this.kernelStatus.set({ status }, +(s.status === status));
    for (const m of Object.values(s.modules)) {
      const module = m.name;
      for (const status of MODULE_STATUSES) {
        this.moduleStatus.set({ module, status }, +(m.status === status));
      }
      for (const status of FAILURE_STATUSES) {
        this.failureStatus.set({ module, status }, +(m.failure.status === status));
      }
      this.moduleEnabled.set({ module }, +(!s.managed || m.enabled || m.enabledAsDependency));
      this.workersRunning.set({ module }, m.workers.length);
      this.moduleMicrotasks.set({ module }, m.microtasks);
      for (const w of m.workers) this.workerRestarts.set({ module, worker: w.name }, w.restarts);
      for (const t of m.tasks) {
        const labels = { module, task: t.name };
        this.taskRuns.inc(labels, t.runs);
        this.taskFailures.inc(labels, t.failures);
        this.taskRunning.set(labels, +t.running);
        if (t.lastDurationMs !== null) this.taskDuration.set(labels, t.lastDurationMs / 1000);
      }
    }
    const { microtasks, tasks } = s;
    this.microtaskLimit.set(microtasks.limit);
    this.microtaskInUse.set(microtasks.inUse);
    this.microtaskWaiting.set({ priority: 'medium' }, microtasks.waiting.medium);
    this.microtaskWaiting.set({ priority: 'low' }, microtasks.waiting.low);
    this.microtaskOverdue.reset();
    this.microtaskOverdue.inc(microtasks.overdue);
    const { queued } = tasks;
    this.tasksQueued.set({ queue: 'prioritized' }, queued.prioritized);
    this.tasksQueued.set({ queue: 'normal' }, queued.normal);
    this.tasksQueued.set({ queue: 'overdue' }, queued.overdue);
    this.tasksQueued.set({ queue: 'parked' }, queued.parked);
    this.refreshFleet(s);
  }

  private refreshFleet(s: KernelSnapshot): void {
    const { fleet } = s;
    this.fleetReplicas.set(fleet.replicas.length);
    this.fleetConnected.set(+fleet.connected);
    // The snapshot marks no module as a singleton: one is led here, led elsewhere, or standing by.
    const mine = new Set(fleet.replicas.find((r) => r.replicaId === fleet.replicaId)?.leaderOf);
    const singletons = new Set(mine);
    for (const r of fleet.replicas) for (const name of r.leaderOf) singletons.add(name);
    for (const m of Object.values(s.modules)) if (m.standby) singletons.add(m.name);
    for (const module of singletons) {
      if (s.modules[module] !== undefined) this.fleetLeader.set({ module }, +mine.has(module));
    }
    for (const [queue, q] of Object.entries(fleet.queues)) {
      for (const state of QUEUE_STATES) this.jobQueue.set({ queue, state }, q[state]);
    }
    this.fleetEventDelivered.reset();
    this.fleetEventDeadLettered.reset();
    for (const [hook, e] of Object.entries(fleet.events)) {
      this.fleetEventDelivered.inc({ hook }, e.delivered);
      this.fleetEventDeadLettered.inc({ hook }, e.deadLettered);
      this.fleetEventPending.set({ hook }, e.pending);
    }
    for (const [task, t] of Object.entries(fleet.tasks)) {
      if (t.nextRunAt !== undefined) this.fleetTaskNextRun.set({ task }, t.nextRunAt / 1000);
    }
  }

  private gauge<L extends string>(name: string, help: string, labelNames: L[] = []): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }
}
