import { pino } from 'pino';
import type { WorkOwner, WorkRecord } from '../../src/work/work-owner.js';
import { ModuleError, type TaskType } from '../../src/errors/module-error.js';
import type { ModuleStatus } from '../../src/work/module-status.js';

/** A module as work managers see it, driven by the test. */
export class FakeOwner implements WorkOwner {
  readonly logger = pino({ level: 'silent' });
  readonly reports: ModuleError[] = [];
  /** Work currently counted by begin(), by kind. */
  readonly active = new Map<TaskType, number>();
  private controller = new AbortController();
  private waiters: Array<(online: boolean) => void> = [];

  constructor(
    readonly name = 'mod',
    public status: ModuleStatus = 'online',
    readonly index = 0,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get onlineSoon(): boolean {
    return (this.status === 'online' || this.status === 'starting') && !this.signal.aborted;
  }

  whenOnline(): Promise<boolean> {
    if (this.status === 'online') return Promise.resolve(true);
    if (!this.onlineSoon) return Promise.resolve(false);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  begin(kind: TaskType, _name: string): () => void {
    this.active.set(kind, (this.active.get(kind) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.active.set(kind, (this.active.get(kind) ?? 0) - 1);
    };
  }

  enter(record: WorkRecord, kind: TaskType, name: string): void {
    if (!record.ended) this.leave(record);
    record.kind = kind;
    record.name = name;
    record.ended = false;
    this.active.set(kind, (this.active.get(kind) ?? 0) + 1);
  }

  leave(record: WorkRecord): void {
    if (record.ended) return;
    record.ended = true;
    this.active.set(record.kind, (this.active.get(record.kind) ?? 0) - 1);
  }

  park(record: WorkRecord): void {
    this.leave(record);
  }

  resume(record: WorkRecord): void {
    this.enter(record, record.kind, record.name);
  }

  forget(record: WorkRecord): void {
    this.leave(record);
  }

  report(err: unknown, taskName: string, taskType: TaskType): ModuleError {
    const error = new ModuleError({ module: this.name, taskName, taskType, cause: err });
    this.reports.push(error);
    return error;
  }

  /** Count of running work of a kind. */
  running(kind: TaskType): number {
    return this.active.get(kind) ?? 0;
  }

  goOnline(): void {
    this.status = 'online';
    this.settle(true);
  }

  /** Begins to stop: aborts the signal, as the lifecycle does. */
  beginStop(): void {
    this.status = 'stopping';
    this.settle(false);
    this.controller.abort(new Error('module stopping'));
  }

  /** Stopped, then starting again: a fresh signal. */
  restart(): void {
    this.status = 'starting';
    this.controller = new AbortController();
  }

  private settle(online: boolean): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve(online);
  }
}
