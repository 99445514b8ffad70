import { Module, ModuleContext, type MicroTaskPriority } from '@keel/core';
import { createTestKernel } from '@keel/testing';

/** Resizes images in short jobs that share the kernel's microtask slots. */
@Module()
export class Thumbnails {
  /** Microtasks of this module running now, and the most seen at once. */
  running = 0;
  peak = 0;
  readonly started: Array<{ name: string; at: number }> = [];

  constructor(private readonly ctx: ModuleContext) {}

  /** One job of `duration` in a microtask slot; resolves with its result. */
  resize(
    name: string,
    priority: MicroTaskPriority = 'medium',
    duration = '300ms',
  ): Promise<string> {
    return this.ctx.runMicroTask(
      `resize ${name}`,
      async () => {
        this.started.push({ name, at: this.ctx.now() });
        this.peak = Math.max(this.peak, ++this.running);
        try {
          await this.ctx.sleep(duration);
          return `${name}.thumb.png`;
        } finally {
          this.running--;
        }
      },
      { priority },
    );
  }

  /** Counts work done elsewhere (here: a child process) against the same limit. */
  async convert(): Promise<void> {
    const done = await this.ctx.signalMicroTask({ name: 'ffmpeg' });
    try {
      await this.ctx.sleep('100ms'); // stands for waiting on the child process
    } finally {
      done(); // idempotent: a second call frees nothing more
    }
  }
}

/** Four medium jobs under a limit of 2 run two by two; a high one never waits. */
export async function limit() {
  const k = createTestKernel({ modules: [Thumbnails], maxConcurrentMicroTasks: 2 });
  const t0 = k.clock.now();
  await k.start();
  const thumbs = k.module(Thumbnails).instance as Thumbnails;
  const jobs = Promise.all(['a', 'b', 'c', 'd'].map((name) => thumbs.resize(name)));
  const urgent = thumbs.resize('urgent', 'high');
  await k.clock.advance('600ms');
  const results = await Promise.all([jobs, urgent]);
  const converting = thumbs.convert();
  await k.clock.advance('100ms');
  await converting;
  const slots = k.inspect().microtasks;
  await k.shutdown();
  return {
    results,
    peak: thumbs.peak,
    started: thumbs.started.map((s) => `${s.name} at ${s.at - t0} ms`),
    slots,
  };
}

/** Both slots are busy for 5 s: a medium job runs anyway after its 1 s max delay. */
export async function maxDelay() {
  const k = createTestKernel({ modules: [Thumbnails], maxConcurrentMicroTasks: 2 });
  const t0 = k.clock.now();
  await k.start();
  const thumbs = k.module(Thumbnails).instance as Thumbnails;
  const all = Promise.all([
    thumbs.resize('poster-1', 'medium', '5s'),
    thumbs.resize('poster-2', 'medium', '5s'),
    thumbs.resize('icon', 'medium'),
    thumbs.resize('banner', 'low'),
  ]);
  await k.clock.advance('6s');
  await all;
  await k.shutdown();
  return {
    started: thumbs.started.map((s) => `${s.name} at ${s.at - t0} ms`),
    overdue: k.inspect().microtasks.overdue,
  };
}

/** Runs every scenario of this page. */
export async function main() {
  return { limit: await limit(), maxDelay: await maxDelay() };
}
