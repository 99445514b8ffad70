/**
 * @jest-environment ./test/reliability/support/process-watch-environment.cjs
 */
it('real process?', async () => {
  const real = (globalThis as any).__keelRealProcess;
  const seen: unknown[] = [];
  const on = (r: unknown) => seen.push(r);
  real.on('unhandledRejection', on);
  void Promise.reject(new Error('x'));
  await new Promise((r) => setImmediate(r));
  real.off('unhandledRejection', on);
  console.log('seen', seen.length);
});
