import { KeelError } from '@keel/core';
import { FakeClock, DEFAULT_FAKE_NOW } from '@keel/testing';

const T0 = Date.UTC(2026, 0, 1);

describe('FakeClock', () => {
  it('starts at the given time, by default 2026-01-01T00:00:00Z', () => {
    expect(new FakeClock().now()).toBe(T0);
    expect(DEFAULT_FAKE_NOW).toBe(T0);
    expect(new FakeClock(new Date('2030-05-06T07:08:09Z')).now()).toBe(
      Date.parse('2030-05-06T07:08:09Z'),
    );
  });

  it('never touches the global timers or Date', async () => {
    const globals = [
      globalThis.setTimeout,
      globalThis.clearTimeout,
      globalThis.setImmediate,
      globalThis.Date,
      globalThis.queueMicrotask,
    ];
    const clock = new FakeClock(0);
    clock.setTimeout(() => undefined, 10);
    await clock.advance('1d');
    expect([
      globalThis.setTimeout,
      globalThis.clearTimeout,
      globalThis.setImmediate,
      globalThis.Date,
      globalThis.queueMicrotask,
    ]).toEqual(globals);
    expect(Date.now()).toBeGreaterThan(Date.UTC(2020, 0, 1));
  });

  it('fires due timers in due order (creation order for equal times), reading their due time', async () => {
    const clock = new FakeClock(0);
    const fired: Array<[string, number]> = [];
    const at = (name: string, ms: number): unknown =>
      clock.setTimeout(() => fired.push([name, clock.now()]), ms);
    at('c', 30);
    at('a', 10);
    at('b1', 20);
    at('b2', 20);
    at('late', 31);
    await clock.advance(30);
    expect(fired).toEqual([
      ['a', 10],
      ['b1', 20],
      ['b2', 20],
      ['c', 30],
    ]);
    expect(clock.now()).toBe(30);
    expect(clock.pendingTimers).toBe(1);
  });

  it('accepts Duration strings and moves exactly that far', async () => {
    const clock = new FakeClock(T0);
    await clock.advance('1h');
    expect(clock.now()).toBe(T0 + 3_600_000);
    await clock.advance('250ms');
    await clock.advance('2s');
    await clock.advance('1d');
    expect(clock.now()).toBe(T0 + 3_600_000 + 250 + 2000 + 86_400_000);
  });

  it('rejects a bad duration with E_INVALID_DURATION', async () => {
    const clock = new FakeClock(0);
    await expect(clock.advance('soon')).rejects.toMatchObject({ code: 'E_INVALID_DURATION' });
    await expect(clock.advance(-1)).rejects.toBeInstanceOf(KeelError);
  });

  it('fires timers created on the way when they fall within the range', async () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    const tick = (): void => {
      fired.push(clock.now());
      clock.setTimeout(tick, 100);
    };
    clock.setTimeout(tick, 100);
    await clock.advance(350);
    expect(fired).toEqual([100, 200, 300]);
    expect(clock.nextTimerAt).toBe(400);
  });

  it('lets an async body started by a timer finish before the next timer fires', async () => {
    const clock = new FakeClock(0);
    const log: string[] = [];
    clock.setTimeout(() => {
      void (async () => {
        log.push('a start');
        for (let i = 0; i < 20; i++) await Promise.resolve();
        await new Promise<void>((resolve) => setImmediate(resolve)); // one real macrotask hop
        log.push('a end');
      })();
    }, 10);
    clock.setTimeout(() => log.push('b'), 11);
    await clock.advance(11);
    expect(log).toEqual(['a start', 'a end', 'b']);
  });

  it('settles work started by the last timer before advance() resolves', async () => {
    const clock = new FakeClock(0);
    let done = false;
    clock.setTimeout(() => {
      void Promise.resolve()
        .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
        .then(() => {
          done = true;
        });
    }, 1000);
    await clock.advance('1s');
    expect(done).toBe(true);
  });

  it('fires timers armed from promise work of an earlier timer in the same advance', async () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => {
      void Promise.resolve().then(() => clock.setTimeout(() => fired.push(clock.now()), 5));
    }, 10);
    await clock.advance(15);
    expect(fired).toEqual([15]);
  });

  it('counts a delay below 1 ms as 1 ms, as Node does', async () => {
    const clock = new FakeClock(0);
    let at = -1;
    clock.setTimeout(() => (at = clock.now()), 0);
    expect(clock.nextTimerAt).toBe(1);
    await clock.advance(0);
    expect(at).toBe(-1);
    await clock.advance(1);
    expect(at).toBe(1);
  });

  it('clearTimeout cancels, and pendingTimers counts what is left', async () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    const a = clock.setTimeout(() => fired.push('a'), 10);
    clock.setTimeout(() => fired.push('b'), 20);
    expect(clock.pendingTimers).toBe(2);
    clock.clearTimeout(a);
    clock.clearTimeout(a); // twice is harmless
    clock.clearTimeout(undefined);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(100);
    expect(fired).toEqual(['b']);
    expect(clock.pendingTimers).toBe(0);
    expect(clock.nextTimerAt).toBeUndefined();
  });

  it('advanceTo() moves to an absolute time', async () => {
    const clock = new FakeClock(T0);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 60_000);
    await clock.advanceTo(new Date(T0 + 120_000));
    expect(fired).toEqual([T0 + 60_000]);
    expect(clock.now()).toBe(T0 + 120_000);
    await clock.advanceTo(T0); // the past: nothing moves
    expect(clock.now()).toBe(T0 + 120_000);
  });

  describe('set()', () => {
    it('jumps the time without firing, and pending timers keep their remaining delay', async () => {
      const clock = new FakeClock(T0);
      const fired: number[] = [];
      clock.setTimeout(() => fired.push(clock.now()), 10_000);
      clock.set(new Date(T0 + 86_400_000));
      expect(clock.now()).toBe(T0 + 86_400_000);
      expect(fired).toEqual([]);
      expect(clock.nextTimerAt).toBe(T0 + 86_400_000 + 10_000);
      await clock.advance(9_999);
      expect(fired).toEqual([]);
      await clock.advance(1);
      expect(fired).toEqual([T0 + 86_400_000 + 10_000]);
    });

    it('can go back in time', () => {
      const clock = new FakeClock(T0);
      clock.set(T0 - 1000);
      expect(clock.now()).toBe(T0 - 1000);
    });

    it('rejects an invalid date', () => {
      expect(() => new FakeClock(0).set(new Date('nope'))).toThrow(/valid Date/);
    });
  });

  describe('runUntilIdle()', () => {
    it('fires every timer, including those armed on the way, until none is left', async () => {
      const clock = new FakeClock(0);
      const fired: number[] = [];
      clock.setTimeout(() => {
        fired.push(clock.now());
        void Promise.resolve().then(() =>
          clock.setTimeout(() => fired.push(clock.now()), 3_600_000),
        );
      }, 1000);
      await clock.runUntilIdle();
      expect(fired).toEqual([1000, 3_601_000]);
      expect(clock.pendingTimers).toBe(0);
    });

    it('returns at once when nothing is pending', async () => {
      const clock = new FakeClock(5);
      await clock.runUntilIdle();
      expect(clock.now()).toBe(5);
    });

    it('throws a clear error instead of looping forever on a repeating timer', async () => {
      const clock = new FakeClock(0);
      let runs = 0;
      const every = (): void => {
        runs++;
        clock.setTimeout(every, 60_000);
      };
      clock.setTimeout(every, 60_000);
      await expect(clock.runUntilIdle({ maxTimers: 50 })).rejects.toThrow(
        /still 1 timer\(s\) pending after firing 50 .*re-arms forever/s,
      );
      expect(runs).toBe(50);
      // The clock is usable again afterwards.
      await clock.advance('1m');
      expect(runs).toBe(51);
    });
  });

  it('refuses to be advanced twice at once', async () => {
    const clock = new FakeClock(0);
    clock.setTimeout(() => undefined, 10);
    const first = clock.advance(100);
    await expect(clock.advance(1)).rejects.toThrow(/already being advanced by advance\(\)/);
    expect(() => clock.set(0)).toThrow(/being advanced/);
    await first;
    expect(clock.now()).toBe(100);
  });

  it('a throwing timer callback rejects advance() and leaves later timers pending', async () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => {
      throw new Error('boom');
    }, 10);
    clock.setTimeout(() => fired.push('later'), 20);
    await expect(clock.advance(30)).rejects.toThrow('boom');
    expect(fired).toEqual([]);
    expect(clock.now()).toBe(10);
    await clock.advance(20);
    expect(fired).toEqual(['later']);
  });

  it('simulates a week of a one-minute timer', async () => {
    const clock = new FakeClock(0);
    let ticks = 0;
    const tick = (): void => {
      ticks++;
      clock.setTimeout(tick, 60_000);
    };
    clock.setTimeout(tick, 60_000);
    await clock.advance('7d');
    expect(ticks).toBe(7 * 24 * 60);
    expect(clock.now()).toBe(7 * 86_400_000);
  });
});
