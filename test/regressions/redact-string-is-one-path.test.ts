import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Kernel, Module, ModuleContext } from '@keel/core';

// Issue 13, item 5. `redact: 'password'` (a string) was spread into the one-letter paths
// p, a, s, … and the secret went to the log. A string is one path.

class Login {
  constructor(readonly ctx: ModuleContext) {}
  start(): void {
    this.ctx.logger.info({ password: 'hunter2', user: 'ann' }, 'login');
  }
}
Reflect.defineMetadata('design:paramtypes', [ModuleContext], Login);
Module({ name: 'login' })(Login);

describe('redact given as a string', () => {
  it('censors that one path', async () => {
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        out += chunk.toString();
        done();
      },
    });
    const kernel = Kernel.create({
      modules: [Login],
      logger: pino({ level: 'info' }, sink),
      redact: 'password',
    });
    await kernel.start();
    await kernel.shutdown();
    expect(out).toContain('"user":"ann"');
    expect(out).not.toContain('hunter2');
    expect(out).toContain('"password":"[redacted]"');
  });
});
