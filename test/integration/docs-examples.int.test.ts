import { Kernel, Module } from '@keel/core';
import { pino } from 'pino';

@Module()
class A {}

it('run via process.emit', async () => {
  const kernel = Kernel.create({ modules: [A], logger: pino({ level: 'silent' }) });
  const code = kernel.run();
  await new Promise((r) => setImmediate(r));
  expect(kernel.status).toBe('online');
  process.emit('SIGTERM');
  expect(await code).toBe(0);
  expect(process.listenerCount('SIGTERM')).toBe(0);
});
