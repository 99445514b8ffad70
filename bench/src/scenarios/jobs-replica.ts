/**
 * One replica process of the jobs and fleet-drift scenarios: `node jobs-replica.js '<json>'`,
 * forked with an IPC channel; see `jobs-protocol.ts` for the messages.
 */
import { pino } from 'pino';
import { Queue, Worker } from 'bullmq';
import {
  Job,
  Kernel,
  Module,
  ModuleContext,
  Task,
  type FleetConnection,
  type FleetTaskHandle,
  type FleetTaskRun,
  type FleetTaskSpec,
} from '@keel/core';
import { BullmqFleetConnection, bullmqFleet } from '@keel/bullmq';
import {
  now,
  type DriftReplicaConfig,
  type DriftRun,
  type FromReplica,
  type JobsReplicaConfig,
  type PhaseRecord,
  type ToReplica,
} from './jobs-protocol.js';
import { rawJobs, type Payload } from './raw-bullmq.js';

const send = (message: FromReplica): void => {
  process.send?.(message);
};

/** Counts starts per phase; tells the parent at most every 10 ms (not one message per job). */
class StartLog {
  readonly phases: Record<number, PhaseRecord> = {};
  private readonly counts = new Map<number, number>();
  private dirty = new Set<number>();
  private timer: NodeJS.Timeout | undefined;

  private phase(p: number): PhaseRecord {
    return (this.phases[p] ??= { firstEnqueue: NaN, lastStart: NaN, latencies: [] });
  }

  enqueuing(p: number): void {
    const rec = this.phase(p);
    if (Number.isNaN(rec.firstEnqueue)) rec.firstEnqueue = now();
  }

  started(data: Payload): void {
    const t = now();
    const rec = this.phase(data.p);
    rec.latencies.push(t - data.t);
    rec.lastStart = Number.isNaN(rec.lastStart) ? t : Math.max(rec.lastStart, t);
    this.counts.set(data.p, (this.counts.get(data.p) ?? 0) + 1);
    this.dirty.add(data.p);
    this.timer ??= setTimeout(() => this.flush(), 10);
  }

  private flush(): void {
    this.timer = undefined;
    const dirty = this.dirty;
    this.dirty = new Set();
    for (const p of dirty) send({ type: 'started', phase: p, count: this.counts.get(p) ?? 0 });
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

interface Contender {
  enqueue(data: Payload): Promise<unknown>;
  close(): Promise<void>;
}

async function keelContender(config: JobsReplicaConfig, log: StartLog): Promise<Contender> {
  let ctx: ModuleContext | undefined;
  @Module({ name: 'bench' })
  class BenchJobs {
    constructor(c: ModuleContext) {
      ctx = c;
    }
    @Job({ queue: 'q', concurrency: config.concurrency })
    run(data: Payload): void {
      log.started(data);
    }
  }
  const kernel = Kernel.create({
    modules: [BenchJobs],
    logger: pino({ level: 'silent' }),
    fleet: bullmqFleet({
      url: `redis://127.0.0.1:${config.port}`,
      service: config.service,
      replicaId: config.replicaId,
    }),
  });
  await kernel.start();
  const context = ctx;
  if (context === undefined) throw new Error('the bench module was not constructed');
  return {
    enqueue: (data) => context.fleet.enqueue('q', data),
    close: () => kernel.shutdown(),
  };
}

async function rawContender(config: JobsReplicaConfig, log: StartLog): Promise<Contender> {
  // What bullmqFleet() gives BullMQ: the same key prefix, connections and worker settings.
  return rawJobs(config.port, `keel:${config.service}:bull`, config.concurrency, (job) =>
    log.started(job.data as Payload),
  );
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

async function runJobs(config: JobsReplicaConfig): Promise<void> {
  const log = new StartLog();
  const contender =
    config.contender === 'keel'
      ? await keelContender(config, log)
      : await rawContender(config, log);
  const failures: unknown[] = [];
  const onMessage = async (message: ToReplica): Promise<void> => {
    switch (message.type) {
      case 'burst': {
        // Enqueued `batch` at a time while the consumers run: a producer burst.
        log.enqueuing(message.phase);
        for (let i = 0; i < message.n; i += message.batch) {
          const adds: Promise<unknown>[] = [];
          for (let k = i; k < Math.min(message.n, i + message.batch); k++)
            adds.push(contender.enqueue({ p: message.phase, t: now() }));
          await Promise.all(adds);
        }
        return;
      }
      case 'paced': {
        // Open loop at a fixed rate well below capacity: the latency of a quiet queue.
        log.enqueuing(message.phase);
        const t0 = now();
        const adds: Promise<unknown>[] = [];
        for (let k = 0; k < message.n; k++) {
          await sleep(t0 + k * message.intervalMs - now());
          adds.push(contender.enqueue({ p: message.phase, t: now() }));
        }
        await Promise.all(adds);
        return;
      }
      case 'report':
        send({ type: 'report', phases: log.phases });
        return;
      case 'cpu': {
        const { user, system } = process.cpuUsage();
        send({ type: 'cpu', us: user + system });
        return;
      }
      case 'stop':
        log.close();
        await contender.close();
        send({ type: 'stopped' });
        process.disconnect?.();
        return;
    }
  };
  process.on('message', (message: ToReplica) => {
    onMessage(message).catch((err: unknown) => {
      failures.push(err);
      console.error(err);
      process.exitCode = 1;
      process.disconnect?.();
    });
  });
  send({ type: 'ready' });
}

async function runDrift(config: DriftReplicaConfig): Promise<void> {
  const runs: DriftRun[] = [];
  // The due time of the run this replica is handing to its task queue (one at a time:
  // the task's BullMQ worker has concurrency 1 and the run holds the task's fleet lease).
  let current: { dueAt: number; pickedAt: number } | undefined;

  @Module({ name: 'clock' })
  class ClockModule {
    @Task({ every: '1s', fleet: 'once' })
    tick(): void {
      const start = now();
      const due = current;
      if (due === undefined) throw new Error('a fleet task ran without a due time');
      const run: DriftRun = { replicaId: config.replicaId, ...due, start, end: start };
      runs.push(run);
      run.end = now();
    }
  }

  /** bullmqFleet's connection, noting each due time BullMQ hands to this replica. */
  class RecordingConnection extends BullmqFleetConnection {
    override scheduleTask(spec: FleetTaskSpec, run: FleetTaskRun): FleetTaskHandle {
      return super.scheduleTask(spec, (dueAt) => {
        current = { dueAt, pickedAt: now() };
        return run(dueAt);
      });
    }
  }
  const base = bullmqFleet({
    url: `redis://127.0.0.1:${config.port}`,
    service: config.service,
    replicaId: config.replicaId,
  });
  const kernel = Kernel.create({
    modules: [ClockModule],
    logger: pino({ level: 'silent' }),
    fleet: {
      kind: base.kind,
      leaseTtlMs: base.leaseTtlMs,
      async connect(host, signal): Promise<FleetConnection> {
        const c = await base.connect(host, signal);
        return new RecordingConnection(c.redis, c.jobs);
      },
    },
  });
  await kernel.start();
  process.on('message', (message: ToReplica) => {
    if (message.type !== 'stop') return;
    kernel.shutdown().then(
      () => {
        send({ type: 'drift', runs });
        send({ type: 'stopped' });
        process.disconnect?.();
      },
      (err: unknown) => {
        console.error(err);
        process.exitCode = 1;
        process.disconnect?.();
      },
    );
  });
  send({ type: 'ready' });
}

/** The raw baseline of the drift scenario: a BullMQ job scheduler every 1 s and a Worker. */
async function runRawDrift(config: DriftReplicaConfig): Promise<void> {
  const runs: DriftRun[] = [];
  const host = { host: '127.0.0.1', port: config.port };
  const prefix = `keel:${config.service}:bull`;
  const queue = new Queue('tick', { connection: { ...host, enableOfflineQueue: false }, prefix });
  const worker = new Worker(
    'tick',
    (job) => {
      const start = now();
      const dueAt =
        typeof job.opts.prevMillis === 'number'
          ? job.opts.prevMillis
          : job.timestamp + (job.opts.delay ?? 0);
      runs.push({ replicaId: config.replicaId, dueAt, pickedAt: start, start, end: now() });
      return Promise.resolve();
    },
    {
      connection: { ...host, maxRetriesPerRequest: null, enableOfflineQueue: true },
      prefix,
      concurrency: 1,
      lockDuration: 30_000,
      stalledInterval: 30_000,
      removeOnComplete: { count: 100 },
      removeOnFail: { count: 100 },
    },
  );
  await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]);
  if (config.upsert === true) {
    await queue.upsertJobScheduler(
      'tick',
      { every: 1000 },
      { name: 'tick', data: {}, opts: { removeOnComplete: { count: 100 } } },
    );
  }
  process.on('message', (message: ToReplica) => {
    if (message.type !== 'stop') return;
    void (async () => {
      if (config.upsert === true) await queue.removeJobScheduler('tick');
      await worker.close();
      await queue.close();
      send({ type: 'drift', runs });
      send({ type: 'stopped' });
      process.disconnect?.();
    })().catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
      process.disconnect?.();
    });
  });
  send({ type: 'ready' });
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as JobsReplicaConfig | DriftReplicaConfig;
  if (config.mode === 'jobs') await runJobs(config);
  else if (config.mode === 'drift-raw') await runRawDrift(config);
  else await runDrift(config);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
  process.disconnect?.();
});
