import 'reflect-metadata';
import { Module, ModuleContext, OnEvent, Task, Worker, type ModuleClass } from '@keel/core';

/** What the soak's modules did; plain counters, so the soak itself holds no growing state. */
export interface SoakCounters {
  taskRuns: number;
  microtasks: number;
  hookRuns: number;
  workerFailures: number;
  starts: number;
  stops: number;
}

export function newCounters(): SoakCounters {
  return { taskRuns: 0, microtasks: 0, hookRuns: 0, workerFailures: 0, starts: 0, stops: 0 };
}

/** A seeded PRNG (mulberry32): the same seed builds the same graph and churn. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Instance = { readonly ctx: ModuleContext; state: number[] | undefined };
type MethodDecorator = (target: object, key: string, descriptor?: PropertyDescriptor) => void;

/** Resolves after `ms` of real time, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function decorate(decorator: MethodDecorator, proto: object, key: string): void {
  decorator(proto, key, Object.getOwnPropertyDescriptor(proto, key));
}

/**
 * `count` modules on a random DAG (each depends on up to two of the 50 before it), each with
 * a repeating task (10 ms for one in ten, else 100 ms or 1 s) that uses a microtask now and
 * then and triggers its `tick` event, a hook on a dependency's `tick` (failing 1 time in
 * 200), and for some a worker: one in twenty fails every 0.1–1 s and is restarted, one in
 * ten runs until its module stops.
 */
export function buildSoakModules(
  count: number,
  random: () => number,
  counters: SoakCounters,
): ModuleClass[] {
  const classes: ModuleClass[] = [];
  for (let i = 0; i < count; i++) {
    const name = `s${i}`;
    const cls = {
      [name]: class {
        state: number[] | undefined;
        constructor(readonly ctx: ModuleContext) {}
      },
    }[name]!;
    Reflect.defineMetadata('design:paramtypes', [ModuleContext], cls);
    const proto = cls.prototype as unknown as Record<string, unknown>;

    proto.start = function (this: Instance): void {
      counters.starts++;
      this.state = Array.from({ length: 64 }, (_, k) => k); // some per-run state to free
    };
    proto.stop = function (this: Instance): void {
      counters.stops++;
      this.state = undefined;
    };

    const every = random() < 0.1 ? 10 : random() < 0.5 ? 100 : 1000;
    let runs = 0;
    proto.tick = async function (this: Instance, signal: AbortSignal): Promise<void> {
      counters.taskRuns++;
      if (++runs % 3 === 0) {
        await this.ctx.runMicroTask('work', () => {
          counters.microtasks++;
          return this.state?.reduce((a, b) => a + b, 0) ?? 0;
        });
      }
      if (!signal.aborted) void this.ctx.triggerEvent('tick', runs);
    };
    decorate(Task({ every }), proto, 'tick');

    const lo = Math.max(0, i - 50);
    const deps =
      i === 0
        ? []
        : [
            ...new Set(
              [0, 1].filter(() => random() < 0.7).map(() => lo + Math.floor(random() * (i - lo))),
            ),
          ];
    if (deps.length > 0) {
      proto.onTick = function (): void {
        counters.hookRuns++;
        if (random() < 0.005) throw new Error('hook failed (planned)');
      };
      decorate(OnEvent(`s${deps[0]!}`, 'tick'), proto, 'onTick');
    }

    const kind = random();
    if (kind < 0.05) {
      proto.flaky = async function (signal: AbortSignal): Promise<void> {
        await pause(100 + random() * 900, signal);
        if (signal.aborted) return;
        counters.workerFailures++;
        throw new Error('worker failed (planned)');
      };
      decorate(Worker({ backoff: '100ms', maxBackoff: '1s' }), proto, 'flaky');
    } else if (kind < 0.15) {
      proto.steady = (signal: AbortSignal): Promise<void> => pause(2 ** 31 - 1, signal);
      decorate(Worker({ restart: 'never' }), proto, 'steady');
    }

    Module({ name, dependsOn: deps.map((d) => classes[d]!), events: ['tick'] })(cls);
    classes.push(cls);
  }
  return classes;
}
