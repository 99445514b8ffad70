import { Module, ModuleContext, OnEvent, Task, type Clock } from '@keel/core';
import { createTestKernel, type TestKernel } from '@keel/testing';

const CLOCK = 'clock';

@Module({ name: 'config', events: ['changed'] })
class Config {
  constructor(private readonly ctx: ModuleContext) {}
  describe(): string {
    return this.ctx.name;
  }
}

@Module({ name: 'silent', events: ['changed'] })
class Silent {}

@Module({ name: 'api' })
class Api {
  seen: unknown[] = [];
  constructor(private readonly ctx: ModuleContext) {}

  @OnEvent(Config, 'changed')
  async reload(data: unknown): Promise<void> {
    // A hook that takes two seconds of (fake) time.
    const clock = this.ctx.kernel.get<Clock>(CLOCK);
    await new Promise<void>((resolve) => clock.setTimeout(resolve, 2000));
    this.seen.push(data);
  }

  @OnEvent(Silent, 'changed')
  onSilent(data: unknown): void {
    this.seen.push(data);
  }
}

describe('trigger', () => {
  let k: TestKernel;
  beforeEach(async () => {
    const holder: { clock?: Clock } = {};
    k = createTestKernel({
      modules: [Config, Silent, Api],
      providers: [{ provide: CLOCK, useFactory: () => holder.clock }],
    });
    holder.clock = k.clock;
    await k.start();
  });
  afterEach(async () => {
    await k.shutdown();
    k.expectNoLeaks();
  });

  it("triggers an event on the module's behalf and waits for its hooks, within `timeout` of fake time", async () => {
    const api = k.module(Api).instance as Api;
    await k.trigger(Config, 'changed', { port: 8080 }, { timeout: '5s' });
    expect(api.seen).toEqual([{ port: 8080 }]);
    expect(k.clock.now()).toBe(Date.UTC(2026, 0, 1) + 2000);
    k.expectNoErrors();
  });

  it('rejects instead of hanging when the hooks need more fake time than allowed', async () => {
    await expect(k.trigger('config', 'changed', 1)).rejects.toThrow(
      /hooks on "config\/changed" did not finish within 0 ms of fake time; the next fake timer is due in 2000 ms/,
    );
    await k.clock.advance('2s');
    expect((k.module(Api).instance as Api).seen).toEqual([1]);
  });

  it('rejects an undeclared event with E_EVENT_UNKNOWN', async () => {
    await expect(k.trigger(Config, 'deleted', 1)).rejects.toMatchObject({
      code: 'E_EVENT_UNKNOWN',
    });
  });

  it('triggers the event of a module that keeps no ModuleContext', async () => {
    await k.trigger(Silent, 'changed', 1);
    expect((k.module(Api).instance as Api).seen).toEqual([1]);
    expect((k.module(Config).instance as Config).describe()).toBe('config');
  });
});

describe('runTask', () => {
  @Module({ name: 'reports' })
  class Reports {
    made: number[] = [];
    constructor(private readonly ctx: ModuleContext) {}

    @Task({ every: '1d' })
    async nightly(): Promise<void> {
      this.made.push(this.ctx.now());
    }
  }

  it('runs a declared task now and waits for the run to end', async () => {
    const k = createTestKernel({ modules: [Reports] });
    await k.start();
    const task = await k.runTask(Reports, 'nightly');
    expect(task.runs).toBe(1);
    expect((k.module(Reports).instance as Reports).made).toEqual([Date.UTC(2026, 0, 1)]);
    await expect(k.runTask(Reports, 'weekly')).rejects.toThrow(/no task "weekly"/);
    await k.shutdown();
    k.expectNoLeaks();
  });
});
