import { KeelError } from '../../errors/keel-error.js';
import { CronSchedule } from '../../specs/cron-schedule.js';
import type { Clock } from '../../time/clock.js';
import type {
  FleetConnectionSnapshot,
  FleetTaskHandle,
  FleetTaskRun,
  FleetTaskSpec,
} from '../../specs/fleet-provider.js';
import type { ReplicaLink } from './link.js';
import { Alarm } from './timers.js';

interface Scheduler {
  readonly link: ReplicaLink;
  readonly run: FleetTaskRun;
  closed: boolean;
}

type TaskStats = FleetConnectionSnapshot['tasks'][string];

/** When a schedule is next due, strictly after `after`. */
type NextDue = (after: number) => number | undefined;

/**
 * One `fleet: 'once'` task key, as a BullMQ job scheduler plus a run lease: every due time
 * goes to one live replica that schedules the key, round-robin; a due time that finds the
 * previous run still going anywhere is skipped.
 */
class FleetTask {
  readonly schedulers: Scheduler[] = [];
  nextRunAt: number | undefined;
  lastRunBy: string | undefined;
  private running: { link: ReplicaLink; lostAt: number | undefined; ended: boolean } | undefined;
  private readonly alarm: Alarm;
  private next = 0;

  constructor(
    readonly key: string,
    private readonly nextDue: NextDue,
    private readonly clock: Clock,
    private readonly stalledMs: number,
  ) {
    this.alarm = new Alarm(
      clock,
      () => this.due(),
      (err) => this.liveScheduler(false)?.link.report(err, `fleet task ${key}`),
    );
  }

  /** Arms the next due time while some live replica schedules the key. */
  rearm(): void {
    if (this.liveScheduler(false) === undefined) {
      this.alarm.clear();
      return;
    }
    this.nextRunAt ??= this.nextDue(this.clock.now());
    this.alarm.arm(this.nextRunAt);
  }

  /** A replica lost its link: a run it has going ends for the fleet `stalledMs` later. */
  lost(link: ReplicaLink): void {
    if (this.running?.link === link) this.running.lostAt ??= this.clock.now();
    this.rearm();
  }

  healed(link: ReplicaLink): void {
    if (this.running?.link === link) {
      // An end it could not report while cut off is reported now.
      if (this.running.ended) this.running = undefined;
      else this.running.lostAt = undefined;
    }
    this.rearm();
  }

  stats(): TaskStats {
    return this.lastRunBy === undefined
      ? { nextRunAt: this.nextRunAt }
      : { nextRunAt: this.nextRunAt, lastRunBy: this.lastRunBy };
  }

  close(): void {
    this.alarm.clear();
  }

  private due(): void {
    const dueAt = this.nextRunAt ?? this.clock.now();
    this.nextRunAt = this.nextDue(Math.max(dueAt, this.clock.now()));
    const now = this.clock.now();
    if (this.running?.lostAt !== undefined && now >= this.running.lostAt + this.stalledMs)
      this.running = undefined;
    const scheduler = this.running === undefined ? this.liveScheduler(true) : undefined;
    if (scheduler !== undefined) {
      const running = {
        link: scheduler.link,
        lostAt: undefined as number | undefined,
        ended: false,
      };
      this.running = running;
      this.lastRunBy = scheduler.link.replicaId;
      const end = (): void => {
        running.ended = true;
        // A dead or cut-off replica cannot say it finished: the run lease runs out instead.
        if (this.running === running && running.lostAt === undefined) this.running = undefined;
      };
      Promise.resolve()
        .then(() => scheduler.run(dueAt))
        .then(end, end)
        .catch((err: unknown) => scheduler.link.report(err, `fleet task ${this.key}`));
    }
    this.rearm();
  }

  private liveScheduler(advance: boolean): Scheduler | undefined {
    for (let i = 0; i < this.schedulers.length; i++) {
      const s = this.schedulers[(this.next + i) % this.schedulers.length]!;
      if (!s.closed && s.link.live) {
        if (advance) this.next = (this.next + i + 1) % this.schedulers.length;
        return s;
      }
    }
    return undefined;
  }
}

/** Fleet tasks of one in-memory fleet, by key. */
export class TaskHub {
  private readonly tasks = new Map<string, FleetTask>();

  constructor(
    private readonly clock: Clock,
    private readonly stalledMs: number,
  ) {}

  schedule(link: ReplicaLink, spec: FleetTaskSpec, run: FleetTaskRun): FleetTaskHandle {
    let task = this.tasks.get(spec.key);
    if (task === undefined) {
      task = new FleetTask(spec.key, nextDueOf(spec), this.clock, this.stalledMs);
      this.tasks.set(spec.key, task);
    }
    const scheduler: Scheduler = { link, run, closed: false };
    task.schedulers.push(scheduler);
    task.rearm();
    const owner = task;
    return {
      get nextRunAt() {
        return owner.nextRunAt;
      },
      close: () => {
        scheduler.closed = true;
        const i = owner.schedulers.indexOf(scheduler);
        if (i >= 0) owner.schedulers.splice(i, 1);
        owner.rearm();
        return Promise.resolve();
      },
    };
  }

  lost(link: ReplicaLink): void {
    for (const t of this.tasks.values()) t.lost(link);
  }

  healed(link: ReplicaLink): void {
    for (const t of this.tasks.values()) t.healed(link);
  }

  /** A replica is gone: it schedules nothing any more. */
  drop(link: ReplicaLink): void {
    for (const t of this.tasks.values()) {
      for (const s of t.schedulers) if (s.link === link) s.closed = true;
      t.schedulers.splice(0, t.schedulers.length, ...t.schedulers.filter((s) => !s.closed));
      t.lost(link);
    }
  }

  stats(): Record<string, TaskStats> {
    const out: Record<string, TaskStats> = {};
    for (const [key, t] of this.tasks) out[key] = t.stats();
    return out;
  }

  close(): void {
    for (const t of this.tasks.values()) t.close();
  }
}

function nextDueOf(spec: FleetTaskSpec): NextDue {
  const { everyMs, cron } = spec;
  if ((everyMs === undefined) === (cron === undefined)) {
    throw new KeelError(
      'E_TASK_OPTIONS',
      `Fleet task "${spec.key}" needs exactly one of everyMs and cron.`,
      { details: { key: spec.key } },
    );
  }
  if (everyMs !== undefined) {
    if (!(Number.isFinite(everyMs) && everyMs >= 1)) {
      throw new KeelError(
        'E_TASK_OPTIONS',
        `Fleet task "${spec.key}": everyMs must be at least 1 ms, got ${String(everyMs)}.`,
        { details: { key: spec.key } },
      );
    }
    // Slot-aligned to multiples of everyMs since the epoch, as BullMQ's `every`.
    return (after) => (Math.floor(after / everyMs) + 1) * everyMs;
  }
  const schedule = CronSchedule.parse(cron!, spec.timezone, `Fleet task "${spec.key}"`);
  return (after) => schedule.next(after);
}
