import { Kernel, Module, ModuleContext } from '@keel/core';
import { pino } from 'pino';

// Found by test/reliability/redact.test.ts.
//
// With both `logger` and `redact`, Kernel.create wraps the given logger as
// `logger.child({}, { redact: { paths: redact } })` (logging/logger.ts, withRedaction).
// A pino child's `redact` REPLACES its parent's redaction instead of adding to it, so every
// path the service had configured on its own logger (`pino({ redact: ['apiKey'] })`) was
// printed in clear in every line the kernel and its modules log.
// Fixed: such a combination is refused with E_INVALID_OPTION (pino cannot merge the two),
// and a logger without redaction of its own gets Keel's paths.

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
  it('refuses a logger that redacts already, instead of silently dropping its paths', () => {
    const logger = pino({ redact: ['apiKey'] }, { write: () => undefined });
    expect(() => Kernel.create({ modules: [Billing], logger, redact: ['password'] })).toThrow(
      expect.objectContaining({
        code: 'E_INVALID_OPTION',
        message: expect.stringContaining('["password"]'),
      }),
    );
  });

  it("applies Keel's paths to a logger without redaction, and a logger's own paths stay", async () => {
    const cases: Array<[pino.LoggerOptions, string[]]> = [
      [{}, ['password', 'apiKey']],
      [{ redact: ['password', 'apiKey'] }, []],
    ];
    for (const [options, redact] of cases) {
      const lines: string[] = [];
      const logger = pino(options, { write: (line: string) => void lines.push(line) });
      const kernel = Kernel.create({ modules: [Billing], logger, redact });
      await kernel.start();
      await kernel.shutdown();
      const ready = lines.find((l) => l.includes('billing ready'));
      expect(ready).toBeDefined();
      expect(ready).not.toContain('pw-do-not-print');
      expect(ready).not.toContain('sk-live-do-not-print');
    }
  });
});
