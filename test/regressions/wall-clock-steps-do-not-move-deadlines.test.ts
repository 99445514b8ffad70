import { Module, ModuleContext, type TaskHandle } from '@keel/core';
import { createTestKernel } from '@keel/testing';

// Issue 13, item 8. Deadlines and intervals ran on wall time: stepping the wall clock back
// (an NTP step, clock.set() in a test) froze every schedule and deadline for the size of
// the step, and a step forward fired them all at once. They now run on the clock's
// monotonic time; only cron and schedule(date) follow the wall clock.

const HOUR = 3_600_000;

class Ticker {
  runs: number[] = [];
  repeating!: TaskHandle;
  dated!: TaskHandle;
  constructor(readonly ctx: ModuleContext) {}
  start(): void {
    this.repeating = this.ctx
      .newTask('tick', () => void this.runs.push(this.ctx.now()))
      .repeat('1m');
  }
}
Reflect.defineMetadata('design:paramtypes', [ModuleContext], Ticker);
Module({ name: 'ticker' })(Ticker);

class Hung {
  stop(): Promise<void> {
    return new Promise<void>(() => undefined);
  }
}
Module({ name: 'hung' })(Hung);

describe('a wall-clock step', () => {
  it('back does not freeze an interval', async () => {
    const k = createTestKernel({ modules: [Ticker] });
    await k.start();
    const t = k.get(Ticker);
    await k.clock.advance('30s');
    k.clock.stepWall(-HOUR);
    await k.clock.advance('31s');
    expect(t.runs).toHaveLength(1);
    await k.shutdown();
    k.expectNoLeaks();
  });

  it('forward does not fire an interval early', async () => {
    const k = createTestKernel({ modules: [Ticker] });
    await k.start();
    const t = k.get(Ticker);
    await k.clock.advance('10s');
    k.clock.stepWall(HOUR);
    // Anything that re-arms the kernel's timer (here a sleep) must not fire the tick.
    void t.ctx.sleep('1s');
    await k.clock.advance('2s');
    expect(t.runs).toHaveLength(0);
    await k.clock.advance('50s');
    expect(t.runs).toHaveLength(1);
    await k.shutdown();
    k.expectNoLeaks();
  });

  it('back does not freeze a stop deadline', async () => {
    const k = createTestKernel({ modules: [Hung], stopTimeout: '5s', shutdownTimeout: '1m' });
    await k.start();
    let done = false;
    const stopping = k.shutdown().then(() => (done = true));
    await k.clock.advance('1s');
    k.clock.stepWall(-HOUR);
    await k.clock.advance('5s');
    expect(done).toBe(true);
    await stopping;
    expect(k.errors.map((e) => (e.cause as { code?: string }).code)).toEqual(['E_TIMEOUT']);
    k.expectNoLeaks();
  });

  it('back delays schedule(date) until the wall clock reaches the date', async () => {
    const k = createTestKernel({ modules: [Ticker] });
    await k.start();
    const t = k.get(Ticker);
    t.repeating.cancel();
    const at = new Date(k.clock.now() + 60_000);
    t.ctx.newTask('dated', () => void t.runs.push(t.ctx.now())).schedule(at);
    k.clock.stepWall(-HOUR);
    await k.clock.advance('2m');
    expect(t.runs).toHaveLength(0);
    expect(t.ctx.kernel.inspect().modules['ticker']?.tasks[0]?.nextRunAt).toBe(at.toISOString());
    await k.clock.advance(HOUR);
    expect(t.runs).toEqual([at.getTime()]);
    await k.shutdown();
    k.expectNoLeaks();
  });
});
