import { createTestKernel } from '@keel/testing';
import { Module, Worker, type KernelEvent } from '../../src/index.js';

describe('telemetry', () => {
  it('publishes every kernel event as one union, with durations and restarts', async () => {
    let failures = 0;
    @Module({ name: 'pump' })
    class Pump {
      @Worker({ backoff: '1s' })
      async run() {
        if (++failures <= 2) throw new Error(`fail ${failures}`);
      }
    }
    const k = createTestKernel({ modules: [Pump] });
    const events: KernelEvent[] = [];
    k.on('telemetry', (event) => events.push(event));
    await k.start();
    await k.clock.advance('5s');
    await k.shutdown();
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('kernel-status');
    expect(types).toContain('module-error');
    expect(events.filter((e) => e.type === 'worker-restarting')).toEqual([
      {
        type: 'worker-restarting',
        module: 'pump',
        worker: 'run',
        failures: 1,
        delayMs: 1000,
        immediate: false,
      },
      {
        type: 'worker-restarting',
        module: 'pump',
        worker: 'run',
        failures: 2,
        delayMs: 2000,
        immediate: false,
      },
    ]);
    const online = events.find((e) => e.type === 'module-status' && e.to === 'online');
    expect(online).toMatchObject({
      module: 'pump',
      from: 'starting',
      durationMs: expect.any(Number),
    });
    expect(events.at(-1)).toEqual({ type: 'kernel-status', from: 'stopping', to: 'stopped' });
    expect(k.logs.some((line) => line['msg'] === 'worker run restarting in 2000 ms')).toBe(true);
  });

  it('rejects an unknown kind', () => {
    const k = createTestKernel({ modules: [] });
    expect(() => k.on('nope' as 'status', () => undefined)).toThrow(
      expect.objectContaining({ code: 'E_INVALID_OPTION' }),
    );
  });
});
