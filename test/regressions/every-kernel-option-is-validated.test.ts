import { Kernel, KeelError, Module } from '@keel/core';

// Issue 13, item 4. Some Kernel.create options were not validated: `random: 5`,
// `logger: 'stdout'`, `logger: {}`, `redact: 5` were accepted and failed later as raw
// TypeErrors. Each is refused at once with E_INVALID_OPTION naming the option.

class Svc {}
Module({ name: 'svc' })(Svc);

const bad: Array<[string, Record<string, unknown>]> = [
  ['random', { random: 5 }],
  ['logger', { logger: 'stdout' }],
  ['logger', { logger: {} }],
  ['logger', { logger: null }],
  ['redact', { redact: 5 }],
  ['redact', { redact: [5] }],
  ['redact', { redact: { password: true } }],
  ['clock', { clock: { now: () => 0, setTimeout, clearTimeout, monotonic: 5 } }],
];

describe.each(bad)('Kernel.create with a bad %s', (option, extra) => {
  it(`refuses ${JSON.stringify(extra)} with E_INVALID_OPTION naming it`, () => {
    let thrown: unknown;
    try {
      Kernel.create({ modules: [Svc], ...extra });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(KeelError);
    expect((thrown as KeelError).code).toBe('E_INVALID_OPTION');
    expect((thrown as KeelError).message).toContain(option);
  });
});
