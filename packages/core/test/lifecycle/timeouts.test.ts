import { createTestKernel } from '@keel/testing';
import { Module } from '../../src/index.js';

const forever = (): Promise<never> => new Promise(() => undefined);

describe('lifecycle deadlines', () => {
  it('bounds a hung start() by startTimeout and rolls back', async () => {
    const stopped: string[] = [];
    @Module({ name: 'base' })
    class Base {
      stop() {
        stopped.push('base');
      }
    }
    @Module({ name: 'hung', dependsOn: [Base] })
    class Hung {
      start() {
        return forever();
      }
    }
    const k = createTestKernel({ modules: [Hung], startTimeout: '5s' });
    const starting = k.start();
    const outcome = starting.then(
      () => undefined,
      (err: unknown) => err,
    );
    await k.clock.advance('5s');
    const err = await outcome;
    expect(err).toMatchObject({ code: 'E_START_FAILED', module: 'hung' });
    expect((err as Error).cause).toMatchObject({
      code: 'E_TIMEOUT',
      message: expect.stringContaining('5000 ms'),
    });
    expect(stopped).toEqual(['base']);
    expect(k.status).toBe('stopped');
    k.expectNoLeaks();
  });

  it('bounds a hung prep() by startTimeout', async () => {
    @Module({ name: 'slowprep' })
    class SlowPrep {
      prep() {
        return forever();
      }
    }
    const k = createTestKernel({ modules: [SlowPrep], startTimeout: '1s' });
    const outcome = k.start().catch((err: unknown) => err);
    await k.clock.advance('1s');
    expect(await outcome).toMatchObject({ code: 'E_START_FAILED', module: 'slowprep' });
  });

  it('bounds a hung stop() by stopTimeout and goes on with the shutdown', async () => {
    const stopped: string[] = [];
    @Module({ name: 'base' })
    class Base {
      stop() {
        stopped.push('base');
      }
    }
    @Module({ name: 'stuck', dependsOn: [Base] })
    class Stuck {
      stop() {
        return forever();
      }
    }
    const k = createTestKernel({ modules: [Stuck], stopTimeout: '3s' });
    await k.start();
    const down = k.shutdown();
    await k.clock.advance('3s');
    await down;
    expect(stopped).toEqual(['base']);
    expect(k.exitCode).toBe(1);
    expect(k.errors).toEqual([expect.objectContaining({ module: 'stuck', taskType: 'stop' })]);
    expect(k.errors[0]!.message).toContain('stop()');
    k.expectNoLeaks();
  });

  it('bounds the whole shutdown by shutdownTimeout', async () => {
    @Module({ name: 'a' })
    class A {
      stop() {
        return forever();
      }
    }
    const k = createTestKernel({ modules: [A], stopTimeout: '1h', shutdownTimeout: '10s' });
    await k.start();
    const down = k.shutdown();
    await k.clock.advance('10s');
    await down;
    expect(k.status).toBe('stopped');
    expect(k.module('a').status).toBe('offline');
    expect(k.exitCode).toBe(1);
    expect(k.errors.some((e) => e.module === 'a' && e.message.includes('shutdownTimeout'))).toBe(
      true,
    );
    k.expectNoLeaks();
  });
});
