import type { KernelSnapshot, ModuleSnapshot } from '@keel/core';
import { readiness } from '@keel/inspector';
import { startHarness } from './support/harness.js';
import { send } from './support/http.js';

function module(name: string, patch: Partial<ModuleSnapshot> = {}): ModuleSnapshot {
  return {
    name,
    status: 'online',
    enabled: false,
    enabledAsDependency: false,
    failure: { status: 'none', id: '', title: '', message: '' },
    dependencies: [],
    dependents: [],
    events: [],
    workers: [],
    tasks: [],
    running: [],
    microtasks: 0,
    overran: [],
    durations: { prepMs: null, startMs: null, stopMs: null },
    standby: false,
    ...patch,
  };
}

function snapshot(modules: ModuleSnapshot[], patch: Partial<KernelSnapshot> = {}): KernelSnapshot {
  return {
    status: 'online',
    managed: false,
    at: '2026-01-01T00:00:00.000Z',
    failure: 'none',
    modules: Object.fromEntries(modules.map((m) => [m.name, m])),
    microtasks: { limit: 2, inUse: 0, waiting: { medium: 0, low: 0 }, overdue: 0 },
    tasks: {
      concurrency: 1,
      slotsInUse: 0,
      queued: { overdue: 0, prioritized: 0, normal: 0, parked: 0 },
      scheduled: 0,
      running: 0,
    },
    errors: { count: 0, last: null },
    fleet: {
      service: 'local',
      replicaId: 'r1',
      provider: 'local',
      connected: true,
      replicas: [],
      failure: { status: 'none', id: '', title: '', message: '' },
      queues: {},
      events: {},
      tasks: {},
    },
    ...patch,
  };
}

describe('readiness()', () => {
  it('without management, every module must be online', () => {
    const verdict = readiness(snapshot([module('a'), module('b', { status: 'offline' })]));
    expect(verdict.ready).toBe(false);
    expect(verdict.reasons).toEqual([
      {
        kind: 'status',
        module: 'b',
        status: 'offline',
        message: 'Module "b" is offline, not online.',
      },
    ]);
  });

  it('under management, only enabled modules and their dependencies count', () => {
    const modules = [
      module('api', { enabled: true }),
      module('db', { enabledAsDependency: true }),
      module('mailer', { status: 'offline' }), // disabled: not expected to run
    ];
    expect(readiness(snapshot(modules, { managed: true })).ready).toBe(true);
    modules[1]!.status = 'starting';
    expect(readiness(snapshot(modules, { managed: true })).reasons).toEqual([
      expect.objectContaining({ kind: 'status', module: 'db', status: 'starting' }),
    ]);
  });

  it('an error failure state on any module is not ready; hints and warnings are', () => {
    const failing = module('mailer', {
      status: 'offline',
      failure: { status: 'error', id: 'smtp', title: 'SMTP down', message: '' },
    });
    const verdict = readiness(
      snapshot([module('api', { enabled: true }), failing], { managed: true }),
    );
    expect(verdict.reasons).toEqual([
      expect.objectContaining({
        kind: 'failure',
        module: 'mailer',
        message: 'Module "mailer" reports an error: SMTP down.',
      }),
    ]);
    failing.failure = { status: 'warning', id: 'smtp', title: 'SMTP slow', message: '' };
    expect(readiness(snapshot([failing], { managed: true })).ready).toBe(true);
  });

  it('a kernel that is not online is not ready', () => {
    expect(readiness(snapshot([module('a')], { status: 'stopping' })).reasons).toEqual([
      { kind: 'kernel', status: 'stopping', message: 'The kernel is stopping, not online.' },
    ]);
  });
});

describe('GET /readyz under management', () => {
  it('is 503 while an enabled module is offline, 200 once it is disabled', async () => {
    const h = await startHarness({ managed: true });
    try {
      // An enabled module that is not running: mark it and stop it without marking it off.
      h.k.module('mailer').disable();
      await h.k.manage(); // stops mailer
      h.k.module('mailer').enable(); // wanted again, but not yet started
      let reply = await send(h.url, '/readyz');
      expect(reply.status).toBe(503);
      expect(reply.json()).toMatchObject({
        ready: false,
        reasons: [{ kind: 'status', module: 'mailer', status: 'offline' }],
      });
      h.k.module('mailer').disable();
      reply = await send(h.url, '/readyz');
      expect(reply.status).toBe(200);
      h.k.module('mailer').enable();
      await h.k.manage();
      expect((await send(h.url, '/readyz')).status).toBe(200);
    } finally {
      await h.stop();
    }
  });
});
