import { Module, ModuleContext } from '@keel/core';
import { createTestKernel } from '@keel/testing';

describe('stop order', () => {
  it('independent modules stop in the exact reverse of the order their starts completed', async () => {
    const log: string[] = [];
    const slow = (name: string, ms: number) => {
      @Module({ name })
      class Slow {
        constructor(private readonly ctx: ModuleContext) {}
        async start() {
          await this.ctx.sleep(ms);
          log.push(`started ${name}`);
        }
        stop() {
          log.push(`stop ${name}`);
        }
      }
      return Slow;
    };
    // Graph order a, b, c; starts complete b (1 s), c (2 s), a (3 s).
    const k = createTestKernel({
      modules: [slow('a', 3000), slow('b', 1000), slow('c', 2000)],
    });
    const started = k.start();
    await k.clock.advance('3s');
    await started;
    await k.shutdown();
    expect(log).toEqual(['started b', 'started c', 'started a', 'stop a', 'stop c', 'stop b']);
  });

  it('a module restarted since stops first: its start completed last', async () => {
    const log: string[] = [];
    const plain = (name: string) => {
      @Module({ name })
      class Plain {
        stop() {
          log.push(name);
        }
      }
      return Plain;
    };
    const [a, b, c, d] = [plain('a'), plain('b'), plain('c'), plain('d')];
    const k = createTestKernel({ modules: [a, b, c, d] });
    await k.start();
    // Starts completed a, b, c, d; then b twice and a (the order's numbers have gaps).
    await k.restart(b);
    await k.restart(b);
    await k.restart(a);
    log.length = 0;
    await k.shutdown();
    expect(log).toEqual(['a', 'b', 'd', 'c']);
  });
});
