import { isKeelError } from '@keel/core';
import {
  DEFAULT_PORT,
  INSPECTOR_OPTIONS,
  Inspector,
  resolveInspectorOptions,
} from '@keel/inspector';
import { createTestKernel } from '@keel/testing';
import { TOKEN } from './support/modules.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isKeelError(err) ? err.code : `not a KeelError: ${String(err)}`;
  }
  return undefined;
}

describe('Inspector.configure', () => {
  it('returns providers for Kernel.create, under INSPECTOR_OPTIONS', () => {
    const providers = Inspector.configure({ port: 0, token: TOKEN });
    expect(providers).toEqual([
      { provide: INSPECTOR_OPTIONS, useValue: { port: 0, token: TOKEN } },
    ]);
  });

  it('defaults to loopback, a fixed port and no token (read-only)', () => {
    expect(resolveInspectorOptions({})).toEqual({
      host: '127.0.0.1',
      port: DEFAULT_PORT,
      token: undefined,
      allowedHosts: [],
    });
  });

  it.each([
    [{ port: -1 }, '"port" must be an integer from 0 to 65535, got -1'],
    [{ port: 70000 }, 'got 70000'],
    [{ port: 1.5 }, 'got 1.5'],
    [{ port: '80' }, 'got "80"'],
    [{ host: '' }, '"host" must be a non-empty string'],
    [{ token: 'short' }, 'at least 16 characters (got 5 characters)'],
    [{ token: 42 }, '"token" must be a string'],
    [{ allowedHosts: 'example.com' }, '"allowedHosts" must be an array of strings'],
    [{ prot: 8080 }, 'unknown option "prot"'],
  ])('rejects %j with E_INVALID_OPTION naming the option', (options, message) => {
    expect(codeOf(() => Inspector.configure(options as never))).toBe('E_INVALID_OPTION');
    expect(() => Inspector.configure(options as never)).toThrow(message);
  });

  it('never repeats a rejected token in the message', () => {
    expect(() => Inspector.configure({ token: 'secret-ish' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('secret-ish') }),
    );
  });

  it('works without configure(): prep finds no options and uses the defaults', async () => {
    // runCommand preps every module without starting it, so no server binds the default port.
    const k = createTestKernel({ modules: [Inspector] });
    expect(await k.runCommand(() => undefined)).toBe(0);
    k.expectNoErrors();
    k.expectNoLeaks();
  });

  it('fails the start in prep, naming the module, when provided options are invalid', async () => {
    const k = createTestKernel({
      modules: [Inspector],
      providers: [{ provide: INSPECTOR_OPTIONS, useValue: { port: 'nope' } }],
    });
    await expect(k.start()).rejects.toMatchObject({ code: 'E_START_FAILED', module: 'Inspector' });
    expect(k.errors.map((e) => [e.taskType, e.message])).toEqual([
      ['prep', expect.stringContaining('"port" must be an integer')],
    ]);
    k.expectNoLeaks();
  });
});
