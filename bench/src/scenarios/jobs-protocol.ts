/**
 * The protocol between the jobs / fleet-drift scenarios and their replica processes
 * (`jobs-replica.ts`). Timestamps are `performance.timeOrigin + performance.now()`: epoch
 * milliseconds with sub-millisecond resolution, comparable across processes of one machine
 * (a job enqueued by one replica may start in another).
 */
export const now = (): number => performance.timeOrigin + performance.now();

/** The jobs contenders. Both get the same payloads, job options and worker settings. */
export type JobsContender = 'keel' | 'raw bullmq';

export interface JobsReplicaConfig {
  readonly mode: 'jobs';
  readonly contender: JobsContender;
  readonly port: number;
  readonly service: string;
  readonly replicaId: string;
  readonly concurrency: number;
}

export interface DriftReplicaConfig {
  /** `drift`: the `@Task` on bullmqFleet; `drift-raw`: a BullMQ job scheduler and `Worker`. */
  readonly mode: 'drift' | 'drift-raw';
  /** drift-raw: this replica upserts the job scheduler (one does, as Keel's leader). */
  readonly upsert?: boolean;
  readonly port: number;
  readonly service: string;
  readonly replicaId: string;
}

/** Parent → replica. */
export type ToReplica =
  | { readonly type: 'burst'; readonly phase: number; readonly n: number; readonly batch: number }
  | {
      readonly type: 'paced';
      readonly phase: number;
      readonly n: number;
      readonly intervalMs: number;
    }
  | { readonly type: 'report' }
  /** Asks for the CPU time the replica has used so far (`process.cpuUsage()`). */
  | { readonly type: 'cpu' }
  | { readonly type: 'stop' };

/** What one replica saw of one phase. */
export interface PhaseRecord {
  /** When this replica began enqueueing the phase (NaN if it enqueued none). */
  firstEnqueue: number;
  /** When this replica last started a job of the phase (NaN if it started none). */
  lastStart: number;
  /** Enqueue → handler start of each job of the phase this replica started, ms. */
  latencies: number[];
}

/** One run of the drift scenario's fleet task. */
export interface DriftRun {
  readonly replicaId: string;
  /** The due time BullMQ's job scheduler gave the run (epoch ms). */
  readonly dueAt: number;
  /** When this replica's fleet connection got the due time from BullMQ. */
  readonly pickedAt: number;
  /** When the task's method began (after the hand-off to the replica's task queue). */
  readonly start: number;
  end: number;
}

/** Replica → parent. */
export type FromReplica =
  | { readonly type: 'ready' }
  | { readonly type: 'started'; readonly phase: number; readonly count: number }
  | { readonly type: 'report'; readonly phases: Record<number, PhaseRecord> }
  | { readonly type: 'drift'; readonly runs: DriftRun[] }
  /** User + system CPU time of the replica so far, µs. */
  | { readonly type: 'cpu'; readonly us: number }
  | { readonly type: 'stopped' };
