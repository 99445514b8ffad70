import { Kernel, Module, ModuleContext } from '@keel/core';
import { pino } from 'pino';

// Found by test/reliability/redact.test.ts.
//
// With both `logger` and `redact`, Kernel.create wraps the given logger as
// `logger.child({}, { redact: { paths: redact } })` (logging/logger.ts, withRedaction).
// A pino child's `redact` REPLACES its parent's redaction instead of adding to it, so every
// path the service had configured on its own logger (`pino({ redact: ['apiKey'] })`) is
// printed in clear in every line the kernel and its modules log.

@Module({ name: 'billing' })
class Billing {
  constructor(readonly ctx: ModuleContext) {}

  start(): void {
    this.ctx.logger.info(
      { apiKey: 'sk-live-do-not-print', password: 'pw-do-not-print' },
      'billing ready',
    );
  }
}

describe('Kernel.create({ logger, redact })', () => {
  it('keeps the redaction configured on the given logger', async () => {
    const lines: string[] = [];
    const logger = pino({ redact: ['apiKey'] }, { write: (line: string) => void lines.push(line) });
    const kernel = Kernel.create({ modules: [Billing], logger, redact: ['password'] });
    await kernel.start();
    await kernel.shutdown();
    const ready = lines.find((l) => l.includes('billing ready'));
    expect(ready).toBeDefined();
    expect(ready).not.toContain('pw-do-not-print'); // the kernel's redact works
    // Fails today: the logger's own `apiKey` redaction is gone.
    expect(ready).not.toContain('sk-live-do-not-print');
  });
});
