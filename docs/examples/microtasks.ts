import { Module, ModuleContext } from '@keel/core';
import { createTestKernel } from '@keel/testing';

/** Resizes images in short jobs that share the kernel's microtask slots. */
@Module()
export class Thumbnails {
  /** Microtasks running now, and the most ever seen at once. */
  running = 0;
  peak = 0;
  readonly started: string[] = [];

  constructor(private readonly ctx: ModuleContext) {}

  /** One 300 ms job in a microtask slot; resolves with its result. */
  resize(name: string, priority: 'high' | 'medium' | 'low' = 'medium'): Promise<string> {
    return this.ctx.runMicroTask(
      `resize ${name}`,
      async () => {
        this.started.push(`${name} at ${this.ctx.now() % 100_000}ms`);
        this.peak = Math.max(this.peak, ++this.running);
        try {
          await this.ctx.sleep('300ms');
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
      done(); // idempotent: calling it twice frees one slot only
    }
  }
}

/** Four medium jobs under a limit of 2 run two by two; a high one never waits. */
export async function main() {
  const k = createTestKernel({ modules: [Thumbnails], maxConcurrentMicroTasks: 2 });
  const t0 = k.clock.now();
  await k.start();
  const thumbs = k.module(Thumbnails).instance as Thumbnails;
  const jobs = Promise.all(['a', 'b', 'c', 'd'].map((name) => thumbs.resize(name)));
  const urgent = thumbs.resize('urgent', 'high');
  await k.clock.advance('600ms');
  const results = await Promise.all([jobs, urgent]);
  const startedAt = thumbs.started.map((s) => s.replace(/\d+ms$/, (m) => `${Number.parseInt(m) - (t0 % 100_000)}ms`));
  const converting = thumbs.convert();
  await k.clock.advance('100ms');
  await converting;
  const slots = k.inspect().microtasks;
  await k.shutdown();
  return { results, peak: thumbs.peak, startedAt, slots };
}
