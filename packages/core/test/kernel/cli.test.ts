import { KeelError, Module, ModuleContext } from '../../src/index.js';
import { quietKernel } from '../helpers.js';

@Module({
  name: 'http',
  flags: {
    port: { type: 'string', short: 'p', default: '8080', description: 'Port to listen on.' },
    verbose: { type: 'boolean', description: 'Log every request.' },
  },
})
class Http {
  started = false;
  constructor(readonly ctx: ModuleContext) {}
  start() {
    this.started = true;
  }
}

describe('command-line flags', () => {
  it('parses the flags modules declare', async () => {
    const kernel = quietKernel({ modules: [Http], cli: { argv: ['-p', '9000', '--verbose'] } });
    const { ctx } = kernel.get(Http);
    expect(ctx.flag('port')).toBe('9000');
    expect(ctx.flag<boolean>('verbose')).toBe(true);
    expect(() => ctx.flag('nope')).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }));
    await kernel.start();
    await kernel.shutdown();
  });

  it('uses defaults without cli, and never reads process.argv', () => {
    const kernel = quietKernel({ modules: [Http] });
    expect(kernel.get(Http).ctx.flag('port')).toBe('8080');
    expect(kernel.get(Http).ctx.flag('verbose')).toBeUndefined();
  });

  it('prints every module flag on --help and exits cleanly without starting', async () => {
    let printed = '';
    const kernel = quietKernel({
      modules: [Http],
      cli: { argv: ['--help'], name: 'mysvc', print: (text) => (printed += text) },
    });
    await expect(kernel.run()).resolves.toBe(0);
    expect(kernel.get(Http).started).toBe(false);
    expect(kernel.status).toBe('stopped');
    expect(kernel.module(Http).status).toBe('dead');
    expect(printed).toContain('Usage: mysvc [options]');
    expect(printed).toMatch(/-h, --help\s+Show this help/);
    expect(printed).toMatch(
      /http:\n\s+-p, --port <value>\s+Port to listen on\. \(default: "8080"\)/,
    );
    expect(printed).toMatch(/--verbose\s+Log every request\./);
  });

  it('rejects an unknown flag at create time with a hint', () => {
    let error: unknown;
    try {
      quietKernel({ modules: [Http], cli: { argv: ['--prot', '1'] } });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KeelError);
    expect(error).toMatchObject({
      code: 'E_CLI_ARGUMENT',
      message: expect.stringMatching(/--prot[\s\S]*--help/),
    });
  });

  it('rejects one flag declared by two modules', () => {
    @Module({ name: 'other', flags: { port: { type: 'string' } } })
    class Other {}
    expect(() => quietKernel({ modules: [Http, Other] })).toThrow(
      expect.objectContaining({
        code: 'E_INVALID_OPTION',
        message: expect.stringContaining('"http" and "other"'),
      }),
    );
  });
});
