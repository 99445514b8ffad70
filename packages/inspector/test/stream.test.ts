import type { ModuleContext } from '@keel/core';
import { startHarness, type Harness } from './support/harness.js';
import { openStream, send, type Stream } from './support/http.js';

describe('GET /api/stream (Server-Sent Events)', () => {
  let h: Harness;
  let stream: Stream | undefined;

  beforeEach(async () => {
    h = await startHarness({ managed: true });
    stream = await openStream(h.url);
  });

  afterEach(async () => {
    stream?.close();
    await h.stop();
  });

  it('is an uncached text/event-stream without CORS headers', () => {
    expect(stream!.status).toBe(200);
    expect(stream!.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream!.headers['cache-control']).toBe('no-store');
    expect(stream!.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends status changes as they happen', async () => {
    h.k.module('mailer').disable();
    await h.k.manage();
    await stream!.waitFor(
      (m) => m.event === 'status' && (m.data as { to: string }).to === 'offline',
    );
    expect(stream!.messages.filter((m) => m.event === 'status').map((m) => m.data)).toEqual([
      { module: 'mailer', from: 'online', to: 'stopping' },
      { module: 'mailer', from: 'stopping', to: 'offline' },
    ]);
  });

  it('sends failure state changes', async () => {
    const db = h.k.module('db').instance as { ctx: ModuleContext };
    db.ctx.warning('slow', 'Slow disk', 'fsync took 900 ms');
    const message = await stream!.waitFor((m) => m.event === 'failure');
    expect(message.data).toEqual({
      module: 'db',
      status: 'warning',
      id: 'slow',
      title: 'Slow disk',
      message: 'fsync took 900 ms',
    });
  });

  it('sends errors as { module, taskName, taskType, severity, message } and nothing more', async () => {
    h.errorsExpected = true;
    const db = h.k.module('db').instance as { ctx: ModuleContext };
    db.ctx.report(new Error('connection reset'), { taskName: 'ping', taskType: 'task' });
    const message = await stream!.waitFor((m) => m.event === 'error');
    expect(message.data).toEqual({
      module: 'db',
      taskName: 'ping',
      taskType: 'task',
      severity: 'error',
      message: 'connection reset',
    });
    expect(stream!.raw).not.toContain('at '); // no stack trace
  });

  it('sends exposed events with their data', async () => {
    await h.k.module('db').triggerEvent('saved', { id: 7, table: 'users' });
    const message = await stream!.waitFor((m) => m.event === 'event');
    expect(message.data).toEqual({
      module: 'db',
      event: 'saved',
      exposed: true,
      data: { id: 7, table: 'users' },
    });
  });

  it('sends a non-exposed event without its data: the data never leaves the process', async () => {
    const secret = 'hunter2-do-not-leak';
    await h.k.module('db').triggerEvent('credentials', { password: secret });
    // An exposed event after it: once it arrived, the private one has been written too.
    await h.k.module('db').triggerEvent('saved', { id: 1 });
    await stream!.waitFor(
      (m) => m.event === 'event' && (m.data as { event: string }).event === 'saved',
    );
    const events = stream!.messages.filter((m) => m.event === 'event').map((m) => m.data);
    expect(events[0]).toEqual({ module: 'db', event: 'credentials', exposed: false });
    expect(events[0]).not.toHaveProperty('data');
    expect(stream!.raw).not.toContain(secret);
    expect(stream!.raw).not.toContain('password');
  });

  it('flags exposed data that cannot be sent as JSON instead of failing', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await h.k.module('db').triggerEvent('saved', cyclic);
    const message = await stream!.waitFor((m) => m.event === 'event');
    expect(message.data).toEqual({
      module: 'db',
      event: 'saved',
      exposed: true,
      dataOmitted: 'not JSON-serialisable',
    });
  });

  it('ends open streams when the kernel shuts down', async () => {
    const second = await openStream(h.url);
    await h.k.shutdown();
    await Promise.all([stream!.ended, second.ended]);
    // The stop of the inspector itself was streamed before the end.
    expect(second.raw).toContain('"module":"Inspector","from":"online","to":"stopping"');
  });

  it('answers HEAD with the headers only', async () => {
    const reply = await send(h.url, '/api/stream', { method: 'HEAD' });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/event-stream; charset=utf-8');
  });
});
