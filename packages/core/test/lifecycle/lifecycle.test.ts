import { KeelError, Module, ModuleContext, type ModuleClass } from '../../src/index.js';
import { deferred, quietKernel } from '../helpers.js';

/** Builds modules that log their lifecycle calls into `log`. */
function recorder(log: string[]) {
  return (
    name: string,
    dependsOn: ModuleClass[] = [],
    hooks: { start?: () => unknown; stop?: () => unknown } = {},
  ) => {
    const cls = class {
      prep() {
        log.push(`prep ${name}`);
      }
      start() {
        log.push(`start ${name}`);
        return hooks.start?.();
      }
      stop() {
        log.push(`stop ${name}`);
        return hooks.stop?.();
      }
    };
    Module({ name, dependsOn })(cls);
    return cls as ModuleClass;
  };
}

function position(log: string[], entry: string): number {
  const i = log.indexOf(entry);
  if (i < 0) throw new Error(`${entry} not in ${log.join(', ')}`);
  return i;
}

describe('lifecycle', () => {
  it('preps all, then starts dependencies first and stops dependents first (diamond)', async () => {
    const log: string[] = [];
    const mod = recorder(log);
    const db = mod('db');
    const left = mod('left', [db]);
    const right = mod('right', [db]);
    const top = mod('top', [left, right]);
    const kernel = quietKernel({ modules: [top] });
    await kernel.start();
    expect(kernel.status).toBe('online');
    expect(kernel.modules.every((m) => m.status === 'online')).toBe(true);
    const lastPrep = Math.max(
      ...['db', 'left', 'right', 'top'].map((n) => position(log, `prep ${n}`)),
    );
    expect(lastPrep).toBeLessThan(position(log, 'start db'));
    expect(position(log, 'prep db')).toBeLessThan(position(log, 'prep left'));
    expect(position(log, 'start db')).toBeLessThan(position(log, 'start left'));
    expect(position(log, 'start db')).toBeLessThan(position(log, 'start right'));
    expect(position(log, 'start right')).toBeLessThan(position(log, 'start top'));
    expect(position(log, 'start left')).toBeLessThan(position(log, 'start top'));
    log.length = 0;
    await kernel.shutdown();
    expect(kernel.status).toBe('stopped');
    expect(position(log, 'stop top')).toBeLessThan(position(log, 'stop left'));
    expect(position(log, 'stop top')).toBeLessThan(position(log, 'stop right'));
    expect(position(log, 'stop left')).toBeLessThan(position(log, 'stop db'));
    expect(position(log, 'stop right')).toBeLessThan(position(log, 'stop db'));
    expect(kernel.modules.every((m) => m.status === 'offline')).toBe(true);
    expect(kernel.exitCode).toBe(0);
  });

  it('keeps dependency order on a 50-module random graph', async () => {
    let seed = 42;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const log: string[] = [];
    const mod = recorder(log);
    const classes: ModuleClass[] = [];
    const deps = new Map<string, string[]>();
    for (let i = 0; i < 50; i++) {
      const picks = classes.filter(() => random() < 0.1).slice(0, 4);
      classes.push(mod(`m${i}`, picks));
      deps.set(
        `m${i}`,
        picks.map((c) => classes.indexOf(c)).map((j) => `m${j}`),
      );
    }
    const kernel = quietKernel({ modules: classes });
    await kernel.start();
    await kernel.shutdown();
    for (const [name, list] of deps) {
      for (const dep of list) {
        expect(position(log, `start ${dep}`)).toBeLessThan(position(log, `start ${name}`));
        expect(position(log, `stop ${name}`)).toBeLessThan(position(log, `stop ${dep}`));
        expect(position(log, `prep ${dep}`)).toBeLessThan(position(log, `prep ${name}`));
      }
    }
    expect(log.filter((l) => l.startsWith('stop'))).toHaveLength(50);
  });

  it('starts independent modules concurrently', async () => {
    const bothStarted = deferred();
    let started = 0;
    const gate = async (): Promise<void> => {
      if (++started === 2) bothStarted.resolve();
      await bothStarted.promise; // each start waits for the other: only passes if they overlap
    };
    const mod = recorder([]);
    const a = mod('a', [], { start: gate });
    const b = mod('b', [], { start: gate });
    const kernel = quietKernel({ modules: [a, b] });
    await kernel.start();
    expect(started).toBe(2);
    await kernel.shutdown();
  });

  it.each([0, 1, 2, 3])(
    'rolls back when module %i of a 4-chain fails to start',
    async (failing) => {
      const log: string[] = [];
      const mod = recorder(log);
      const boom = new Error(`m${failing} is broken`);
      const classes: ModuleClass[] = [];
      for (let i = 0; i < 4; i++) {
        const fail = i === failing ? () => Promise.reject(boom) : undefined;
        classes.push(mod(`m${i}`, classes.slice(-1), fail ? { start: fail } : {}));
      }
      const kernel = quietKernel({ modules: classes });
      const errors: string[] = [];
      kernel.on('error', (e) => errors.push(`${e.module}:${e.taskType}`));
      const failure = await kernel.start().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(KeelError);
      expect(failure).toMatchObject({ code: 'E_START_FAILED', module: `m${failing}`, cause: boom });
      // Everything that started is stopped again, in reverse order; nothing after the failure started.
      const started = log.filter((l) => l.startsWith('start')).map((l) => l.slice(6));
      expect(started).toEqual(classes.slice(0, failing + 1).map((_, i) => `m${i}`));
      const stopped = log.filter((l) => l.startsWith('stop')).map((l) => l.slice(5));
      expect(stopped).toEqual(started.slice(0, failing).reverse());
      expect(errors).toEqual([`m${failing}:start`]);
      expect(kernel.exitCode).toBe(1);
      expect(kernel.status).toBe('stopped');
      expect(kernel.module(`m${failing}`).failure).toMatchObject({
        status: 'error',
        id: `m${failing}:start-failed`,
      });
      await kernel.shutdown(); // idempotent after a failed start
    },
  );

  it('fails start when a prep fails, starting nothing', async () => {
    const log: string[] = [];
    @Module({ name: 'bad' })
    class Bad {
      prep() {
        throw new TypeError('config.port is undefined');
      }
      start() {
        log.push('start bad');
      }
    }
    const kernel = quietKernel({ modules: [Bad] });
    const errors: Array<{ severity: string; type: string }> = [];
    kernel.on('error', (e) => errors.push({ severity: e.severity, type: e.taskType }));
    await expect(kernel.start()).rejects.toMatchObject({ code: 'E_START_FAILED', module: 'bad' });
    expect(log).toEqual([]);
    expect(errors).toEqual([{ severity: 'panic', type: 'prep' }]);
    expect(kernel.module(Bad).status).toBe('dead');
  });

  it('shutdown is idempotent and resolves even when stop() throws', async () => {
    const mod = recorder([]);
    const failing = mod('failing', [], {
      stop: () => {
        throw new Error('disk gone');
      },
    });
    const kernel = quietKernel({ modules: [failing] });
    const errors: string[] = [];
    kernel.on('error', (e) => errors.push(`${e.taskType}:${e.message}`));
    await kernel.start();
    const first = kernel.shutdown();
    expect(kernel.shutdown()).toBe(first);
    expect(kernel.shuttingDown.aborted).toBe(true);
    await expect(first).resolves.toBeUndefined();
    expect(errors).toEqual(['stop:disk gone']);
    expect(kernel.exitCode).toBe(1);
    expect(kernel.module('failing').status).toBe('offline');
  });

  it('reports status changes in order', async () => {
    const mod = recorder([]);
    const only = mod('only');
    const kernel = quietKernel({ modules: [only] });
    const seen: string[] = [];
    const off = kernel.on('status', (name, from, to) => seen.push(`${name}:${from}>${to}`));
    await kernel.start();
    await kernel.shutdown();
    off();
    expect(seen).toEqual([
      'only:dead>preparing',
      'only:preparing>offline',
      'only:offline>starting',
      'only:starting>online',
      'only:online>stopping',
      'only:stopping>offline',
    ]);
  });

  it('refuses a second start', async () => {
    const kernel = quietKernel({ modules: [recorder([])('x')] });
    await kernel.start();
    await expect(kernel.start()).rejects.toMatchObject({ code: 'E_KERNEL_STATE' });
    await kernel.shutdown();
    await expect(kernel.start()).rejects.toMatchObject({ code: 'E_KERNEL_STATE' });
  });

  it('aborts the module signal and shuttingDown before stop() runs', async () => {
    const seen: boolean[] = [];
    @Module()
    class Watcher {
      constructor(private readonly ctx: ModuleContext) {}
      stop() {
        seen.push(this.ctx.signal.aborted, this.ctx.kernel.shuttingDown.aborted);
      }
    }
    const kernel = quietKernel({ modules: [Watcher] });
    await kernel.start();
    await kernel.shutdown();
    expect(seen).toEqual([true, true]);
  });

  it('runCommand preps, runs the command instead of starting, and returns the exit code', async () => {
    const log: string[] = [];
    const mod = recorder(log);
    const only = mod('only');
    const ok = quietKernel({ modules: [only] });
    await expect(
      ok.runCommand((k) => void log.push(`command ${k.module('only').status}`)),
    ).resolves.toBe(0);
    expect(log).toEqual(['prep only', 'command offline']);
    expect(ok.status).toBe('stopped');
    const failing = quietKernel({ modules: [mod('other')] });
    await expect(
      failing.runCommand(() => {
        throw new Error('migration failed');
      }),
    ).resolves.toBe(1);
  });

  it('records prep, start and stop durations in inspect()', async () => {
    const kernel = quietKernel({ modules: [recorder([])('timed')] });
    await kernel.start();
    await kernel.shutdown();
    const { durations } = kernel.inspect().modules['timed']!;
    expect(durations.prepMs).toEqual(expect.any(Number));
    expect(durations.startMs).toEqual(expect.any(Number));
    expect(durations.stopMs).toEqual(expect.any(Number));
  });
});
