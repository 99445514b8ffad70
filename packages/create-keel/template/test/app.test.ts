// node:test: `npm test` compiles with tsc (decorator metadata kept) and runs dist/test/.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestKernel } from '@keel/testing';
import { Greeter } from '../src/app.js';

test('greets at start and once a minute, on a fake clock', async () => {
  const k = createTestKernel({ modules: [Greeter] });
  await k.start();
  await k.clock.advance('10m');
  assert.equal((k.module(Greeter).instance as Greeter).greetings, 11);
  k.expectNoErrors();
  await k.shutdown();
  k.expectNoLeaks();
});
