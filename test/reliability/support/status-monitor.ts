import type { ModuleStatus } from '@keel/core';
import type { TestKernel } from '@keel/testing';
import { moduleName, type ModulePlan } from './plan.js';
import type { Recorder } from './recorder.js';

/** The documented module state machine (API.md: dead → preparing → offline → starting → …). */
const LEGAL: Readonly<Record<ModuleStatus, readonly ModuleStatus[]>> = {
  dead: ['preparing'],
  preparing: ['offline', 'dead'],
  offline: ['starting'],
  starting: ['online', 'stopping'],
  online: ['stopping'],
  stopping: ['offline'],
};

const RUNNING = new Set<ModuleStatus>(['starting', 'online']);

/** Per module: how often it entered each status. */
export interface Transitions {
  starting: number;
  online: number;
  stopping: number;
}

/**
 * Checks ordering invariants at every `status` event, while the kernel is in the middle
 * of the move: a module starts only when all its dependencies are online, and stops only
 * when none of its dependents is starting or online. Also counts the moves per module.
 */
export class StatusMonitor {
  readonly counts: Transitions[];
  private readonly last: ModuleStatus[];
  private readonly dependents: number[][];
  private readonly index = new Map<string, number>();

  constructor(
    private readonly kernel: TestKernel,
    private readonly modules: readonly ModulePlan[],
    private readonly recorder: Recorder,
  ) {
    this.counts = modules.map(() => ({ starting: 0, online: 0, stopping: 0 }));
    this.last = modules.map(() => 'dead');
    this.dependents = modules.map(() => []);
    modules.forEach((m, i) => {
      this.index.set(moduleName(i), i);
      for (const d of m.deps) this.dependents[d]!.push(i);
    });
    kernel.on('status', (name, from, to) => this.onStatus(name, from, to));
  }

  private onStatus(name: string, from: ModuleStatus, to: ModuleStatus): void {
    const i = this.index.get(name);
    if (i === undefined) {
      this.recorder.violation(`status event for unknown module "${name}"`);
      return;
    }
    const at = `[t=${this.kernel.clock.now() % 1_000_000}] ${name} ${from}->${to}`;
    if (from !== this.last[i]) this.recorder.violation(`${at}: last event left it ${this.last[i]}`);
    if (!LEGAL[from].includes(to)) this.recorder.violation(`${at}: illegal transition`);
    this.last[i] = to;
    if (this.kernel.module(name).status !== to) {
      this.recorder.violation(`${at}: the handle says ${this.kernel.module(name).status}`);
    }
    if (to === 'starting' || to === 'online' || to === 'stopping') this.counts[i]![to]++;
    if (to === 'starting' || to === 'online') {
      for (const d of this.modules[i]!.deps) {
        const status = this.kernel.module(moduleName(d)).status;
        if (status !== 'online') {
          this.recorder.violation(`${at} while its dependency ${moduleName(d)} is ${status}`);
        }
      }
    }
    if (to === 'stopping') {
      for (const d of this.dependents[i]!) {
        const status = this.kernel.module(moduleName(d)).status;
        if (RUNNING.has(status)) {
          this.recorder.violation(`${at} while its dependent ${moduleName(d)} is ${status}`);
        }
      }
    }
  }
}
