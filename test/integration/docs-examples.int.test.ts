import { readFileSync, readdirSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { FakeClock, settle } from '@keel/testing';
import type { Kernel } from '@keel/core';
// Internal on purpose: docs/lifecycle.md must show exactly these tables.
import { MODULE_TRANSITIONS } from '../../packages/core/src/work/module-status.js';
import { KERNEL_TRANSITIONS } from '../../packages/core/src/kernel/kernel-state.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigModule } from '@keel/config';
import * as config from '../../docs/examples/config.js';
import * as configuration from '../../docs/examples/configuration.js';
import * as errors from '../../docs/examples/errors.js';
import * as events from '../../docs/examples/events.js';
import * as failureStatus from '../../docs/examples/failure-status.js';
import * as fleet from '../../docs/examples/fleet.js';
import * as gettingStarted from '../../docs/examples/getting-started.js';
import * as lifecycle from '../../docs/examples/lifecycle.js';
import * as microtasks from '../../docs/examples/microtasks.js';
import * as tasks from '../../docs/examples/tasks.js';
import * as testingFleet from '../../docs/examples/testing-fleet.js';
import * as workers from '../../docs/examples/workers.js';

const DOCS = new URL('../../docs/', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, DOCS), 'utf8');

/** A pino logger whose lines are kept, parsed, instead of printed. */
function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines };
}

/** Resolves once the kernel reaches `status`; fails after a few real turns instead of hanging. */
async function reach(kernel: Kernel, status: string): Promise<void> {
  for (let i = 0; i < 20 && kernel.status !== status; i++) await settle(1);
  expect(kernel.status).toBe(status);
}

describe('docs/examples', () => {
  it('getting-started: runs until SIGTERM, greeting every minute', async () => {
    const clock = new FakeClock();
    const { logger, lines } = capturingLogger();
    const kernel = gettingStarted.createKernel({ logger, clock });
    const exitCode = kernel.run();
    await reach(kernel, 'online');
    expect(kernel.modules.map((m) => m.name)).toEqual(['Config', 'Greeter']);

    await clock.advance('3m');
    const greeter = kernel.module(gettingStarted.Greeter).instance as gettingStarted.Greeter;
    expect(greeter.greetings).toBe(3);
    expect(greeter.polls).toBe(19); // at 0 s, 10 s, …, 180 s

    process.emit('SIGTERM');
    expect(await exitCode).toBe(0);
    expect(kernel.status).toBe('stopped');
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['greeter online', 'hello #3', 'greeter stopped']),
    );
    expect(clock.pendingTimers).toBe(0);
  });

  it('lifecycle: order, rollback, start timeout, runCommand', async () => {
    const result = await lifecycle.main();
    expect(result.inOrder).toEqual({
      journal: [
        'prep Db',
        'prep Cache',
        'prep Api',
        'start Db',
        'start Cache',
        'start Api',
        'stop Api',
        'stop Cache',
        'stop Db',
      ],
      durations: { prepMs: 0, startMs: 2000, stopMs: 0 },
      status: 'stopped',
      exitCode: 0,
    });
    expect(result.rollback).toEqual({
      journal: [
        'prep Db',
        'prep Cache',
        'start Db',
        'start Cache',
        'start Mailer',
        'stop Cache',
        'stop Db',
      ],
      code: 'E_START_FAILED',
      module: 'Mailer',
      cause: 'SMTP server unreachable',
      kernel: 'stopped',
      exitCode: 1,
    });
    expect(result.startTimeout).toEqual({ code: 'E_START_FAILED', cause: 'E_TIMEOUT' });
    expect(result.command).toEqual({
      journal: ['prep Db', 'prep Cache', 'prep Api', 'migrate the database'],
      code: 0,
    });
  });

  it('workers: backoff, the 5-minute reset, RestartNow, the intensity limit, workers from code', async () => {
    const result = await workers.main();
    expect(result.backoff).toEqual({
      attempts: [0, 2_000, 6_000, 12_000, 20_000],
      restarts: 4,
      errors: 4,
    });
    expect(result.quietReset).toEqual({ attempts: [0, 2_000, 6_000, 368_000] });
    expect(result.restartNow).toEqual({ runs: 2, errors: 0 });
    expect(result.intensity.failure).toMatchObject({
      status: 'error',
      id: 'worker:work:restart-limit',
    });
    expect(result.intensity.errors).toBe(6); // at 0, 1, 3, 6, 10 and 15 s: it keeps restarting
    expect(result.fromCode).toEqual({ done: ['index loaded', 'cache warm'], running: ['watch'] });
  });

  it('failure-status: warning, error, resolve; the same id is not reported twice', async () => {
    const result = await failureStatus.main();
    expect(result.changes).toEqual(['warning disk-low', 'error disk-full', 'none ']);
    expect(result.worst).toBe('error');
    expect(result.now).toEqual({
      status: 'error',
      id: 'disk-full',
      title: 'Disk full',
      message: 'Only 1% free: writes will fail.',
    });
  });

  it('errors: a coded KeelError at create, ModuleErrors with severities at run time', async () => {
    const result = await errors.main();
    expect(result.createError).toEqual({
      code: 'E_MODULE_CYCLE',
      message: expect.stringContaining('Accounts -> Billing -> Accounts'),
      details: { cycle: ['Accounts', 'Billing', 'Accounts'] },
      meaning: 'Modules depend on each other in a cycle.',
    });
    const { moduleErrors } = result;
    expect(moduleErrors.reports).toHaveLength(3);
    expect(moduleErrors.reports).toEqual(
      expect.arrayContaining([
        { module: 'Invoices', taskName: 'send', taskType: 'task', severity: 'error', panic: false },
        { module: 'Invoices', taskName: 'total', taskType: 'task', severity: 'panic', panic: true },
      ]),
    );
    expect(moduleErrors.formatted).toMatch(
      /^Message: mail server said 421\nModule: Invoices\nTaskName: send\nTaskType: task\nSeverity: error\nTimestamp: 2026-01-01T00:01:00.000Z\nStackTrace:\nError: mail server said 421/,
    );
    expect(moduleErrors.unknownEvent).toBe('E_EVENT_UNKNOWN');
    expect(moduleErrors.lastError).toBeDefined();
    expect(moduleErrors.exitCode).toBe(0); // run-time errors are reported, not fatal
  });

  it('tasks: every (from the end of a run), cron, runOnStart, newTask', async () => {
    const result = await tasks.main();
    expect(result.declared).toEqual({
      refreshFirstMinute: [10, 22, 34, 46, 58],
      nextRefresh: 70,
      nightly: ['2026-01-01T03:00:00.000Z'],
      warmUp: [0],
    });
    expect(result.fromCode).toEqual({
      log: ['reindex at 0s', 'ping at 20s', 'export at 30s', 'ping at 40s'],
      reindexRuns: 1,
    });
  });

  it('microtasks: the limit, high priority, max delays, signalMicroTask', async () => {
    const result = await microtasks.main();
    expect(result.limit).toEqual({
      results: [['a.thumb.png', 'b.thumb.png', 'c.thumb.png', 'd.thumb.png'], 'urgent.thumb.png'],
      peak: 3,
      started: ['a at 0 ms', 'b at 0 ms', 'urgent at 0 ms', 'c at 300 ms', 'd at 300 ms'],
      slots: { limit: 2, inUse: 0, waiting: { medium: 0, low: 0 }, overdue: 0 },
    });
    expect(result.maxDelay).toEqual({
      started: ['poster-1 at 0 ms', 'poster-2 at 0 ms', 'icon at 1000 ms', 'banner at 3000 ms'],
      overdue: 2,
    });
  });

  it('events: hooks, typed events, start-up delivery, exposure, failures, unknown events', async () => {
    const result = await events.main();
    expect(result.seen).toEqual(['reloaded 3', 'reindexed tea at 450']);
    expect(result.observed).toEqual([
      'Catalog/reloaded {"items":3}',
      'Catalog/price-changed {"sku":"tea","cents":450}',
      'Catalog/secret-rotated (hidden)',
    ]);
    expect(result.hookErrors).toEqual([
      'hook: hook Catalog/price-changed -> Search.failToNotify: notification service down',
    ]);
    expect(result.unknown).toMatchObject({ code: 'E_EVENT_UNKNOWN', module: 'Catalog' });
  });

  it('fleet: a singleton leader, a once-per-fleet task, a retried job, fleet events, a takeover', async () => {
    const result = await fleet.main();
    expect(result).toEqual({
      standby: true,
      bill: ['a token 1'],
      tries: ['INV-1 try 1 on a', 'INV-1 try 2 on b'],
      mail: ['cache of INV-1 dropped on a', 'cache of INV-1 dropped on b', 'mailed INV-1 from a'],
      takeover: { leader: 'online', token: 2, replicas: ['b: Billing'] },
      errors: 1, // the first try's failure, reported on the replica that ran it
    });
    expect(read('fleet.md')).toContain('docs/examples/fleet.ts');
  });

  it('configuration: providers, redact, flags', async () => {
    const { logger, lines } = capturingLogger();
    const kernel = configuration.createKernel(['--port', '9000'], {
      logger,
      clock: new FakeClock(),
    });
    await kernel.start();
    const api = kernel.module(configuration.Api).instance as configuration.Api;
    expect(api.port).toBe(9000);
    expect(api.mailer.send('ops')).toBe('queued for ops');
    expect(api.pool.url).toBe('postgres://db/app');
    expect(kernel.get(configuration.Pool)).toBe(api.pool);
    expect(lines.find((l) => l.msg === 'api configured')).toMatchObject({
      settings: { databaseUrl: 'postgres://db/app', password: '[redacted]' },
      port: 9000,
    });
    await kernel.shutdown();
    expect(kernel.exitCode).toBe(0);
  });

  it('config: sources in order, secrets masked, every error at once, reload and restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-docs-config-'));
    try {
      const file = join(dir, 'config.yaml');
      writeFileSync(file, 'db: { host: db.internal, poolSize: 20 }\n');
      const env: Record<string, string | undefined> = {
        DB_PASSWORD: 's3cret-pass',
        DB_POOL_SIZE: '30',
      };
      const { logger, lines } = capturingLogger();
      const kernel = config.createKernel({ env, argv: ['--db-pool-size', '40'], file }, { logger });
      const db = kernel.module(config.Db).instance as config.Db;
      expect(db.config.value).toEqual({
        host: 'db.internal',
        port: 5432,
        password: 's3cret-pass',
        poolSize: 40,
      });
      expect(
        ['host', 'port', 'password', 'poolSize'].map((k) => db.config.source(k as 'host')),
      ).toEqual(['file', 'default', 'env', 'flag']);
      await kernel.start();
      expect(lines.find((l) => l.msg === 'db ready')).toMatchObject({
        config: { password: '[redacted]' },
      });
      expect(JSON.stringify(lines)).not.toContain('s3cret-pass');

      // Reload: db.poolSize changed (db not restarted), then the cache (restarted).
      const cache = kernel.module(config.Cache).instance as config.Cache;
      writeFileSync(file, 'db: { host: db.internal, poolSize: 20 }\ncache: { ttl: 1m }\n');
      env['DB_PORT'] = '6543';
      const changed = await kernel.get(ConfigModule).reload();
      expect(changed.keys).toEqual(['db.port', 'cache.ttl']);
      expect(db.changes).toEqual(['db.port', 'cache.ttl']);
      expect(cache.starts).toBe(2);
      env['DB_PORT'] = 'abc';
      await expect(kernel.get(ConfigModule).reload()).rejects.toMatchObject({
        code: 'E_CONFIG_INVALID',
      });
      expect(db.config.value.port).toBe(6543);
      await kernel.shutdown();

      // The page's error example, exactly.
      let message = '';
      try {
        config.createKernel(
          {
            env: { DB_PORT: 'abc', DB_PASSWORD: 'short', DB_HSOT: 'x' },
            argv: [],
            file: join(dir, 'none.yaml'),
          },
          {
            logger,
            providers: ConfigModule.configure({
              env: { DB_PORT: 'abc', DB_PASSWORD: 'short', DB_HSOT: 'x' },
            }),
          },
        );
      } catch (err) {
        message = `${(err as { code: string }).code}: ${(err as Error).message}`;
      }
      const shown = /```\n(E_CONFIG_INVALID[\s\S]*?)\n```/.exec(read('config.md'))![1];
      expect(message).toBe(shown);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('configuration: --help prints the flags and starts nothing', async () => {
    const printed: string[] = [];
    const kernel = configuration.createKernel([], {
      logger: pino({ level: 'silent' }),
      clock: new FakeClock(),
      cli: { argv: ['--help'], name: 'api', print: (text) => void printed.push(text) },
    });
    await kernel.start();
    expect(printed.join('')).toMatch(
      /Usage: api \[options\][\s\S]*--port <value>\s+Port to listen on\. \(default: "8080"\)/,
    );
    expect(kernel.status).toBe('stopped');
    expect(kernel.module(configuration.Api).status).toBe('dead');
  });
});

describe('docs/examples/testing-fleet', () => {
  it('fails the singleton over to the other replica; reports run once per minute fleet-wide', async () => {
    const result = await testingFleet.failover();
    expect(result).toEqual({
      leaderBefore: 'a',
      leaderAfter: 'b',
      tokens: [1, 2],
      reportsBuilt: 3,
    });
  });
});

describe('docs pages', () => {
  // The pages whose snippets are all taken from docs/examples (other pages have their own tests).
  const pages = [
    'getting-started.md',
    'lifecycle.md',
    'workers.md',
    'failure-status.md',
    'errors.md',
    'tasks.md',
    'microtasks.md',
    'events.md',
    'configuration.md',
    'testing-fleet.md',
    'config.md',
  ];
  const examples = readdirSync(new URL('examples/', DOCS))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => read(`examples/${f}`));

  it.each(pages)(
    '%s quotes only code that is in docs/examples (which compiles and runs)',
    (page) => {
      const blocks = [...read(page).matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
      for (const block of blocks) {
        const found = examples.some((source) => source.includes(block));
        if (!found)
          throw new Error(`${page}: this ts block is not in any docs/examples file:\n${block}`);
      }
    },
  );

  it('lifecycle.md shows the module and kernel transition tables exactly', () => {
    const doc = read('lifecycle.md');
    const rows = (table: Readonly<Record<string, readonly string[]>>): string[] =>
      Object.entries(table).map(
        ([from, to]) =>
          `| \`${from}\` | ${to.length === 0 ? '(none: final)' : to.map((s) => `\`${s}\``).join(', ')} |`,
      );
    for (const row of [...rows(MODULE_TRANSITIONS), ...rows(KERNEL_TRANSITIONS)]) {
      expect(doc).toContain(`\n${row}`);
    }
    const tableRows = doc.split('\n').filter((line) => /^\| `[a-z]+` \| /.test(line));
    expect(tableRows).toHaveLength(
      Object.keys(MODULE_TRANSITIONS).length + Object.keys(KERNEL_TRANSITIONS).length,
    );
  });
});
