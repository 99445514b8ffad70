import { Module, ModuleContext, OnEvent, Task } from '@keel/core';
import { createTestKernel } from '@keel/testing';

// Issue 13, item 16: `await this.ctx.kernel.shutdown()` from a module's own start(), task,
// hook or stop() waited for itself: the shutdown waited for the step (or the work) that
// awaited the shutdown. It hung until shutdownTimeout / the stop's share for work, then
// blamed the module ("Shutdown overran ... while module "boss" was starting", or "stopped
// with work still running"). Now the module that asks is detached: the kernel stops
// everything without waiting for it, and the caller's await resolves once it is done.

const TIMEOUTS = { startTimeout: '1h', stopTimeout: '1h', shutdownTimeout: '1h' } as const;

describe('await ctx.kernel.shutdown() from inside a module', () => {
  it('from start(): the shutdown completes at once, nobody is blamed', async () => {
    const order: string[] = [];
    @Module({ name: 'db' })
    class Db {
      start() {
        order.push('db start');
      }
      stop() {
        order.push('db stop');
      }
    }
    @Module({ name: 'boss', dependsOn: [Db] })
    class Boss {
      constructor(private readonly ctx: ModuleContext) {}
      async start() {
        order.push('boss asks');
        await this.ctx.kernel.shutdown();
        order.push(`boss resumes: kernel ${this.ctx.kernel.status}`);
      }
      stop() {
        order.push('boss stop');
      }
    }
    const k = createTestKernel({ modules: [Db, Boss], ...TIMEOUTS });
    const started = k.start().then(
      () => 'started',
      (err: { code?: string; module?: string }) => `${err.code} ${String(err.module)}`,
    );
    // No clock time passes: nothing waits for a deadline.
    await k.clock.advance(0);
    expect(await started).toBe('E_START_FAILED undefined');
    expect(k.status).toBe('stopped');
    expect(order).toEqual(['db start', 'boss asks', 'db stop', 'boss resumes: kernel stopped']);
    expect(k.errors).toEqual([]);
    expect(k.exitCode).toBe(0);
    k.expectNoLeaks();
  });

  it('from a task: the module stops without waiting for that task', async () => {
    const order: string[] = [];
    @Module({ name: 'job' })
    class Job {
      constructor(private readonly ctx: ModuleContext) {}
      @Task({ every: '1m' })
      async tick() {
        order.push('tick asks');
        await this.ctx.kernel.shutdown();
        order.push(`tick resumes: ${this.ctx.status}`);
      }
      stop() {
        order.push('job stop');
      }
    }
    const k = createTestKernel({ modules: [Job], ...TIMEOUTS });
    await k.start();
    await k.clock.advance('1m');
    await k.clock.advance(0);
    expect(k.status).toBe('stopped');
    expect(order).toEqual(['tick asks', 'job stop', 'tick resumes: offline']);
    expect(k.errors).toEqual([]);
    expect(k.exitCode).toBe(0);
  });

  it('a module that asked from a task still has its own stop() waited for', async () => {
    const order: string[] = [];
    @Module({ name: 'drain' })
    class Drain {
      constructor(private readonly ctx: ModuleContext) {}
      @Task({ every: '1m' })
      async tick() {
        await this.ctx.kernel.shutdown();
        order.push('tick resumes');
      }
      async stop() {
        await this.ctx.sleep('2s', { signal: null });
        order.push('drained');
      }
    }
    const k = createTestKernel({ modules: [Drain], ...TIMEOUTS });
    await k.start();
    await k.clock.advance('1m');
    expect(k.status).toBe('stopping');
    await k.clock.advance('2s');
    expect(k.status).toBe('stopped');
    expect(order).toEqual(['drained', 'tick resumes']);
  });

  it('from a hook: the hooking module stops without waiting for its hook', async () => {
    const order: string[] = [];
    @Module({ name: 'bell', events: ['ring'] })
    class Bell {}
    @Module({ name: 'ear', dependsOn: [Bell] })
    class Ear {
      constructor(private readonly ctx: ModuleContext) {}
      @OnEvent(Bell, 'ring')
      async heard() {
        order.push('ear asks');
        await this.ctx.kernel.shutdown();
        order.push('ear resumes');
      }
      stop() {
        order.push('ear stop');
      }
    }
    const k = createTestKernel({ modules: [Bell, Ear], ...TIMEOUTS });
    await k.start();
    // Triggered from outside: nothing of the kernel awaits the hook but its module's stop.
    const rung = k.module('bell').triggerEvent('ring');
    await k.clock.advance(0);
    await rung;
    expect(k.status).toBe('stopped');
    expect(order).toEqual(['ear asks', 'ear stop', 'ear resumes']);
    expect(k.errors).toEqual([]);
  });

  it('from stop() during a shutdown: the same shutdown, not waited for', async () => {
    @Module({ name: 'late' })
    class Late {
      constructor(private readonly ctx: ModuleContext) {}
      async stop() {
        await this.ctx.kernel.shutdown();
      }
    }
    const k = createTestKernel({ modules: [Late], ...TIMEOUTS });
    await k.start();
    const done = k.shutdown();
    await k.clock.advance(0);
    await done;
    expect(k.status).toBe('stopped');
    expect(k.errors).toEqual([]);
    k.expectNoLeaks();
  });

  it('a shutdown from outside still waits for a slow start', async () => {
    @Module({ name: 'slow' })
    class Slow {
      constructor(private readonly ctx: ModuleContext) {}
      async start() {
        await this.ctx.sleep('5s', { signal: null });
      }
    }
    const k = createTestKernel({ modules: [Slow], ...TIMEOUTS });
    const started = k.start().catch(() => undefined);
    await k.clock.advance(0);
    const done = k.shutdown();
    await k.clock.advance('4s');
    expect(k.status).toBe('stopping');
    await k.clock.advance('1s');
    await done;
    await started;
    expect(k.status).toBe('stopped');
  });
});
