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
 * group. Per round and contender: `events` triggers, 100 at a time while the consumers run;
 * throughput is events ÷ (last hook run − first trigger); latency is trigger call → hook
 * start, for every delivery. Contenders alternate within each round.
 */
export interface FleetEventsArgs {
  events?: number;
  rounds?: number;
  modes?: FleetEventsMode[];
}

export const FLEET_EVENTS_CONTENDERS = ['keel', 'raw ioredis streams'] as const;
export type FleetEventsContender = (typeof FLEET_EVENTS_CONTENDERS)[number];
export type FleetEventsMode = 'all' | 'one';

interface Sample {
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

  sample(events: number, t0: number): Sample {
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

/** Triggers `n` events 100 at a time (awaiting each batch), then waits for every hook run. */
async function drive(
  n: number,
  tracker: Tracker,
  trigger: (i: number) => Promise<void>,
): Promise<Sample> {
  const t0 = performance.now();
  for (let i = 0; i < n; i += BATCH) {
    const sends: Promise<void>[] = [];
    for (let k = i; k < Math.min(n, i + BATCH); k++) {
      tracker.triggeredAt[k] = performance.now();
      sends.push(trigger(k));
    }
    await Promise.all(sends);
  }
  await withTimeout(tracker.done, 60_000, 'every hook run');
  return tracker.sample(n, t0);
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

async function keelRound(
  url: string,
  service: string,
  mode: FleetEventsMode,
  n: number,
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
    return Source as ModuleClass;
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
    return Hooks as ModuleClass;
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
    // Warm-up: every reader has its group and has delivered before timing starts.
    const warm = new Tracker(WARMUP_EVENTS, WARMUP_EVENTS * perEvent);
    sink.current = (i) => warm.hook(i);
    await drive(WARMUP_EVENTS, warm, (i) => ctx.triggerEvent('tick', { i }, { fleet: true }));
    const tracker = new Tracker(n, n * perEvent);
    sink.current = (i) => tracker.hook(i);
    return await drive(n, tracker, (i) => ctx.triggerEvent('tick', { i }, { fleet: true }));
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

async function rawRound(
  url: string,
  service: string,
  mode: FleetEventsMode,
  n: number,
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
    const warm = new Tracker(WARMUP_EVENTS, WARMUP_EVENTS * perEvent);
    sink.current = (i) => warm.hook(i);
    await drive(WARMUP_EVENTS, warm, trigger);
    const tracker = new Tracker(n, n * perEvent);
    sink.current = (i) => tracker.hook(i);
    return await drive(n, tracker, trigger);
  } finally {
    sink.current = undefined;
    await Promise.all(consumers.map((c) => c.stop()));
    producer.disconnect();
  }
}

export async function fleetEventsScenario(args: FleetEventsArgs = {}): Promise<FleetEventsResult> {
  const n = args.events ?? 5_000;
  const rounds = args.rounds ?? 3;
  const modes = args.modes ?? ['all', 'one'];
  let redis;
  try {
    redis = await startRedisServer();
  } catch (err) {
    return { skipped: `no redis-server: ${String(err)}`, samples: {} };
  }
  const samples: FleetEventsResult['samples'] = {};
  let seq = 0;
  try {
    for (const mode of modes) {
      const perMode = (samples[mode] = { keel: [], 'raw ioredis streams': [] } as Record<
        FleetEventsContender,
        Sample[]
      >);
      // Round 0 warms up (JIT, connections) and is dropped.
      for (let round = 0; round <= rounds; round++) {
        const order =
          round % 2 === 0 ? FLEET_EVENTS_CONTENDERS : [...FLEET_EVENTS_CONTENDERS].reverse();
        for (const contender of order) {
          seq += 1;
          const service = `fe${seq}`;
          const sample =
            contender === 'keel'
              ? await keelRound(redis.url, service, mode, n)
              : await rawRound(redis.url, service, mode, n);
          if (round > 0) perMode[contender].push(sample);
        }
      }
    }
  } finally {
    await redis.stop();
  }
  return { samples };
}

/** Rows: events/s (higher is better), p50 and p99 trigger→hook per mode. */
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
          scenario: `${base}, trigger→hook p50`,
          contender,
          unit: 'ms',
          summary: summarize(s.map((x) => x.p50Ms)),
        },
        {
          scenario: `${base}, trigger→hook p99`,
          contender,
          unit: 'ms',
          summary: summarize(s.map((x) => x.p99Ms)),
        },
      );
    }
  }
  return rows;
}
