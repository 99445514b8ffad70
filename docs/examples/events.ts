import { defineEvent, Module, ModuleContext, OnEvent } from '@keel/core';
import { createTestKernel } from '@keel/testing';

/** What a price change carries. */
export interface PriceChange {
  sku: string;
  cents: number;
}

/** The `price-changed` event of Catalog, typed: triggers and hooks are checked at compile time. */
export const PriceChanged = defineEvent<PriceChange>(() => Catalog, 'price-changed');

/** Declares its events; `expose: false` keeps the data of `secret-rotated` out of observers. */
@Module({ events: ['price-changed', 'reloaded', { name: 'secret-rotated', expose: false }] })
export class Catalog {
  constructor(private readonly ctx: ModuleContext) {}

  start(): void {
    // Triggered during start-up: hooks run once Catalog and the hooking module are online.
    void this.ctx.triggerEvent('reloaded', { items: 3 });
  }

  /** Settles when every hook has run; never rejects (a failing hook is reported). */
  setPrice(sku: string, cents: number): Promise<void> {
    return this.ctx.triggerEvent(PriceChanged, { sku, cents });
  }

  rotateSecret(): Promise<void> {
    return this.ctx.triggerEvent('secret-rotated', { key: 's3cr3t' });
  }
}

/** Hooks Catalog's events. A hook runs as a worker of this module. */
@Module()
export class Search {
  readonly seen: string[] = [];

  @OnEvent(Catalog, 'reloaded')
  onReloaded(data: { items: number }): void {
    this.seen.push(`reloaded ${data.items}`);
  }

  @OnEvent(PriceChanged, { description: 'reindex the product' })
  async onPrice(change: PriceChange, signal: AbortSignal): Promise<void> {
    await Promise.resolve(); // e.g. write to the index, honouring `signal`
    if (!signal.aborted) this.seen.push(`reindexed ${change.sku} at ${change.cents}`);
  }

  @OnEvent(PriceChanged)
  failToNotify(): void {
    throw new Error('notification service down'); // reported; other hooks still run
  }
}

/** Triggers Catalog's events and lists what the hooks and an observer saw. */
export async function main() {
  const k = createTestKernel({ modules: [Catalog, Search] });
  const observed: string[] = [];
  k.on('event', (module, event, data, exposed) =>
    observed.push(`${module}/${event} ${exposed ? JSON.stringify(data) : '(hidden)'}`),
  );
  await k.start();
  await k.clock.settle(); // lets the start-up hook run
  const catalog = k.module(Catalog).instance as Catalog;
  await catalog.setPrice('tea', 450);
  await catalog.rotateSecret();
  let unknown: unknown;
  try {
    await k.module(Catalog).triggerEvent('deleted');
  } catch (err) {
    unknown = err;
  }
  await k.shutdown();
  return {
    seen: (k.module(Search).instance as Search).seen,
    observed,
    hookErrors: k.errors.map((e) => `${e.taskType}: ${e.taskName}: ${e.message}`),
    unknown,
  };
}
