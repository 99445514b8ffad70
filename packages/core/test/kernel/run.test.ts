import { createTestKernel } from '@keel/testing';
import { Module } from '../../src/index.js';

describe('kernel.run()', () => {
  it('starts, shuts down gracefully on SIGTERM and resolves with exit code 0', async () => {
    const log: string[] = [];
    @Module({ name: 'svc' })
    class Svc {
      start() {
        log.push('start');
      }
      stop() {
        log.push('stop');
      }
    }
    const k = createTestKernel({ modules: [Svc] });
    const listenersBefore = process.listenerCount('SIGTERM');
    const running = k.run();
    await k.waitFor(Svc, 'online');
    expect(process.listenerCount('SIGTERM')).toBe(listenersBefore + 1);
    process.emit('SIGTERM', 'SIGTERM');
    await expect(running).resolves.toBe(0);
    expect(log).toEqual(['start', 'stop']);
    expect(process.listenerCount('SIGTERM')).toBe(listenersBefore);
    k.expectNoLeaks();
  });

  it('gives up waiting on a second signal during a slow shutdown, with a non-zero code', async () => {
    @Module({ name: 'slow' })
    class Slow {
      stop() {
        return new Promise<void>(() => undefined);
      }
    }
    const k = createTestKernel({ modules: [Slow], stopTimeout: '30s' });
    const running = k.run();
    await k.waitFor(Slow, 'online');
    process.emit('SIGINT', 'SIGINT');
    await k.clock.settle();
    expect(k.status).toBe('stopping');
    process.emit('SIGINT', 'SIGINT');
    await expect(running).resolves.toBe(130);
    // The shutdown itself still ends within its bounds.
    await k.clock.advance('30s');
    expect(k.status).toBe('stopped');
    k.expectNoLeaks();
  });

  it('resolves with 1 when start fails', async () => {
    @Module({ name: 'broken' })
    class Broken {
      start() {
        throw new Error('no');
      }
    }
    const k = createTestKernel({ modules: [Broken] });
    await expect(k.run()).resolves.toBe(1);
    expect(k.errors).toHaveLength(1);
  });
});
