import { createTestKernel } from '@keel/testing';
import { Module, ModuleContext, type FailureState } from '../../src/index.js';

@Module({ name: 'net' })
class Net {
  constructor(readonly ctx: ModuleContext) {}
}

@Module({ name: 'disk' })
class Disk {
  constructor(readonly ctx: ModuleContext) {}
}

describe('failure status', () => {
  it('sets, keeps the first of one id, replaces with another id, and resolves', () => {
    const k = createTestKernel({ modules: [Net] });
    const seen: Array<[string, FailureState]> = [];
    k.on('failure', (module, state) => seen.push([module, state]));
    const { ctx } = k.get(Net);
    ctx.warning('offline', 'No network', 'The uplink is down.');
    ctx.warning('offline', 'Changed title', 'ignored: same id');
    expect(ctx.failure).toEqual({
      status: 'warning',
      id: 'offline',
      title: 'No network',
      message: 'The uplink is down.',
    });
    ctx.error('dns', 'DNS broken', 'Resolver times out.');
    expect(k.module('net').failure.status).toBe('error');
    ctx.resolve('offline'); // not the current id: nothing happens
    expect(ctx.failure.id).toBe('dns');
    ctx.resolve('dns');
    expect(ctx.failure).toEqual({ status: 'none', id: '', title: '', message: '' });
    ctx.hint('tip', 'Tip', 'Enable caching.');
    ctx.resolve();
    expect(ctx.failure.status).toBe('none');
    expect(seen.map(([m, s]) => `${m}:${s.status}:${s.id}`)).toEqual([
      'net:warning:offline',
      'net:error:dns',
      'net:none:',
      'net:hint:tip',
      'net:none:',
    ]);
  });

  it('shows each module and the worst status in inspect()', () => {
    const k = createTestKernel({ modules: [Net, Disk] });
    expect(k.inspect().failure).toBe('none');
    k.get(Net).ctx.hint('h', 'Hint', 'm');
    expect(k.inspect().failure).toBe('hint');
    k.get(Disk).ctx.error('full', 'Disk full', '0 bytes left');
    const snapshot = k.inspect();
    expect(snapshot.failure).toBe('error');
    expect(snapshot.modules['disk']!.failure).toMatchObject({ status: 'error', id: 'full' });
    expect(snapshot.modules['net']!.failure.status).toBe('hint');
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
  });

  it('keeps a failing listener from breaking the kernel', () => {
    const k = createTestKernel({ modules: [Net] });
    k.on('failure', () => {
      throw new Error('listener bug');
    });
    k.get(Net).ctx.warning('w', 'W', 'w');
    expect(k.module('net').failure.id).toBe('w');
    expect(k.errors.map((e) => e.message)).toEqual(['listener bug']);
  });
});
