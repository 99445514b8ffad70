import { Module } from '@keel/core';
import { createTestKernel } from '@keel/testing';

// Issue 13, item 9. run() on a kernel that had started already took the rejected start()
// as a failed start: it shut the running kernel down and resolved 0. It now rejects with
// E_KERNEL_STATE and leaves the kernel running.

class Svc {}
Module({ name: 'svc' })(Svc);

describe('run() on a kernel that is not fresh', () => {
  it('rejects with E_KERNEL_STATE and leaves a started kernel online', async () => {
    const k = createTestKernel({ modules: [Svc] });
    await k.start();
    await expect(k.run()).rejects.toMatchObject({ code: 'E_KERNEL_STATE' });
    expect(k.status).toBe('online');
    expect(k.module(Svc).status).toBe('online');
    await k.shutdown();
    k.expectNoLeaks();
  });

  it('rejects with E_KERNEL_STATE after shutdown', async () => {
    const k = createTestKernel({ modules: [Svc] });
    await k.start();
    await k.shutdown();
    await expect(k.run()).rejects.toMatchObject({ code: 'E_KERNEL_STATE' });
    expect(k.status).toBe('stopped');
    k.expectNoLeaks();
  });
});
