import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';

// The built demo: `npm test` runs `npm run build` before Jest, so it exists there.
const MAIN = fileURLToPath(new URL('../../packages/demo/dist/main.js', import.meta.url));
const BUILT = existsSync(MAIN);
const MISSING = `${MAIN} is missing: build first with \`npm run build\` (npm test does this before Jest).`;

/** Bounds for every wait on the child: generous for slow CI, far below Jest's timeout. */
const ONLINE_WITHIN_MS = 10_000;
const EXIT_WITHIN_MS = 10_000;

type LogLine = Record<string, unknown>;

/** A running demo process and its parsed stdout (pino JSON lines; other lines skipped). */
interface Demo {
  child: ChildProcess;
  logs: LogLine[];
  /** Resolves with the first log line matching `match` (seen or future); rejects after `ms`. */
  waitForLog(match: (line: LogLine) => boolean, ms: number, what: string): Promise<LogLine>;
  /** Resolves with the exit code (a signal death counts as -1); rejects after `ms`. */
  waitForExit(ms: number): Promise<number>;
}

const running = new Set<ChildProcess>();

function startDemo(env: Record<string, string> = {}): Demo {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      DEMO_HOST: '127.0.0.1',
      DEMO_PORT: '0',
      DEMO_INSPECTOR_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const logs: LogLine[] = [];
  let stderr = '';
  const listeners = new Set<() => void>();
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue; // the Mermaid graph is plain text
      logs.push(JSON.parse(line) as LogLine);
    }
    for (const wake of listeners) wake();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code ?? -1);
    }),
  );
  const describeState = (): string =>
    `\nstdout lines so far:\n${logs.map((l) => JSON.stringify(l)).join('\n')}\nstderr:\n${stderr}`;

  return {
    child,
    logs,
    waitForLog(match, ms, what) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = logs.find(match);
          if (found === undefined) return;
          done();
          resolve(found);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no log line "${what}" within ${ms} ms.${describeState()}`));
        }, ms);
        const done = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    waitForExit(ms) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the demo did not exit within ${ms} ms.${describeState()}`)),
          ms,
        );
      });
      return Promise.race([exited, timeout]).finally(() => clearTimeout(timer));
    },
  };
}

/** GET `url` on localhost; resolves with the status and parsed JSON body. */
function getJson(url: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    // agent: false — no keep-alive socket left open to slow the server's drain.
    const req = request(url, { agent: false, timeout: 5_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

const isOnline = (l: LogLine): boolean => l.msg === 'kernel online';
const isListening = (l: LogLine): boolean => l.module === 'Http' && l.msg === 'listening';

afterEach(() => {
  // Never leave a child behind, whatever the test did.
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

describe('the demo service as a process', () => {
  it('is built (run `npm run build` first)', () => {
    if (!BUILT) throw new Error(MISSING);
  });

  const whenBuilt = BUILT ? it : it.skip;

  whenBuilt('serves /health, then stops on SIGTERM dependents first with exit code 0', async () => {
    const demo = startDemo();
    await demo.waitForLog(isOnline, ONLINE_WITHIN_MS, 'kernel online');
    const { url } = (await demo.waitForLog(isListening, 0, 'listening')) as { url: string };
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const health = await getJson(`${url}/health`);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'ok',
      modules: { Http: { status: 'online' }, Storage: { status: 'online' } },
    });

    demo.child.kill('SIGTERM');
    expect(await demo.waitForExit(EXIT_WITHIN_MS)).toBe(0);

    const stopped = demo.logs.filter((l) => l.msg === 'stopped').map((l) => l.module);
    expect(stopped).toEqual(['Http', 'Storage', 'Config']);
    expect(demo.logs.some((l) => l.msg === 'kernel stopped')).toBe(true);
    expect(demo.logs.filter((l) => l.level === 50)).toEqual([]);
  });

  whenBuilt('exits at once with a non-zero code on a second SIGINT during shutdown', async () => {
    // Http's stop takes 60 s: far longer than the exit bound below.
    const demo = startDemo({ DEMO_SLOW_STOP_MS: '60000' });
    await demo.waitForLog(isOnline, ONLINE_WITHIN_MS, 'kernel online');

    demo.child.kill('SIGINT');
    await demo.waitForLog(
      (l) => l.module === 'Http' && l.msg === 'stopping slowly (press Ctrl-C again to force)',
      EXIT_WITHIN_MS,
      'stopping slowly',
    );
    demo.child.kill('SIGINT');

    const code = await demo.waitForExit(EXIT_WITHIN_MS);
    expect(code).toBe(130);
    expect(demo.logs.some((l) => l.module === 'Http' && l.msg === 'stopped')).toBe(false);
  });

  whenBuilt('refuses to start with a bad setting: exit code 1, naming the variable', async () => {
    const demo = startDemo({ DEMO_PORT: 'not-a-port' });
    expect(await demo.waitForExit(EXIT_WITHIN_MS)).toBe(1);
    const failure = demo.logs.find((l) => l.level === 50);
    expect(failure).toMatchObject({ module: 'config', code: 'E_CONFIG_INVALID' });
    expect(String(failure?.msg)).toContain('demo.port from env DEMO_PORT');
    expect(demo.logs.some(isOnline)).toBe(false);
  });
});
