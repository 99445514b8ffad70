import { EventEmitter } from 'node:events';
import { Module, OnEvent, type ModuleClass } from '@keel/core';
import eventemitter2 from 'eventemitter2';
import { named } from '../contenders/contender.js';
import { startKeelFixture } from '../harness/keel-fixture.js';
import { DEFAULT_MICRO, microBench, type MicroOptions } from '../harness/micro.js';
import type { Row } from '../harness/result.js';

// CommonJS (`module.exports = EventEmitter2`, which also carries itself as `.EventEmitter2`).
const { EventEmitter2 } = eventemitter2;

/**
 * Scenario 2: one event delivered to `hooks` hooks: Keel `ctx.triggerEvent` (awaited; one
 * hook module per hook, `@OnEvent`) vs node `EventEmitter.emit` vs eventemitter2 `emitAsync`
 * (awaited; what @nestjs/event-emitter uses). Twice: trivial synchronous hooks, then `async`
 * hooks (what real hooks are: they do I/O), where every contender awaits every hook.
 */
export interface EventsArgs {
  hooks?: number;
  micro?: MicroOptions;
}

export async function eventsScenario(args: EventsArgs = {}): Promise<Row[]> {
  const hooks = args.hooks ?? 10;
  const scenario = `event to ${hooks} hooks, per trigger`;
  const counter = { n: 0 };
  const payload = { key: 'value' };

  const hookModules: ModuleClass[] = [];
  for (let i = 0; i < hooks; i++) {
    const cls = named(
      class {
        onTick(): void {
          counter.n++;
        }
        // eslint-disable-next-line @typescript-eslint/require-await -- an async hook, on purpose
        async onAsyncTick(): Promise<void> {
          counter.n++;
        }
      },
      `Hook${i}`,
    );
    for (const [method, event] of [
      ['onTick', 'tick'],
      ['onAsyncTick', 'atick'],
    ] as const) {
      const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, method)!;
      OnEvent('bench', event)(cls.prototype, method, descriptor);
    }
    Module({ name: `hook${i}` })(cls);
    hookModules.push(cls);
  }
  const keel = await startKeelFixture({ extra: hookModules, events: ['tick', 'atick'] });

  const emitter = new EventEmitter();
  const ee2 = new EventEmitter2();
  for (let i = 0; i < hooks; i++) {
    emitter.on('tick', () => counter.n++);
    ee2.on('tick', () => counter.n++);
    // eslint-disable-next-line @typescript-eslint/require-await, @typescript-eslint/no-misused-promises -- an async hook; emitAsync awaits it
    ee2.on('atick', async () => {
      counter.n++;
    });
  }

  // Sanity: every contender reaches every hook.
  for (const trigger of [
    () => keel.ctx.triggerEvent('tick', payload),
    () => keel.ctx.triggerEvent('atick', payload),
    () => emitter.emit('tick', payload),
    () => ee2.emitAsync('tick', payload),
    () => ee2.emitAsync('atick', payload),
  ]) {
    counter.n = 0;
    await trigger();
    if (counter.n !== hooks) throw new Error(`expected ${hooks} hook calls, got ${counter.n}`);
  }

  try {
    const asyncRows = await microBench(
      `event to ${hooks} async hooks, awaited, per trigger`,
      [
        { contender: 'keel', op: () => keel.ctx.triggerEvent('atick', payload) },
        { contender: 'eventemitter2 emitAsync', op: () => ee2.emitAsync('atick', payload) },
      ],
      args.micro ?? DEFAULT_MICRO,
    );
    const syncRows = await microBench(
      scenario,
      [
        { contender: 'keel', op: () => keel.ctx.triggerEvent('tick', payload) },
        {
          contender: 'node EventEmitter',
          op: () => emitter.emit('tick', payload),
          batchOp: (count) => {
            for (let i = 0; i < count; i++) emitter.emit('tick', payload);
          },
        },
        { contender: 'eventemitter2 emitAsync', op: () => ee2.emitAsync('tick', payload) },
      ],
      args.micro ?? DEFAULT_MICRO,
    );
    return [...syncRows, ...asyncRows];
  } finally {
    await keel.kernel.shutdown();
  }
}
