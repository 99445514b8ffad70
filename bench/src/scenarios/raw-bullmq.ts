import { Queue, Worker, type Job as BullJob } from 'bullmq';

/**
 * The raw BullMQ baseline of the jobs scenarios (`jobs-replica.ts`, `jobs-ab.ts`): what
 * `bullmqFleet()` gives BullMQ for a default `@Job`, so both contenders do the same work.
 */

/** The payload of every job, for both contenders: its phase and when it was enqueued. */
export interface Payload {
  readonly p: number;
  readonly t: number;
}

/** Job options of both contenders: what `BullmqJobs.enqueue` gives a job of a default `@Job`. */
export const JOB_OPTS = {
  attempts: 1,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 5000 },
} as const;

export interface RawJobs {
  enqueue(data: Payload): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * A `Queue` + `Worker` on queue 'q' with bullmqFleet()'s key prefix layout, connections
 * (producer fails fast offline, worker `maxRetriesPerRequest: null`) and worker settings.
 */
export async function rawJobs(
  port: number,
  prefix: string,
  concurrency: number,
  onStart: (job: BullJob) => void,
): Promise<RawJobs> {
  const host = { host: '127.0.0.1', port };
  const queue = new Queue('q', { connection: { ...host, enableOfflineQueue: false }, prefix });
  const worker = new Worker(
    'q',
    (job) => {
      onStart(job);
      return Promise.resolve();
    },
    {
      connection: { ...host, maxRetriesPerRequest: null, enableOfflineQueue: true },
      prefix,
      concurrency,
      lockDuration: 30_000,
      stalledInterval: 30_000,
      maxStalledCount: 1,
      removeOnComplete: JOB_OPTS.removeOnComplete,
      removeOnFail: JOB_OPTS.removeOnFail,
    },
  );
  await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]);
  return {
    enqueue: (data) => queue.add('q', data, JOB_OPTS),
    close: async () => {
      await worker.close();
      await queue.close();
    },
  };
}
