import { Kernel, Module, ModuleContext, OnEvent, type ErrorCode } from '@keel/core';
import { freePort, startRedisServer, type RedisServer } from '@keel/testing';
import { redisFleet } from '@keel/redis';
import { pino } from 'pino';

// A kernel on the real clock and a private redis-server: the fleet status while Redis is away,
// and recovery on its own. Bounded polling in 20 ms steps.
let server: RedisServer;

beforeAll(async () => {
  server = await startRedisServer();
});

afterAll(async () => {
  await server.stop();
});

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`until: ${what} within ${ms} ms`);
}

function leaderKernel(url: string, tokens: (number | undefined)[]): Kernel {
  @Module({ name: 'leader', singleton: true })
  class Leader {
    constructor(readonly ctx: ModuleContext) {}
    start() {
      tokens.push(this.ctx.fleet.token);
    }
  }
  return Kernel.create({
    modules: [Leader],
    logger: pino({ level: 'silent' }),
    startTimeout: '3s',
    fleet: redisFleet({ url, service: 'restart', replicaId: 'k1', leaseTtl: 600, blockMs: 200 }),
  });
}

describe('a kernel on Redis', () => {
  it('shows a fleet warning while Redis is down and recovers the singleton on its own', async () => {
    const tokens: (number | undefined)[] = [];
    const kernel = leaderKernel(server.url, tokens);
    await kernel.start();
    try {
      expect(kernel.module('leader').status).toBe('online');
      expect(tokens).toEqual([1]);
      await server.kill();
      await until(() => !kernel.inspect().fleet.connected, 3_000, 'disconnected');
      expect(kernel.inspect().fleet.failure.status).toBe('warning');
      // It cannot renew: it steps down before the lease could have expired on Redis.
      await until(() => kernel.module('leader').status === 'offline', 3_000, 'stepped down');
      await server.restart();
      await until(() => kernel.inspect().fleet.connected, 5_000, 'reconnected');
      await until(() => kernel.module('leader').status === 'online', 5_000, 'leader again');
      expect(kernel.inspect().fleet.failure.status).not.toBe('warning');
      // The restarted Redis is empty; the token still went up.
      expect(tokens.length).toBe(2);
      expect(tokens[1]!).toBeGreaterThan(tokens[0]!);
    } finally {
      await kernel.shutdown();
    }
  }, 30_000);

  it("shutdown() returns within shutdownTimeout when Redis went down while a failed 'one' hook is recorded", async () => {
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    let catalogCtx: ModuleContext | undefined;

    @Module({ name: 'catalog', events: ['changed'] })
    class Catalog {
      constructor(readonly ctx: ModuleContext) {}
      start() {
        catalogCtx = this.ctx;
      }
    }
    @Module({ name: 'indexer' })
    class Indexer {
      @OnEvent(Catalog, 'changed', { fleet: 'one' })
      async reindex() {
        started = true;
        await gate;
        throw new Error('reindex failed while Redis was down');
      }
    }
    const kernel = Kernel.create({
      modules: [Catalog, Indexer],
      logger: pino({ level: 'silent' }),
      startTimeout: '3s',
      shutdownTimeout: '3s',
      fleet: redisFleet({
        url: server.url,
        service: 'down-close',
        replicaId: 'k1',
        leaseTtl: 600,
        blockMs: 200,
      }),
    });
    const before = process
      .getActiveResourcesInfo()
      .filter((r) => r === 'TCPSocketWrap' || r === 'Timeout');
    const codes: (ErrorCode | undefined)[] = [];
    kernel.on('error', (error) => codes.push((error as { code?: ErrorCode }).code));
    await kernel.start();
    try {
      await catalogCtx!.triggerEvent('changed', { n: 1 }, { fleet: true });
      await until(() => started, 3_000, 'hook started');
      await server.kill();
      await until(() => !kernel.inspect().fleet.connected, 3_000, 'disconnected');
      // Past the first refused reconnect: the event reader waits between attempts. Real time
      // (a real redis-server), in 20 ms steps.
      const pastReconnect = Date.now() + 150;
      while (Date.now() < pastReconnect) await new Promise((r) => setTimeout(r, 20));
      release();
      await new Promise((r) => setTimeout(r, 20));
      const shutdownAt = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        kernel.shutdown().then(() => 'stopped'),
        new Promise((r) => (timer = setTimeout(() => r('hung'), 8_000))),
      ]);
      clearTimeout(timer);
      expect(outcome).toBe('stopped');
      // shutdownTimeout (3 s) plus scheduling slack on a loaded machine.
      expect(Date.now() - shutdownAt).toBeLessThan(4_500);
      // Nothing left running by the fleet: no socket, no timer, within 1.5 s (a socket still
      // connecting closes a moment later, later still on a loaded machine); ioredis's 2 s timer
      // for a socket already gone (a disconnect() of a client between reconnects), started
      // before shutdown() returned, would still be there and fail this.
      const resources = (): string =>
        process
          .getActiveResourcesInfo()
          .filter((r) => r === 'TCPSocketWrap' || r === 'Timeout')
          .join(',');
      const settleBy = Date.now() + 1_500;
      while (resources() !== before.join(',') && Date.now() < settleBy) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(resources()).toBe(before.join(','));
      expect(kernel.status).toBe('stopped');
      // Whatever overran is reported as E_TIMEOUT, never left hanging.
      expect(codes.filter((c) => c !== 'E_TIMEOUT' && c !== undefined)).toEqual([]);
    } finally {
      release();
      await kernel.shutdown();
      await server.restart();
    }
  }, 30_000);

  it('start() rejects E_FLEET_UNAVAILABLE without the password when Redis is down', async () => {
    const port = await freePort();
    const kernel = leaderKernel(`redis://:pa55word@127.0.0.1:${port}`, []);
    const error = (await kernel.start().catch((e: unknown) => e)) as {
      code?: ErrorCode;
      message: string;
      cause?: { code?: ErrorCode; message?: string };
    };
    const coded = error.code === 'E_FLEET_UNAVAILABLE' ? error : error.cause;
    expect(coded?.code).toBe('E_FLEET_UNAVAILABLE');
    expect(`${error.message} ${coded?.message ?? ''}`).not.toContain('pa55word');
    expect(coded?.message).toContain(`redis://:***@127.0.0.1:${port}`);
    await kernel.shutdown();
  });
});
