import * as lifecycle from '../../docs/examples/lifecycle.js';
import * as workers from '../../docs/examples/workers.js';
import * as failure from '../../docs/examples/failure-status.js';
import * as errors from '../../docs/examples/errors.js';
import * as tasks from '../../docs/examples/tasks.js';
import * as microtasks from '../../docs/examples/microtasks.js';
import * as events from '../../docs/examples/events.js';

it('prints', async () => {
  for (const [name, mod] of Object.entries({ lifecycle, workers, failure, errors, tasks, microtasks, events })) {
    const r = await mod.main();
    console.log(name, JSON.stringify(r, null, 1));
  }
});
