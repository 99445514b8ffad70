/**
 * @jest-environment ./test/reliability/support/process-watch-environment.cjs
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { watchProcess } from './support/process-watch.js';

// The properties rely on this watcher to fail a run that lets a rejection escape; prove it
// sees one (Jest's own `process` inside a test never would).
describe('watchProcess', () => {
  it('sees an unhandled rejection on the real process', async () => {
    const watch = watchProcess();
    try {
      const escaped = Promise.reject(new Error('escaped on purpose'));
      await nextTurn();
      await nextTurn();
      expect(watch.problems).toEqual([expect.stringContaining('escaped on purpose')]);
      // Handle it late, so Jest (which saw it too) forgets it again.
      await escaped.catch(() => undefined);
      await nextTurn();
    } finally {
      watch.dispose();
    }
  });

  it('sees nothing when every rejection is handled', async () => {
    const watch = watchProcess();
    try {
      await Promise.reject(new Error('handled')).catch(() => undefined);
      await nextTurn();
      expect(watch.problems).toEqual([]);
    } finally {
      watch.dispose();
    }
  });
});
