import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

/** Options of `startRedisServer()`. */
export interface RedisServerOptions {
  /** The binary; default `redis-server` on the PATH. */
  readonly binary?: string;
  /** A fixed loopback port; default a free one. */
  readonly port?: number;
  /** How long to wait for the server to answer PING, in ms; default 10 000. */
  readonly readyTimeoutMs?: number;
  /** Extra `redis-server` arguments (e.g. `['--maxmemory-policy', 'allkeys-lru']`). */
  readonly args?: readonly string[];
}

/**
 * A `redis-server` of a test's own, on a loopback port, keeping nothing on disk. A fault test
 * can `kill()` it (SIGKILL) and `restart()` it on the same port without touching anything
 * else on the machine.
 */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** True while the process runs. */
  readonly running: boolean;
  /** SIGKILLs the server (a crash: clients see connection resets). */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: nothing was persisted) and waits for PING. */
  restart(): Promise<void>;
  /** Stops it for good (SIGTERM, then SIGKILL after 2 s). Safe to call twice. */
  stop(): Promise<void>;
}

/** Finds a free loopback port by binding port 0. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One PING over a raw socket; resolves true on `+PONG`. */
function ping(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk) => done(chunk.toString().startsWith('+PONG')));
  });
}

/**
 * Starts a `redis-server` on a free loopback port with `--save '' --appendonly no` and waits
 * (bounded) until it answers PING. Rejects, with the server's own output, if it does not.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const binary = options.binary ?? 'redis-server';
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  let child: ChildProcess | undefined;
  let output = '';
  let stopped = false;

  const launch = async (): Promise<void> => {
    output = '';
    const proc = spawn(
      binary,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'yes',
        ...(options.args ?? []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    proc.stdout?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
    proc.stderr?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
    // Strings, not Errors: under Jest's vm realms `instanceof Error` fails for Node's errors.
    const exited = new Promise<string>((resolve) =>
      proc.once('exit', () => resolve(`redis-server exited: ${output.trim()}`)),
    );
    const spawnError = new Promise<string>((resolve) =>
      proc.once('error', (e) => resolve(e.message)),
    );
    const deadline = Date.now() + readyTimeoutMs;
    // Bounded: at most readyTimeoutMs, one PING per 25 ms.
    while (Date.now() < deadline) {
      const failed = await Promise.race([
        spawnError,
        exited,
        ping(port, 200).then((ok) => (ok ? null : undefined)),
      ]);
      if (failed === null) return;
      if (typeof failed === 'string') {
        throw new Error(`startRedisServer: could not start ${binary} on ${port}: ${failed}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    proc.kill('SIGKILL');
    throw new Error(`startRedisServer: ${binary} did not answer PING on ${port}: ${output.trim()}`);
  };

  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    const force = setTimeout(() => proc.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(force);
  };

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    kill: () => terminate('SIGKILL'),
    async restart() {
      if (stopped) throw new Error('startRedisServer: restart() after stop()');
      await terminate('SIGKILL');
      await launch();
    },
    async stop() {
      stopped = true;
      await terminate('SIGTERM');
    },
  };
}
