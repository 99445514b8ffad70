import { Kernel, Module, ModuleContext, OnEvent, type ModuleClass } from '@keel/core';
import { redisFleet } from '@keel/redis';
import { startRedisServer } from '@keel/testing';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { named } from '../contenders/contender.js';
import type { Row } from '../harness/result.js';
import { quantile, summarize } from '../stats.js';

/**
 * Fleet events on Redis Streams: `ctx.triggerEvent(…, { fleet: true })` reaching
 * `@OnEvent(…, { fleet: 'all' | 'one' })` hooks of three consumer kernels, against raw ioredis
 * `XADD` + `XREADGROUP` (+ `XACK`) doing the same work, on a private redis-server.
 *
 * Layout, the same for both contenders: one producer (a kernel with the source module / one
 * ioredis client) and three consumers (three kernels on `redisFleet` / three ioredis clients
 * with their own blocking connection), all **in this one process**. In-process so that one
 * monotonic clock (`performance.now()`) times trigger → hook, and so that the 2-core machine
 * runs the same process layout for both contenders; the Redis server is its own process.
 *
 * The raw consumer does what Keel's guarantees need and nothing more: `COUNT 100`,
 * `BLOCK 2000` (Keel's defaults), the payload JSON-parsed once, entries handled in order, one
 * `XACK` per batch of handled entries (both modes: Keel acknowledges `'all'` deliveries too,
 * so a hook that throws is retried). `'all'`: one group per consumer; `'one'`: one shared
 * group. Per round and contender, on fresh streams: `events` triggers, 100 at a time (each
 * batch awaited) as fast as the consumers take them: throughput is events ÷ (last hook run −
 * first trigger), and its trigger → hook latencies are the *saturated* ones (mostly queueing
 * behind the backlog). Then `paced` triggers, 10 every 5 ms (2,000/s, well under either
 * contender's capacity): trigger call → hook start of every delivery there is the latency of
 * the path itself. Before any timed round, each contender runs `warmupRounds` rounds of every
 * mode (dropped): the JIT needs tens of thousands of deliveries to settle, Keel's longer path
 * more than the raw loop. Contenders alternate within each round.
 */
export interface FleetEventsArgs {
  events?: number;
  paced?: number;
  rounds?: number;
  warmupRounds?: number;
  modes?: FleetEventsMode[];
}

export const FLEET_EVENTS_CONTENDERS = ['keel', 'raw ioredis streams'] as const;
export type FleetEventsContender = (typeof FLEET_EVENTS_CONTENDERS)[number];
export type FleetEventsMode = 'all' | 'one';

interface Sample {
  readonly eventsPerS: number;
  /**
   * CPU time of this process (producer and consumers; not redis-server's) per event of the
   * throughput run: the overhead itself, far less sensitive than wall time to what else runs.
   */
  readonly cpuUsPerEvent: number;
  /** Trigger → hook under full load. */
  readonly saturatedP50Ms: number;
  readonly saturatedP99Ms: number;
  /** Trigger → hook at 2,000 events/s. */
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** What one drive measured. */
interface Run {
  readonly eventsPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Samples per mode and contender; `skipped` when no redis-server could start. */
export interface FleetEventsResult {
  readonly skipped?: string;
  readonly samples: Record<string, Record<FleetEventsContender, Sample[]>>;
}

const CONSUMERS = 3;
const BATCH = 100;
const READ_COUNT = 100;
const BLOCK_MS = 2_000;
const MAXLEN = 10_000;
const WARMUP_EVENTS = 20;
const PACE_BATCH = 10;
const PACE_EVERY_MS = 5;

/** Records hook runs per event index; resolves `done` once `expected` runs were seen. */
class Tracker {
  readonly triggeredAt: Float64Array;
  readonly latencies: number[] = [];
  lastAt = 0;
  private left: number;
  private finish!: () => void;
  readonly done = new Promise<void>((resolve) => (this.finish = resolve));

  constructor(
    events: number,
    private readonly expected: number,
  ) {
    this.triggeredAt = new Float64Array(events);
    this.left = expected;
  }

  hook(i: number): void {
    const now = performance.now();
    this.latencies.push(now - this.triggeredAt[i]!);
    this.lastAt = now;
    if (--this.left === 0) this.finish();
  }

  sample(events: number, t0: number): Run {
    if (this.latencies.length !== this.expected) {
      throw new Error(
        `fleet-events: ${this.latencies.length} hook runs, ${this.expected} expected`,
      );
    }
    const sorted = this.latencies.sort((a, b) => a - b);
    return {
      eventsPerS: (events * 1000) / (this.lastAt - t0),
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
    };
  }
}

/**
 * Triggers `n` events `batch` at a time (awaiting each batch, and starting a batch no sooner
 * than `everyMs` after the previous one began), then waits for every hook run.
 */
async function drive(
  n: number,
  tracker: Tracker,
  trigger: (i: number) => Promise<void>,
  batch = BATCH,
  everyMs = 0,
): Promise<Run> {
  const t0 = performance.now();
  // Bounded: n / batch turns.
  for (let i = 0; i < n; i += batch) {
    const began = performance.now();
    const sends: Promise<void>[] = [];
    for (let k = i; k < Math.min(n, i + batch); k++) {
      tracker.triggeredAt[k] = performance.now();
      sends.push(trigger(k));
    }
    await Promise.all(sends);
    const wait = everyMs - (performance.now() - began);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  await withTimeout(tracker.done, 60_000, 'every hook run');
  return tracker.sample(n, t0);
}

/** Warm-up, saturated and paced drives of one contender on one set of consumers. */
async function measure(
  sink: Sink,
  perEvent: number,
  n: number,
  paced: number,
  trigger: (i: number) => Promise<void>,
): Promise<Sample> {
  // Every reader has its group and has delivered before timing starts.
  const warm = new Tracker(WARMUP_EVENTS, WARMUP_EVENTS * perEvent);
  sink.current = (i) => warm.hook(i);
  await drive(WARMUP_EVENTS, warm, trigger);
  const full = new Tracker(n, n * perEvent);
  sink.current = (i) => full.hook(i);
  const cpu = process.cpuUsage();
  const saturated = await drive(n, full, trigger);
  const used = process.cpuUsage(cpu);
  const slow = new Tracker(paced, paced * perEvent);
  sink.current = (i) => slow.hook(i);
  const steady = await drive(paced, slow, trigger, PACE_BATCH, PACE_EVERY_MS);
  sink.current = undefined;
  return {
    eventsPerS: saturated.eventsPerS,
    cpuUsPerEvent: (used.user + used.system) / n,
    saturatedP50Ms: saturated.p50Ms,
    saturatedP99Ms: saturated.p99Ms,
    p50Ms: steady.p50Ms,
    p99Ms: steady.p99Ms,
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`fleet-events: no ${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Where the hooks of the current round report; swapped per round (warm-up, then timed). */
interface Sink {
  current: ((i: number) => void) | undefined;
}

export async function keelRound(
  url: string,
  service: string,
  mode: FleetEventsMode,
  n: number,
  paced: number,
): Promise<Sample> {
  const logger = pino({ level: 'silent' });
  const sink: Sink = { current: undefined };
  let producerCtx: ModuleContext | undefined;
  // One class per kernel: only the producer's instance is driven.
  const sourceModule = (capture: boolean): ModuleClass => {
    const Source = named(
      class {
        constructor(ctx: ModuleContext) {
          if (capture) producerCtx = ctx;
        }
      },
      'Source',
    );
    Reflect.defineMetadata('design:paramtypes', [ModuleContext], Source);
    Module({ name: 'source', events: ['tick'] })(Source);
    return Source;
  };

  const hookModule = (): ModuleClass => {
    const Hooks = named(
      class {
        tick(data: { i: number }): void {
          sink.current?.(data.i);
        }
      },
      'Hooks',
    );
    const descriptor = Object.getOwnPropertyDescriptor(Hooks.prototype, 'tick')!;
    OnEvent('source', 'tick', { fleet: mode })(Hooks.prototype, 'tick', descriptor);
    Module({ name: 'hooks' })(Hooks);
    return Hooks;
  };
  const fleet = (replicaId: string) => redisFleet({ url, service, replicaId });
  const producer = Kernel.create({
    logger,
    modules: [sourceModule(true)],
    fleet: fleet('producer'),
  });
  // The consumers declare the source module too (a hook names a module of its kernel).
  const consumers = Array.from({ length: CONSUMERS }, (_, c) =>
    Kernel.create({ logger, modules: [sourceModule(false), hookModule()], fleet: fleet(`c${c}`) }),
  );
  await Promise.all(consumers.map((k) => k.start()));
  await producer.start();
  const ctx = producerCtx!;
  const perEvent = mode === 'all' ? CONSUMERS : 1;
  try {
    return await measure(sink, perEvent, n, paced, (i) =>
      ctx.triggerEvent('tick', { i }, { fleet: true }),
    );
  } finally {
    sink.current = undefined;
    await producer.shutdown();
    await Promise.all(consumers.map((k) => k.shutdown()));
  }
}

type Entry = [id: string, fields: string[]];
type Reply = [stream: string, entries: Entry[]][] | null;

/** A raw consumer: XREADGROUP COUNT/BLOCK loop, in-order handling, one XACK per batch. */
function rawConsumer(
  url: string,
  stream: string,
  group: string,
  name: string,
  onEvent: (data: { i: number }) => void,
): { stop(): Promise<void> } {
  const client = new Redis(url, { maxRetriesPerRequest: null });
  let stopping = false;
  const loop = (async () => {
    // Bounded: each turn blocks at most BLOCK_MS, and stop() ends it.
    while (!stopping) {
      const reply = (await client.xreadgroup(
        'GROUP',
        group,
        name,
        'COUNT',
        READ_COUNT,
        'BLOCK',
        BLOCK_MS,
        'STREAMS',
        stream,
        '>',
      )) as Reply;
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length === 0) continue;
      const ids: string[] = [];
      for (const [id, fields] of entries) {
        const payload = fields[fields.indexOf('payload') + 1] ?? 'null';
        onEvent(JSON.parse(payload) as { i: number });
        ids.push(id);
      }
      void client.xack(stream, group, ...ids);
    }
  })().catch(() => undefined);
  return {
    async stop() {
      stopping = true;
      client.disconnect();
      await loop;
    },
  };
}

export async function rawRound(
  url: string,
  service: string,
  mode: FleetEventsMode,
  n: number,
  paced: number,
): Promise<Sample> {
  const stream = `raw:${service}:ev`;
  const producer = new Redis(url);
  const sink: Sink = { current: undefined };
  const groups = Array.from({ length: CONSUMERS }, (_, c) => (mode === 'all' ? `g${c}` : 'g'));
  for (const group of new Set(groups)) {
    await producer.xgroup('CREATE', stream, group, '$', 'MKSTREAM');
  }
  const consumers = groups.map((group, c) =>
    rawConsumer(url, stream, group, `c${c}`, (data) => sink.current?.(data.i)),
  );
  const perEvent = mode === 'all' ? CONSUMERS : 1;
  const trigger = async (i: number): Promise<void> => {
    await producer.xadd(stream, 'MAXLEN', '~', MAXLEN, '*', 'payload', JSON.stringify({ i }));
  };
  try {
    return await measure(sink, perEvent, n, paced, trigger);
  } finally {
    sink.current = undefined;
    await Promise.all(consumers.map((c) => c.stop()));
    producer.disconnect();
  }
}

export async function fleetEventsScenario(args: FleetEventsArgs = {}): Promise<FleetEventsResult> {
  const n = args.events ?? 5_000;
  const paced = args.paced ?? 1_000;
  const rounds = args.rounds ?? 7;
  const warmupRounds = args.warmupRounds ?? 2;
  const modes = args.modes ?? ['all', 'one'];
  let redis;
  try {
    redis = await startRedisServer();
  } catch (err) {
    return { skipped: `no redis-server: ${String(err)}`, samples: {} };
  }
  const samples: FleetEventsResult['samples'] = {};
  let seq = 0;
  const round = async (mode: FleetEventsMode, contender: FleetEventsContender) => {
    seq += 1;
    const service = `fe${seq}`;
    return contender === 'keel'
      ? await keelRound(redis.url, service, mode, n, paced)
      : await rawRound(redis.url, service, mode, n, paced);
  };
  try {
    for (let w = 0; w < warmupRounds; w++) {
      for (const mode of modes)
        for (const contender of FLEET_EVENTS_CONTENDERS) await round(mode, contender);
    }
    for (const mode of modes) {
      const perMode = (samples[mode] = { keel: [], 'raw ioredis streams': [] } as Record<
        FleetEventsContender,
        Sample[]
      >);
      for (let r = 0; r < rounds; r++) {
        const order =
          r % 2 === 0 ? FLEET_EVENTS_CONTENDERS : [...FLEET_EVENTS_CONTENDERS].reverse();
        for (const contender of order) perMode[contender].push(await round(mode, contender));
      }
    }
  } finally {
    await redis.stop();
  }
  return { samples };
}

/**
 * Rows per mode: events/s (higher is better); CPU µs per event; trigger→hook p50 and p99 at
 * 2,000 events/s;
 * p99 at full load (the throughput run: backlog, not path).
 */
export function fleetEventsRows(n: number, result: FleetEventsResult): Row[] {
  const rows: Row[] = [];
  for (const [mode, perMode] of Object.entries(result.samples)) {
    for (const contender of FLEET_EVENTS_CONTENDERS) {
      const s = perMode[contender];
      if (s.length === 0) continue;
      const base = `fleet events '${mode}', ${CONSUMERS} consumers, ${n.toLocaleString('en-US')} events`;
      rows.push(
        {
          scenario: `${base}, throughput`,
          contender,
          unit: 'ops/s',
          higherIsBetter: true,
          summary: summarize(s.map((x) => x.eventsPerS)),
        },
        {
          scenario: `${base}, CPU per event (this process)`,
          contender,
          unit: 'us',
          summary: summarize(s.map((x) => x.cpuUsPerEvent)),
        },
        {
          scenario: `${base}, trigger→hook p50 at 2,000/s`,
          contender,
          unit: 'ms',
          summary: summarize(s.map((x) => x.p50Ms)),
        },
        {
          scenario: `${base}, trigger→hook p99 at 2,000/s`,
          contender,
          unit: 'ms',
          summary: summarize(s.map((x) => x.p99Ms)),
        },
        {
          scenario: `${base}, trigger→hook p99 at full load`,
          contender,
          unit: 'ms',
          summary: summarize(s.map((x) => x.saturatedP99Ms)),
        },
      );
    }
  }
  return rows;
}
