import type { ModuleContext } from '@keel/core';
import { Counter, register as globalRegistry } from 'prom-client';
import { Inspector } from '@keel/inspector';
import { startHarness, type Harness } from './support/harness.js';
import { send } from './support/http.js';

/** The value of one series in a Prometheus text exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });

  afterEach(async () => {
    await h.stop();
  });

  it('is Prometheus text with module, failure, worker, task and microtask series', async () => {
    const reply = await send(h.url, '/metrics');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = reply.text;
    expect(text).toContain('# TYPE keel_module_status gauge');
    expect(sample(text, 'keel_module_status{module="db",status="online"}')).toBe(1);
    expect(sample(text, 'keel_module_status{module="db",status="offline"}')).toBe(0);
    expect(sample(text, 'keel_module_failure_status{module="db",status="none"}')).toBe(1);
    expect(sample(text, 'keel_module_enabled{module="mailer"}')).toBe(1);
    expect(sample(text, 'keel_kernel_status{status="online"}')).toBe(1);
    expect(sample(text, 'keel_workers_running{module="api"}')).toBe(1);
    expect(sample(text, 'keel_worker_restarts{module="api",worker="serve"}')).toBe(0);
    expect(sample(text, 'keel_task_runs_total{module="cache",task="flush"}')).toBe(0);
    expect(sample(text, 'keel_task_failures_total{module="cache",task="flush"}')).toBe(0);
    expect(sample(text, 'keel_task_running{module="cache",task="flush"}')).toBe(0);
    expect(text).toContain('# TYPE keel_task_last_duration_seconds gauge');
    expect(sample(text, 'keel_microtask_slots_in_use')).toBe(0);
    expect(sample(text, 'keel_microtask_slots_limit')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'keel_microtasks_waiting{priority="medium"}')).toBe(0);
    expect(sample(text, 'keel_microtasks_waiting{priority="low"}')).toBe(0);
    expect(sample(text, 'keel_microtasks_overdue_total')).toBe(0);
    expect(sample(text, 'keel_tasks_queued{queue="normal"}')).toBe(0);
    expect(text).toContain('# TYPE keel_module_errors_total counter');
  });

  it('follows the kernel: task runs, failure states, errors and events', async () => {
    await h.k.runTask('cache', 'flush');
    const db = h.k.module('db').instance as { ctx: ModuleContext };
    db.ctx.error('down', 'Database down', 'connection refused');
    h.errorsExpected = true;
    db.ctx.report(new Error('timeout'), { taskName: 'ping', taskType: 'task' });
    db.ctx.report(new Error('timeout'), { taskName: 'ping', taskType: 'task' });
    await h.k.module('db').triggerEvent('saved', { id: 1 });
    const text = (await send(h.url, '/metrics')).text;
    expect(sample(text, 'keel_task_runs_total{module="cache",task="flush"}')).toBe(1);
    expect(sample(text, 'keel_task_last_duration_seconds{module="cache",task="flush"}')).toBe(0);
    expect(sample(text, 'keel_module_failure_status{module="db",status="error"}')).toBe(1);
    expect(sample(text, 'keel_module_failure_status{module="db",status="none"}')).toBe(0);
    expect(
      sample(text, 'keel_module_errors_total{module="db",task_type="task",severity="error"}'),
    ).toBe(2);
    expect(sample(text, 'keel_events_total{module="db",event="saved"}')).toBe(1);
  });

  it('serves custom metrics registered on inspector.registry', async () => {
    const kernel = h.k;
    const orders = new Counter({
      name: 'app_orders_total',
      help: 'Orders placed.',
      registers: [kernel.get(Inspector).registry],
    });
    orders.inc(3);
    expect(sample((await send(h.url, '/metrics')).text, 'app_orders_total')).toBe(3);
  });
});

describe('metrics of two kernels in one process', () => {
  it('are separate registries, and prom-client’s global registry stays untouched', async () => {
    const a = await startHarness();
    const b = await startHarness();
    try {
      expect(a.url).not.toBe(b.url);
      expect(a.inspector.registry).not.toBe(b.inspector.registry);
      a.errorsExpected = true;
      const db = a.k.module('db').instance as { ctx: ModuleContext };
      // Both kernels have a module "db": its series must not mix.
      db.ctx.report(new Error('only in a'), { taskName: 'ping', taskType: 'task' });
      const series = 'keel_module_errors_total{module="db",task_type="task",severity="error"}';
      const textA = (await send(a.url, '/metrics')).text;
      const textB = (await send(b.url, '/metrics')).text;
      expect(sample(textA, series)).toBe(1);
      expect(sample(textB, series)).toBeUndefined();
      expect(await globalRegistry.metrics()).not.toContain('keel_');
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
