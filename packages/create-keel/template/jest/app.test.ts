// Jest: `npm run test:jest`, with the @keel/testing preset (ESM, decorator metadata kept).
import { expect, it } from '@jest/globals';
import { createTestKernel } from '@keel/testing';
import { Greeter } from '../src/app.js';

it('greets at start and once a minute, on a fake clock', async () => {
  const k = createTestKernel({ modules: [Greeter] });
  await k.start();
  await k.clock.advance('10m');
  expect((k.module(Greeter).instance as Greeter).greetings).toBe(11);
  k.expectNoErrors();
  await k.shutdown();
  k.expectNoLeaks();
});
