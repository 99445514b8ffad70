import { Module, type ModuleClass } from '@keel/core';
import { createTestKernel } from '@keel/testing';

function mod(name: string, deps: ModuleClass[], methods: Record<string, () => unknown>): ModuleClass {
  const cls = { [name]: class {} }[name]!;
  Object.assign(cls.prototype, methods);
  Module({ name, dependsOn: deps })(cls);
  return cls as ModuleClass;
}

it('shutdown overrun leaves modules behind?', async () => {
  const log: string[] = [];
  const never = () => new Promise<void>(() => undefined);
  const a = mod('a', [], { stop: () => { log.push('stop a'); } });
  const b = mod('b', [a], { stop: () => { log.push('stop b'); return never(); } });
  const c = mod('c', [b], { stop: () => { log.push('stop c'); return never(); } });
  const k = createTestKernel({ modules: [c], stopTimeout: '1s', shutdownTimeout: '1s' });
  k.on('status', (n, f, t) => log.push(`${n} ${f}->${t} @${k.clock.now() - 1767225600000}`));
  await k.start();
  let done = false;
  const p = k.shutdown().then(() => (done = true));
  for (let i = 0; i < 20 && !done; i++) await k.clock.advance('250ms');
  await p;
  log.push('shutdown resolved @' + (k.clock.now() - 1767225600000));
  await k.clock.advance('10s');
  console.log(log.join('\n'), k.errors.map((e) => `${e.module} ${e.taskType} ${e.message}`).join('\n'), k.modules.map((m) => `${m.name}:${m.status}`));
  let leaks = '';
  try { k.expectNoLeaks(); } catch (e) { leaks = String(e); }
  console.log(leaks);
});

it('unhandled rejection seen by process listener?', async () => {
  const seen: unknown[] = [];
  const on = (r: unknown) => seen.push(r);
  process.on('unhandledRejection', on);
  void Promise.reject(new Error('x'));
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  process.off('unhandledRejection', on);
  console.log('seen', seen.length);
});
