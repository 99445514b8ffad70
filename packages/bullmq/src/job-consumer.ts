import { WaitingError, Worker, type Job } from 'bullmq';
import type { FleetConsumer, FleetConsumerSpec, FleetJobHandler } from '@keel/core';
import { bounded, describe, latch, type Latch } from './bounded.js';
import type { ResolvedOptions } from './options.js';

/** One attempt this replica is running. */
interface Running {
  readonly job: Job;
  readonly token: string;
  readonly abort: AbortController;
  /** Opened when the attempt is handed back: the processor returns at once. */
  readonly handBack: Latch;
  handedBack: boolean;
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
  private readonly running = new Set<Running>();
  private idle: Latch | undefined;
  private closing: Promise<void> | undefined;

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
    this.worker.on('error', (err) =>
      options.logger.warn(
        { queue, err: describe(err) },
        'BullMQ worker error (it retries on its own)',
      ),
    );
  }

  private async process(job: Job, token: string): Promise<void> {
    const entry: Running = {
      job,
      token,
      abort: new AbortController(),
      handBack: latch(),
      handedBack: false,
    };
    this.running.add(entry);
    const { clock } = this.options;
    const timeoutMs = this.spec.timeoutMs;
    let timer: unknown;
    try {
      const work = Promise.resolve().then(() =>
        this.handler(
          {
            id: job.id ?? '',
            queue: this.queue,
            data: JSON.stringify(job.data),
            attempt: job.attemptsMade + 1,
            enqueuedAt: job.timestamp,
          },
          entry.abort.signal,
        ),
      );
      const contenders: Promise<void>[] = [work, entry.handBack.promise];
      if (timeoutMs !== undefined) {
        contenders.push(
          new Promise<void>((_, reject) => {
            timer = clock.setTimeout(() => {
              const err = new JobTimeoutError(
                `Job ${job.id ?? '?'} of queue "${this.queue}" timed out after ${timeoutMs} ms (attempt ${job.attemptsMade + 1}); ` +
                  'its signal was aborted. Raise the timeout or make the handler honour the signal.',
              );
              entry.abort.abort(err);
              reject(err);
            }, timeoutMs);
          }),
        );
      }
      // A handler that ignores its signal keeps running; its late outcome is dropped.
      work.catch(() => undefined);
      try {
        await Promise.race(contenders);
      } catch (err) {
        if (entry.handedBack) throw new WaitingError();
        throw err instanceof Error ? err : new Error(describe(err));
      }
      if (entry.handedBack) throw new WaitingError();
    } finally {
      if (timer !== undefined) clock.clearTimeout(timer);
      this.running.delete(entry);
      if (this.running.size === 0) this.idle?.open();
    }
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
        entry.abort.abort(
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
        entry.handBack.open();
      }),
    );
    await bounded(this.worker.close(true), closeCallTimeoutMs, clock, 'worker.close').catch(
      (err: unknown) => logger.warn({ queue: this.queue, err: describe(err) }, 'close failed'),
    );
  }
}
