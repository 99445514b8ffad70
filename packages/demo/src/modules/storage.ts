import { Module, ModuleContext, OnEvent } from '@keel/core';
import { Config, ConfigChanged, type ConfigChange } from './config.js';

/** One stored item. */
export interface Item {
  readonly id: number;
  readonly text: string;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
}

/** `Storage.add()` on a full store. */
export class StorageFullError extends Error {
  override readonly name = 'StorageFullError';
}

const NEARLY_FULL = 0.8;
const HINT_ID = 'storage-nearly-full';

/**
 * An in-memory key/value store of items. Shows `prep()` validation, a failure-status hint
 * and an `@OnEvent` hook on `Config`'s `changed` event.
 */
@Module()
export class Storage {
  private readonly items = new Map<number, Item>();
  private nextId = 1;
  private maxItems = 0;

  constructor(
    private readonly config: Config,
    private readonly ctx: ModuleContext,
  ) {}

  /** Checks the settings this module needs; a throw here stops the service before it starts. */
  prep(): void {
    const { maxItems } = this.config.settings;
    if (maxItems < 1) {
      throw new Error(`DEMO_MAX_ITEMS is ${maxItems}: the store needs room for at least 1 item.`);
    }
    this.maxItems = maxItems;
  }

  stop(): void {
    this.ctx.logger.info({ items: this.items.size }, 'stopped');
  }

  /** Number of items stored. */
  get size(): number {
    return this.items.size;
  }

  /** Every item, oldest first. */
  list(): Item[] {
    return [...this.items.values()];
  }

  /** Stores a new item. @throws StorageFullError when the store is full. */
  add(text: string): Item {
    if (this.items.size >= this.maxItems) {
      throw new StorageFullError(`the store is full (${this.maxItems} items)`);
    }
    const item: Item = Object.freeze({ id: this.nextId++, text, createdAt: this.ctx.now() });
    this.items.set(item.id, item);
    this.updateHint();
    return item;
  }

  /** Ids of items created before `cutoff`, oldest first. */
  idsOlderThan(cutoff: number): number[] {
    return this.list()
      .filter((item) => item.createdAt < cutoff)
      .map((item) => item.id);
  }

  /** Removes items by id; returns how many were removed. */
  remove(ids: readonly number[]): number {
    let removed = 0;
    for (const id of ids) if (this.items.delete(id)) removed++;
    if (removed > 0) this.updateHint();
    return removed;
  }

  /** Runs when `Config` changes: applies the new limit and drops the oldest items over it. */
  @OnEvent(ConfigChanged)
  onConfigChanged(change: ConfigChange): void {
    this.maxItems = change.settings.maxItems;
    const excess = this.items.size - this.maxItems;
    const dropped =
      excess > 0
        ? this.remove(
            this.list()
              .slice(0, excess)
              .map((i) => i.id),
          )
        : 0;
    this.updateHint();
    this.ctx.logger.info({ maxItems: this.maxItems, dropped }, 'storage limit changed');
  }

  /** A hint while the store is nearly full, resolved once it is not. */
  private updateHint(): void {
    if (this.items.size >= this.maxItems * NEARLY_FULL) {
      this.ctx.hint(
        HINT_ID,
        'Storage nearly full',
        `${this.items.size} of ${this.maxItems} items used.`,
      );
    } else {
      this.ctx.resolve(HINT_ID);
    }
  }
}
