import { createServer, type Server, type Socket } from 'node:net';
import { systemClock, type Clock } from '@keel/core';
import { FakeClock, startRedisServer, type RedisServer } from '@keel/testing';
import { Redis } from 'ioredis';
import { COMMAND_TIMED_OUT, WatchedRedis } from '../src/index.js';
import { until } from './support/host.js';

/** A TCP server that accepts and never answers: a link that died without closing. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A connected client of {@link silentServer}: no reconnect, no offline queue. */
async function silentClient(
  port: number,
  commandTimeout: number,
  clock: Clock,
): Promise<WatchedRedis> {
  const client = new WatchedRedis(
    {
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      // The silent server answers neither INFO nor CLIENT SETINFO, which ready waits for.
      enableReadyCheck: false,
      disableClientInfo: true,
      enableOfflineQueue: false,
      commandTimeout,
      retryStrategy: () => null,
    },
    clock,
  );
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Settles `promise` into a readable state without awaiting it. */
function watch(promise: Promise<unknown>): {
  state: 'pending' | 'resolved' | 'rejected';
  error?: Error;
} {
  const out: { state: 'pending' | 'resolved' | 'rejected'; error?: Error } = { state: 'pending' };
  promise.then(
    () => (out.state = 'resolved'),
    (error: Error) => {
      out.state = 'rejected';
      out.error = error;
    },
  );
  return out;
}

describe('WatchedRedis on a dead link', () => {
  let silent: Awaited<ReturnType<typeof silentServer>>;
  beforeEach(async () => {
    silent = await silentServer();
  });
  afterEach(async () => {
    await silent.close();
  });

  it('fails each command exactly commandTimeout after it was sent, with one timer for all', async () => {
    const clock = new FakeClock();
    const client = await silentClient(silent.port, 500, clock);
    const first = Array.from({ length: 100 }, (_, i) => watch(client.get(`a${i}`)));
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(200);
    const second = watch(client.get('b'));
    expect(clock.pendingTimers).toBe(1);

    await clock.advance(299); // t = 499: nothing is due yet
    await new Promise((resolve) => setImmediate(resolve));
    expect(first.every((c) => c.state === 'pending')).toBe(true);
    await clock.advance(1); // t = 500: the first hundred fail
    await until(() => first.every((c) => c.state === 'rejected'), 1_000, 'first batch failed');
    expect(first[0]!.error!.message).toBe(COMMAND_TIMED_OUT);
    expect(second.state).toBe('pending');
    expect(clock.pendingTimers).toBe(1);

    await clock.advance(199); // t = 699
    expect(second.state).toBe('pending');
    await clock.advance(1); // t = 700 = 200 + 500
    await until(() => second.state === 'rejected', 1_000, 'second failed');
    expect(second.error!.message).toBe(COMMAND_TIMED_OUT);
    expect(clock.pendingTimers).toBe(0);
    expect(client.watchdog!.pending).toBe(0);
    client.disconnect();
  });

  it('holds the bound on the real clock: a command fails at commandTimeout, late only by timer latency', async () => {
    const client = await silentClient(silent.port, 150, systemClock);
    const started = performance.now();
    const error = await client.get('k').then(
      () => undefined,
      (e: Error) => e,
    );
    const took = performance.now() - started;
    expect(error?.message).toBe(COMMAND_TIMED_OUT);
    expect(took).toBeGreaterThanOrEqual(149);
    expect(took).toBeLessThan(150 + 50 + 100); // timer latency on a loaded machine
    client.disconnect();
  });

  it('duplicate() keeps the watchdog; a client without commandTimeout has none', () => {
    const clock = new FakeClock();
    const client = new WatchedRedis({ lazyConnect: true, commandTimeout: 300 }, clock);
    const copy = client.duplicate({ lazyConnect: true });
    expect(copy).toBeInstanceOf(WatchedRedis);
    expect((copy as WatchedRedis).watchdog?.timeoutMs).toBe(300);
    expect(new WatchedRedis({ lazyConnect: true }, clock).watchdog).toBeUndefined();
    // ioredis arms no timer of its own: the option is the watchdog's.
    expect(client.options.commandTimeout).toBeUndefined();
    client.disconnect();
    copy.disconnect();
  });
});

describe('WatchedRedis on a live link', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('answers commands as ioredis does and keeps nothing of them once answered', async () => {
    const client = new WatchedRedis(
      { ...urlParts(server.url), enableOfflineQueue: false, commandTimeout: 300 },
      systemClock,
    );
    await until(() => client.status === 'ready', 5_000, 'ready');
    const replies = await Promise.all(
      Array.from({ length: 2_000 }, (_, i) =>
        client.set(`k${i}`, String(i)).then(() => client.get(`k${i}`)),
      ),
    );
    expect(replies[1_999]).toBe('1999');
    const pipeline = await client.pipeline().set('p', '1').get('p').exec();
    expect(pipeline?.[1]?.[1]).toBe('1');
    // Answered commands are dropped as they are replied to, failed ones (an error reply, such
    // as CLIENT SETINFO on Redis < 7.2) at their deadline: then nothing is left.
    await until(() => client.watchdog!.pending === 0, 2_000, 'nothing tracked');
    await client.get('last');
    expect(client.watchdog!.pending).toBe(0);
    await client.quit();
    await until(() => client.status === 'end', 2_000, 'end');
  });

  it('lets go of answered commands as their replies arrive, not at the next send, also after a reconnect', async () => {
    const admin = new Redis(server.url, { maxRetriesPerRequest: null });
    const client = new WatchedRedis(
      { ...urlParts(server.url), enableOfflineQueue: false, commandTimeout: 300 },
      systemClock,
    );
    try {
      for (const round of [1, 2]) {
        await until(() => client.status === 'ready', 5_000, 'ready');
        // A failed CLIENT SETINFO (Redis < 7.2) is held to its deadline: wait it out.
        await until(() => client.watchdog!.pending === 0, 2_000, 'connect commands done');
        await Promise.all(Array.from({ length: 100 }, (_, k) => client.set(`r${k}`, '1')));
        // Nothing sent since: the commands, their arguments and replies are already let go.
        expect(client.watchdog!.held).toBe(0);
        if (round === 1) {
          const id = await client.client('ID');
          await admin.client('KILL', 'ID', String(id));
          await until(() => client.status !== 'ready', 2_000, 'link cut');
        }
      }
    } finally {
      client.disconnect();
      admin.disconnect();
    }
  });

  it('does not hold answered commands behind one that failed until its deadline', async () => {
    const client = new WatchedRedis(
      { ...urlParts(server.url), enableOfflineQueue: false, commandTimeout: 60_000 },
      systemClock,
    );
    try {
      await until(() => client.status === 'ready', 5_000, 'ready');
      // An error reply: ioredis never marks the command answered, so it waits for its deadline.
      const failed = client.call('NO-SUCH-COMMAND').then(
        () => undefined,
        (e: Error) => e,
      );
      for (let i = 0; i < 10; i++) {
        await Promise.all(Array.from({ length: 200 }, (_, k) => client.set(`s${k}`, String(i))));
      }
      expect((await failed)?.message).toMatch(/unknown command/i);
      // Without sweeping, all 2 000 answered commands (and their replies) would stay for 60 s.
      expect(client.watchdog!.pending).toBeLessThan(300);
    } finally {
      // Ends the watchdog's 60 s timer with the client.
      client.disconnect();
    }
  });

  it('fails a command the server holds (CLIENT PAUSE) at the bound, then works again', async () => {
    const admin = new Redis(server.url, { maxRetriesPerRequest: null });
    const client = new WatchedRedis(
      { ...urlParts(server.url), enableOfflineQueue: false, commandTimeout: 200 },
      systemClock,
    );
    await until(() => client.status === 'ready', 5_000, 'ready');
    await admin.client('PAUSE', 600, 'ALL');
    const started = performance.now();
    const error = await client.get('paused').then(
      () => undefined,
      (e: Error) => e,
    );
    const took = performance.now() - started;
    expect(error?.message).toBe(COMMAND_TIMED_OUT);
    expect(took).toBeGreaterThanOrEqual(199);
    expect(took).toBeLessThan(550);
    await admin.client('UNPAUSE');
    expect(await client.ping()).toBe('PONG');
    await client.quit();
    admin.disconnect();
  });
});

function urlParts(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}
