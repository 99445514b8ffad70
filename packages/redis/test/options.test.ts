import { isKeelError } from '@keel/core';
import { maskUrl, redisFleet, type RedisFleetOptions } from '../src/index.js';

const base = { url: 'redis://127.0.0.1:6390', service: 'billing' };

function optionError(options: unknown): { code: string; option: unknown; message: string } {
  try {
    redisFleet(options as RedisFleetOptions);
  } catch (error) {
    if (!isKeelError(error)) throw error;
    return { code: error.code, option: error.details?.['option'], message: error.message };
  }
  throw new Error('redisFleet accepted it');
}

describe('redisFleet options', () => {
  it('has documented defaults and exposes leaseTtlMs and replicaId for the kernel', () => {
    const provider = redisFleet(base);
    expect(provider.kind).toBe('redis');
    expect(provider.leaseTtlMs).toBe(10_000);
    expect(provider.replicaId).toMatch(/^.+-\d+-[0-9a-f]{6}$/);
    expect(provider.options).toMatchObject({
      prefix: 'keel',
      connectTimeoutMs: 5_000,
      commandTimeoutMs: 2_000,
      eventsMaxLen: 10_000,
      blockMs: 2_000,
    });
    const custom = redisFleet({ ...base, leaseTtl: '3s', replicaId: 'web-1', blockMs: 250 });
    expect(custom.leaseTtlMs).toBe(3_000);
    expect(custom.replicaId).toBe('web-1');
    expect(custom.options.blockMs).toBe(250);
  });

  it('gives each call a fresh provider (two kernels share nothing)', () => {
    const a = redisFleet(base);
    const b = redisFleet(base);
    expect(a).not.toBe(b);
    expect(a.replicaId).not.toBe(b.replicaId);
  });

  it.each([
    ['url', { service: 'x' }],
    ['url', { ...base, url: 'http://127.0.0.1' }],
    ['url', { ...base, url: 'not a url' }],
    ['service', { url: base.url }],
    ['service', { ...base, service: 'has space' }],
    ['prefix', { ...base, prefix: '' }],
    ['leaseTtl', { ...base, leaseTtl: -1 }],
    ['leaseTtl', { ...base, leaseTtl: '10 parsecs' }],
    ['leaseTtl', { ...base, leaseTtl: 50 }],
    ['replicaId', { ...base, replicaId: 'a b' }],
    ['replicaId', { ...base, replicaId: '' }],
    ['connectTimeout', { ...base, connectTimeout: 0 }],
    ['commandTimeout', { ...base, commandTimeout: 'soon' }],
    ['eventsMaxLen', { ...base, eventsMaxLen: 0 }],
    ['eventsMaxLen', { ...base, eventsMaxLen: 1.5 }],
    ['blockMs', { ...base, blockMs: 120_000 }],
    ['colour', { ...base, colour: 'red' }],
    ['options', null],
  ])('refuses a bad %s with E_INVALID_OPTION naming it', (option, options) => {
    const error = optionError(options);
    expect(error.code).toBe('E_INVALID_OPTION');
    expect(error.option).toBe(option);
    expect(error.message).toContain(option === 'options' ? 'options' : `option ${option}`);
  });

  it('never echoes a password from a malformed URL', () => {
    const error = optionError({ ...base, url: 'redis://:hunter2@[bad' });
    expect(error.message).not.toContain('hunter2');
  });
});

describe('maskUrl', () => {
  it('masks the password and keeps the rest', () => {
    expect(maskUrl('redis://:s3cret@10.0.0.1:6380/2')).toBe('redis://:***@10.0.0.1:6380/2');
    expect(maskUrl('rediss://app:s3cret@host:6380')).toBe('rediss://app:***@host:6380');
    expect(maskUrl('redis://host:6379')).toBe('redis://host:6379');
    expect(maskUrl('::')).toBe('<unparseable url>');
  });
});
