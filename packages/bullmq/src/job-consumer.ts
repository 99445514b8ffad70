import { WaitingError, Worker, type Job } from 'bullmq';
import type { FleetConsumer, FleetConsumerSpec, FleetJob, FleetJobHandler } from '@keel/core';
import { bounded, describe, latch, type Latch } from './bounded.js';
import type { ResolvedOptions } from './options.js';

/**
 * One attempt this replica is running: it settles BullMQ's processor promise once, from the
 * handler's outcome, its timeout or its hand-back ({@link JobConsumer.settle}). A class with
 * no closures of its own: with a settle closure kept on each entry, V8 pretenured the entries
 * (`--trace-pretenuring-statistics`), so each dead one held its BullMQ job through
 * young-generation GCs: at c=50, ~3x the bytes promoted per job of raw BullMQ.
 */
class Attempt {
  handedBack = false;
  settled = false;
  timer: unknown = undefined;
  resolve: () => void = noop;
  reject: (err: Error) => void = noop;

  constructor(
    readonly job: Job,
    readonly token: string,
    /** Absent when the handler never reads its signal (`spec.handlerReadsSignal: false`). */
    readonly abort: AbortController | undefined,
  ) {}
}

function noop(): void {}

/**
 * What the handler is told about a BullMQ job. `value` is BullMQ's data, parsed from Redis
 * for this attempt alone; the JSON text is built only if something reads `data`.
 */
class BullmqFleetJob implements FleetJob {
  readonly id: string;
  readonly value: unknown;
  readonly attempt: number;
  readonly enqueuedAt: number;
  private text: string | undefined;

  constructor(
    job: Job,
    readonly queue: string,
  ) {
    this.id = job.id ?? '';
    this.value = job.data;
    this.attempt = job.attemptsMade + 1;
    this.enqueuedAt = job.timestamp;
  }

  get data(): string {
    this.text ??= JSON.stringify(this.value);
    return this.text;
  }
}

/** Why a job's signal aborted: its attempt ran out of time. */
export class JobTimeoutError extends Error {
  override readonly name = 'JobTimeoutError';
}

/** Why a job's signal aborted: its consumer closed and the job went back to the queue. */
export class JobHandedBackError extends Error {
  override readonly name = 'JobHandedBackError';
}

/**
 * One BullMQ `Worker` for one queue on this replica. The handler runs under our own
 * AbortSignal (timeout, close); close hands unfinished jobs back with `moveToWait` so they
 * run again elsewhere at once instead of after the lock expires.
 */
export class JobConsumer implements FleetConsumer {
  private readonly worker: Worker;
  private readonly running = new Set<Attempt>();
  private idle: Latch | undefined;
  private closing: Promise<void> | undefined;
  private stopSignal: AbortSignal | undefined;
  private readonly onStop = (): void => {
    const reason: unknown = this.stopSignal?.reason;
    for (const entry of this.running) entry.abort?.abort(reason);
  };
  /** Attempt signals abort with `spec.signal` too, so the kernel needs no link of its own. */
  readonly abortsWithSignal = true;
  /** Handed to a handler that never reads it (see `spec.handlerReadsSignal`). */
  private unread: AbortSignal | undefined;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly queue: string,
    private readonly spec: FleetConsumerSpec,
    private readonly handler: FleetJobHandler,
    private readonly onClosed: () => void,
  ) {
    this.worker = new Worker(queue, (job, token) => this.process(job, token ?? ''), {
      connection: options.workerConnection,
      prefix: options.prefix,
      concurrency: spec.concurrency,
      lockDuration: options.lockDurationMs,
      stalledInterval: options.stalledIntervalMs,
      // A job stalls when its replica vanished; a deploy hands jobs back without a stall.
      maxStalledCount: Math.max(1, spec.attempts),
      removeOnComplete: { count: options.keepCompleted },
      removeOnFail: { count: options.keepFailed },
    });
    // The module's stop aborts every running attempt's signal (see abortsWithSignal).
    const stop = spec.signal;
    if (stop !== undefined) {
      this.stopSignal = stop;
      stop.addEventListener('abort', this.onStop, { once: true });
    }
    this.worker.on('error', (err) =>
      options.logger.warn(
        { queue, err: describe(err) },
        'BullMQ worker error (it retries on its own)',
      ),
    );
  }

  /**
   * BullMQ's processor. The attempt settles with the first of: the handler's outcome, its
   * timeout, its hand-back. One promise per attempt (no race array, latch or extra
   * microtask hop): this runs once per job.
   */
  private process(job: Job, token: string): Promise<void> {
    if (this.closing !== undefined) return this.refuse(job, token);
    // No AbortSignal for a handler that never reads it: ~3 µs per job (raw BullMQ, too,
    // creates one only for a processor that declares a signal parameter).
    const abort = this.spec.handlerReadsSignal === false ? undefined : new AbortController();
    const attempt = new Attempt(job, token, abort);
    const done = new Promise<void>((resolve, reject) => {
      attempt.resolve = resolve;
      attempt.reject = reject;
    });
    this.running.add(attempt);
    if (this.stopSignal?.aborted === true) abort?.abort(this.stopSignal.reason);
    const timeoutMs = this.spec.timeoutMs;
    if (timeoutMs !== undefined) {
      attempt.timer = this.options.clock.setTimeout(() => {
        const err = new JobTimeoutError(
          `Job ${job.id ?? '?'} of queue "${this.queue}" timed out after ${timeoutMs} ms (attempt ${job.attemptsMade + 1}); ` +
            'its signal was aborted. Raise the timeout or make the handler honour the signal.',
        );
        abort?.abort(err);
        this.settle(attempt, true, err);
      }, timeoutMs);
    }
    let work: Promise<void>;
    try {
      work = this.handler(
        new BullmqFleetJob(job, this.queue),
        abort?.signal ?? (this.unread ??= this.spec.signal ?? new AbortController().signal),
      );
    } catch (err) {
      this.settle(attempt, true, err);
      return done;
    }
    Promise.resolve(work).then(
      () => this.settle(attempt, false),
      (err: unknown) => this.settle(attempt, true, err),
    );
    return done;
  }

  /** Ends an attempt once; a handler that ignores its signal keeps running, its late outcome dropped. */
  private settle(attempt: Attempt, failed: boolean, err?: unknown): void {
    if (attempt.settled) return;
    attempt.settled = true;
    if (attempt.timer !== undefined) this.options.clock.clearTimeout(attempt.timer);
    this.running.delete(attempt);
    if (this.running.size === 0) this.idle?.open();
    if (attempt.handedBack) attempt.reject(new WaitingError());
    else if (failed) attempt.reject(err instanceof Error ? err : new Error(describe(err)));
    else attempt.resolve();
  }

  /** Fetched while closing: straight back to the queue for another replica. */
  private async refuse(job: Job, token: string): Promise<void> {
    await job.moveToWait(token).catch(() => undefined);
    throw new WaitingError();
  }

  /** Jobs running now on this replica. */
  get active(): number {
    return this.running.size;
  }

  close(graceMs: number): Promise<void> {
    this.closing ??= this.shutdown(graceMs).finally(() => this.onClosed());
    return this.closing;
  }

  private async shutdown(graceMs: number): Promise<void> {
    const { clock, closeCallTimeoutMs, logger } = this.options;
    // Stop taking jobs; the running ones keep going.
    await bounded(this.worker.pause(true), closeCallTimeoutMs, clock, 'worker.pause').catch(
      (err: unknown) => logger.warn({ queue: this.queue, err: describe(err) }, 'pause failed'),
    );
    if (this.running.size > 0 && graceMs > 0) {
      this.idle = latch();
      let timer: unknown;
      await Promise.race([
        this.idle.promise,
        new Promise<void>((resolve) => (timer = clock.setTimeout(resolve, graceMs))),
      ]);
      clock.clearTimeout(timer);
    }
    // Past the grace: hand the rest back so another replica runs them now.
    await Promise.all(
      [...this.running].map(async (entry) => {
        entry.handedBack = true;
        entry.abort?.abort(
          new JobHandedBackError(
            `Job ${entry.job.id ?? '?'} of queue "${this.queue}" was handed back: its consumer closed.`,
          ),
        );
        try {
          await bounded(entry.job.moveToWait(entry.token), closeCallTimeoutMs, clock, 'moveToWait');
        } catch (err) {
          // Left active: its lock expires and BullMQ's stalled check reruns it elsewhere.
          logger.warn(
            { queue: this.queue, jobId: entry.job.id, err: describe(err) },
            'could not hand a job back; it runs again after its lock expires',
          );
        }
        this.settle(entry, false);
      }),
    );
    await bounded(this.worker.close(true), closeCallTimeoutMs, clock, 'worker.close').catch(
      (err: unknown) => logger.warn({ queue: this.queue, err: describe(err) }, 'close failed'),
    );
    this.stopSignal?.removeEventListener('abort', this.onStop);
  }
}
