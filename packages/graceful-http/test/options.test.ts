import { Kernel, KeelError, Module, ModuleContext } from '@keel/core';
import { pino } from 'pino';
import {
  HTTP_SERVER_OPTIONS,
  HttpServer,
  Router,
  resolveHttpServerOptions,
  type HttpServerOptions,
  type ResolvedHttpServerOptions,
} from '../src/index.js';

const handler = (): void => undefined;

/** The KeelError `configure()` throws for `options`. */
function configureError(options: unknown): KeelError {
  try {
    HttpServer.configure(options as HttpServerOptions);
  } catch (err) {
    expect(err).toBeInstanceOf(KeelError);
    return err as KeelError;
  }
  throw new Error('expected HttpServer.configure() to throw');
}

describe('HttpServer.configure()', () => {
  it('returns the provider of a frozen copy of the options', () => {
    const options = { port: 8080, handler };
    const providers = HttpServer.configure(options);
    expect(providers).toEqual([{ provide: HTTP_SERVER_OPTIONS, useValue: options }]);
    expect(providers[0]!.useValue).not.toBe(options);
    expect(Object.isFrozen(providers[0]!.useValue)).toBe(true);
  });

  it('fills in the defaults, reads durations and accepts a dispatcher such as a Router', () => {
    const defaults: ResolvedHttpServerOptions = resolveHttpServerOptions({ handler });
    expect(defaults).toEqual({
      host: '127.0.0.1',
      port: 0,
      drainTimeoutMs: 10_000,
      bodyLimit: 1_048_576,
      handler,
    });
    const router = new Router();
    const custom = resolveHttpServerOptions({
      host: '::1',
      port: 8080,
      drainTimeout: '250ms',
      handler: router,
    });
    expect(custom).toMatchObject({ host: '::1', port: 8080, drainTimeoutMs: 250 });
    expect(typeof custom.handler).toBe('function');
  });

  it.each([-1, 65_536, 1.5, Number.NaN, '8080', null])(
    'rejects port %p with E_INVALID_OPTION naming the option',
    (port) => {
      const err = configureError({ handler, port });
      expect(err.code).toBe('E_INVALID_OPTION');
      expect(err.message).toContain('port');
      expect(err.details).toMatchObject({ option: 'port' });
    },
  );

  it.each([
    ['host', { handler, host: '' }],
    ['host', { handler, host: 42 }],
    ['handler', {}],
    ['handler', { handler: 'index.html' }],
    ['handler', { handler: { route: () => undefined } }],
    ['prot', { handler, prot: 80 }],
    ['options', null],
  ])('rejects a bad %s with E_INVALID_OPTION naming it', (option, options) => {
    const err = configureError(options);
    expect(err.code).toBe('E_INVALID_OPTION');
    expect(err.message).toContain(option);
    expect(err.details).toMatchObject({ option });
  });

  it('rejects a bad drainTimeout with E_INVALID_DURATION naming it', () => {
    const err = configureError({ handler, drainTimeout: '10 parsecs' });
    expect(err.code).toBe('E_INVALID_DURATION');
    expect(err.message).toContain('drainTimeout');
  });

  it('makes Kernel.create fail, saying what to add, when configure() was not used', () => {
    let thrown: unknown;
    try {
      Kernel.create({ modules: [HttpServer], logger: pino({ level: 'silent' }) });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(KeelError);
    expect((thrown as KeelError).code).toBe('E_MODULE_CONSTRUCTOR');
    const cause = (thrown as KeelError).cause as KeelError;
    expect(cause.code).toBe('E_INVALID_OPTION');
    expect(cause.message).toContain('HttpServer.configure');
  });

  it('validates the options a subclass passes to super()', () => {
    @Module({ name: 'api', events: ['listening'] })
    class Api extends HttpServer {
      constructor(ctx: ModuleContext) {
        super(ctx, { port: 99_999, handler });
      }
    }
    let thrown: unknown;
    try {
      Kernel.create({ modules: [Api], logger: pino({ level: 'silent' }) });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'E_MODULE_CONSTRUCTOR', module: 'api' });
    expect((thrown as KeelError).cause).toMatchObject({
      code: 'E_INVALID_OPTION',
      details: { option: 'port', value: 99_999 },
    });
  });
});
