import { KeelError } from '../../errors/keel-error.js';
import type { Clock } from '../../time/clock.js';
import type {
  FleetConnectionSnapshot,
  FleetConsumer,
  FleetConsumerSpec,
  FleetEnqueueOptions,
  FleetJobHandler,
} from '../../specs/fleet-provider.js';
import type { ReplicaLink } from './link.js';
import { Alarm, errorText } from './timers.js';

/** Finished jobs kept per queue for `jobId` idempotency (BullMQ `removeOnComplete: { count }`). */
const KEEP_FINISHED = 1000;
/** Failures listed in the snapshot, newest last. */
const LAST_FAILURES = 10;

type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';

interface JobRecord {
  readonly id: string;
  readonly data: string;
  readonly priority: number;
  readonly enqueuedAt: number;
  /** Order among equal priorities: a new value each time the job (re)enters waiting. */
  seq: number;
  state: JobState;
  runAt: number;
  /** Failed attempts so far; the next attempt is `attemptsMade + 1`. */
  attemptsMade: number;
  /** Increases with every start, so a late result of an earlier run is ignored. */
  runs: number;
  owner: Consumer | undefined;
  /** When the owner lost its lock (killed or cut off): the job stalls `stalledMs` later. */
  lostAt: number | undefined;
}

interface Run {
  readonly job: JobRecord;
  readonly runs: number;
  readonly controller: AbortController;
  timeout: unknown;
  done: Promise<void>;
}

interface Consumer {
  readonly link: ReplicaLink;
  readonly spec: FleetConsumerSpec;
  readonly handler: FleetJobHandler;
  readonly running: Map<string, Run>;
  closing: boolean;
}

export type QueueStats = FleetConnectionSnapshot['queues'][string];

/** One job queue, as a BullMQ queue: waiting by priority, delayed, active with locks. */
export class Queue {
  readonly consumers: Consumer[] = [];
  private readonly jobs = new Map<string, JobRecord>();
  private readonly waiting: JobRecord[] = [];
  /** Delayed jobs, and active ones whose owner lost its lock: what `pump` checks for time. */
  private readonly timed = new Set<JobRecord>();
  private readonly finished: string[] = [];
  private readonly lastFailures: { id: string; error: string; at: number }[] = [];
  private readonly alarm: Alarm;
  private nextId = 0;
  private seq = 0;
  private next = 0;
  private completed = 0;
  private failed = 0;

  constructor(
    readonly name: string,
    private readonly clock: Clock,
    private readonly stalledMs: number,
  ) {
    this.alarm = new Alarm(
      clock,
      () => this.pump(),
      (err) => this.worker()?.link.report(err, `fleet queue ${name}`),
    );
  }

  enqueue(data: string, opts: FleetEnqueueOptions): string {
    if (opts.jobId !== undefined && this.jobs.has(opts.jobId)) return opts.jobId;
    const id = opts.jobId ?? String(++this.nextId);
    const now = this.clock.now();
    const delay = opts.delayMs ?? 0;
    const job: JobRecord = {
      id,
      data,
      priority: opts.priority ?? 0,
      enqueuedAt: now,
      seq: 0,
      state: 'delayed',
      runAt: now + delay,
      attemptsMade: 0,
      runs: 0,
      owner: undefined,
      lostAt: undefined,
    };
    this.jobs.set(id, job);
    if (delay <= 0) this.toWaiting(job);
    else this.timed.add(job);
    this.pump();
    return id;
  }

  consume(link: ReplicaLink, spec: FleetConsumerSpec, handler: FleetJobHandler): FleetConsumer {
    const consumer: Consumer = { link, spec, handler, running: new Map(), closing: false };
    this.consumers.push(consumer);
    this.pump();
    let closing: Promise<void> | undefined;
    return { close: (graceMs) => (closing ??= this.closeConsumer(consumer, graceMs)) };
  }

  /**
   * Promotes due delayed jobs, moves stalled ones back to waiting and starts what free
   * consumers can take. As in BullMQ, only live workers do this.
   */
  pump(): void {
    const now = this.clock.now();
    let wake: number | undefined;
    const soonest = (at: number): void => {
      wake = wake === undefined ? at : Math.min(wake, at);
    };
    const working = this.worker() !== undefined;
    if (working) {
      for (const job of [...this.timed]) {
        if (job.state === 'delayed') {
          if (job.runAt <= now) this.toWaiting(job);
          else soonest(job.runAt);
        } else if (job.state === 'active' && job.lostAt !== undefined) {
          const stallAt = job.lostAt + this.stalledMs;
          if (stallAt <= now) this.toWaiting(job);
          else soonest(stallAt);
        } else {
          this.timed.delete(job);
        }
      }
    }
    while (this.waiting.length > 0) {
      const consumer = this.freeConsumer();
      if (consumer === undefined) break;
      this.start(this.waiting.shift()!, consumer);
    }
    this.alarm.arm(working ? wake : undefined);
  }

  /** A replica lost its link: its running jobs stall unless it is back within `stalledMs`. */
  lost(link: ReplicaLink): void {
    const now = this.clock.now();
    for (const c of this.consumers) {
      if (c.link !== link) continue;
      for (const { job } of c.running.values()) this.markLost(job, c, now);
    }
    this.pump();
  }

  /** A replica is back: locks of jobs it still runs are renewed again. */
  healed(link: ReplicaLink): void {
    for (const c of this.consumers) {
      if (c.link !== link) continue;
      for (const run of c.running.values())
        if (run.job.owner === c && run.job.runs === run.runs) {
          run.job.lostAt = undefined;
          this.timed.delete(run.job);
        }
    }
    this.pump();
  }

  /** A replica is gone (killed or closed): its consumers stop, its jobs stall. */
  drop(link: ReplicaLink): void {
    this.lost(link);
    for (let i = this.consumers.length - 1; i >= 0; i--) {
      const c = this.consumers[i]!;
      if (c.link !== link) continue;
      c.closing = true;
      this.consumers.splice(i, 1);
    }
    this.pump();
  }

  stats(): QueueStats {
    let waiting = 0;
    let active = 0;
    let delayed = 0;
    for (const job of this.jobs.values()) {
      if (job.state === 'waiting') waiting++;
      else if (job.state === 'active') active++;
      else if (job.state === 'delayed') delayed++;
    }
    return {
      waiting,
      active,
      delayed,
      completed: this.completed,
      failed: this.failed,
      lastFailures: this.lastFailures.map((f) => ({ ...f })),
    };
  }

  dispose(): void {
    this.alarm.clear();
  }

  private start(job: JobRecord, consumer: Consumer): void {
    job.state = 'active';
    job.owner = consumer;
    job.lostAt = undefined;
    this.timed.delete(job);
    const runs = ++job.runs;
    const controller = new AbortController();
    const info = {
      id: job.id,
      queue: this.name,
      data: job.data,
      attempt: job.attemptsMade + 1,
      enqueuedAt: job.enqueuedAt,
    };
    const run: Run = { job, runs, controller, timeout: undefined, done: Promise.resolve() };
    consumer.running.set(job.id, run);
    const { timeoutMs } = consumer.spec;
    if (timeoutMs !== undefined) {
      run.timeout = consumer.link.timers.set(() => {
        const err = new KeelError(
          'E_TIMEOUT',
          `Job "${job.id}" of queue "${this.name}" timed out after ${timeoutMs} ms (attempt ${info.attempt}).`,
          { details: { queue: this.name, jobId: job.id, timeoutMs } },
        );
        controller.abort(err);
        this.settled(consumer, run, err);
      }, timeoutMs);
    }
    run.done = Promise.resolve()
      .then(() => consumer.handler(info, controller.signal))
      .then(
        () => this.settled(consumer, run, undefined),
        (err: unknown) => this.settled(consumer, run, err ?? new Error('job rejected')),
      )
      .catch((err: unknown) => consumer.link.report(err, `fleet queue ${this.name}`));
  }

  private settled(consumer: Consumer, run: Run, error: unknown): void {
    if (consumer.running.get(run.job.id) !== run) return; // timed out or handed back already
    consumer.running.delete(run.job.id);
    consumer.link.timers.clear(run.timeout);
    const { job } = run;
    // Stalled and taken by another meanwhile, or the result cannot reach the fleet (the
    // lock then runs out and the job stalls).
    if (job.owner !== consumer || job.runs !== run.runs || job.state !== 'active') return;
    if (!consumer.link.live) return;
    const now = this.clock.now();
    job.owner = undefined;
    if (error === undefined) {
      job.state = 'completed';
      this.completed++;
      this.keep(job);
    } else {
      job.attemptsMade++;
      if (job.attemptsMade < consumer.spec.attempts) {
        job.state = 'delayed';
        job.runAt = now + backoffMs(consumer.spec, job.attemptsMade);
        if (job.runAt <= now) this.toWaiting(job);
        else this.timed.add(job);
      } else {
        job.state = 'failed';
        this.failed++;
        this.lastFailures.push({ id: job.id, error: errorText(error), at: now });
        if (this.lastFailures.length > LAST_FAILURES) this.lastFailures.shift();
        this.keep(job);
      }
    }
    this.pump();
  }

  private async closeConsumer(consumer: Consumer, graceMs: number): Promise<void> {
    consumer.closing = true;
    const { link } = consumer;
    if (consumer.running.size > 0 && graceMs > 0 && link.state !== 'dead') {
      let timer: unknown;
      await Promise.race([
        Promise.allSettled([...consumer.running.values()].map((r) => r.done)),
        new Promise<void>((resolve) => (timer = link.timers.set(resolve, graceMs))),
      ]);
      link.timers.clear(timer);
    }
    for (const run of [...consumer.running.values()]) {
      consumer.running.delete(run.job.id);
      link.timers.clear(run.timeout);
      run.controller.abort(
        new KeelError(
          'E_TIMEOUT',
          `Job "${run.job.id}" of queue "${this.name}" was handed back: its consumer closed after ${graceMs} ms of grace.`,
          { details: { queue: this.name, jobId: run.job.id } },
        ),
      );
      // Handing back needs the fleet; a cut-off replica's jobs stall instead.
      if (link.live && run.job.owner === consumer && run.job.runs === run.runs)
        this.toWaiting(run.job);
    }
    const i = this.consumers.indexOf(consumer);
    if (i >= 0) this.consumers.splice(i, 1);
    this.pump();
  }

  private toWaiting(job: JobRecord): void {
    job.state = 'waiting';
    job.owner = undefined;
    job.lostAt = undefined;
    this.timed.delete(job);
    job.seq = ++this.seq;
    // Lower priority number first (0, no priority, before all), then first in.
    let lo = 0;
    let hi = this.waiting.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const w = this.waiting[mid]!;
      if (w.priority < job.priority || (w.priority === job.priority && w.seq < job.seq))
        lo = mid + 1;
      else hi = mid;
    }
    this.waiting.splice(lo, 0, job);
  }

  private markLost(job: JobRecord, owner: Consumer, now: number): void {
    if (job.state !== 'active' || job.owner !== owner || job.lostAt !== undefined) return;
    job.lostAt = now;
    this.timed.add(job);
  }

  private keep(job: JobRecord): void {
    this.finished.push(job.id);
    if (this.finished.length > KEEP_FINISHED) this.jobs.delete(this.finished.shift()!);
  }

  /** A consumer that can still take jobs (any one: promotion needs a live worker). */
  private worker(): Consumer | undefined {
    return this.consumers.find((c) => !c.closing && c.link.live);
  }

  /** The next consumer with a free slot, round-robin. */
  private freeConsumer(): Consumer | undefined {
    for (let i = 0; i < this.consumers.length; i++) {
      const c = this.consumers[(this.next + i) % this.consumers.length]!;
      if (!c.closing && c.link.live && c.running.size < c.spec.concurrency) {
        this.next = (this.next + i + 1) % this.consumers.length;
        return c;
      }
    }
    return undefined;
  }
}

/** Delay before the retry after `attemptsMade` failed attempts. */
export function backoffMs(spec: FleetConsumerSpec, attemptsMade: number): number {
  const { type, delayMs } = spec.backoff;
  return type === 'fixed' ? delayMs : delayMs * 2 ** (attemptsMade - 1);
}
