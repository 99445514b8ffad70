import { Module, ModuleContext, Task, type FailureState } from '@keel/core';
import { createTestKernel } from '@keel/testing';

/** Reads the free disk space; a plain class, replaced in tests. */
export class DiskProbe {
  freePercent(): number {
    return 50;
  }
}

/** Checks the disk every minute and tells operators how it looks. */
@Module()
export class Disk {
  constructor(
    private readonly probe: DiskProbe,
    private readonly ctx: ModuleContext,
  ) {}

  @Task({ every: '1m', runOnStart: true })
  check(): void {
    const free = this.probe.freePercent();
    if (free < 2) {
      this.ctx.error('disk-full', 'Disk full', `Only ${free}% free: writes will fail.`);
    } else if (free < 10) {
      this.ctx.warning('disk-low', 'Disk space low', `${free}% free.`);
    } else {
      this.ctx.resolve(); // whatever was set: the disk is fine again
    }
  }
}

/** The disk fills up and is cleaned; every change of Disk's failure state is listed. */
export async function main() {
  const readings = [50, 8, 7, 1, 40];
  const probe: DiskProbe = { freePercent: () => readings.shift() ?? 40 };
  const k = createTestKernel({
    modules: [Disk],
    overrides: [{ provide: DiskProbe, useValue: probe }],
  });
  const changes: FailureState[] = [];
  k.on('failure', (_module, state) => changes.push(state));
  await k.start();
  await k.clock.advance('3m'); // checks at 1, 2 and 3 minutes: 8 %, 7 %, 1 %
  const worst = k.inspect().failure;
  const now = k.module(Disk).failure;
  await k.clock.advance('1m'); // 40 %
  await k.shutdown();
  return { changes: changes.map((s) => `${s.status} ${s.id}`), worst, now };
}
