import { Inspector } from '@keel/inspector';
import { createDemoKernel, DEMO_MODULES } from './app.js';
import { demoFleet } from './fleet.js';

// The inspector is a plugin like any other: one more module, configured through providers.
// DEMO_INSPECTOR_PORT (default 7117; 0 = any free port) and DEMO_INSPECTOR_TOKEN (16+
// characters; without it the page is read-only) configure it.
const inspectorPort = Number(process.env['DEMO_INSPECTOR_PORT'] ?? 7117);
const token = process.env['DEMO_INSPECTOR_TOKEN'];
// DEMO_REDIS_URL joins a fleet on Redis (run two of these: two replicas, one leader).
const { fleet, without, note } = demoFleet(process.env);
console.log(note);
const kernel = createDemoKernel({
  modules: [...DEMO_MODULES.filter((m) => !without.includes(m)), Inspector],
  ...(fleet === undefined ? {} : { fleet }),
  providers: Inspector.configure({
    port: inspectorPort,
    ...(token === undefined ? {} : { token }),
  }),
});
// Under management the inspector's buttons can switch modules off and on again.
kernel.enableManagement();
for (const module of kernel.modules) module.enable();

// Plain text, not a log line: paste it into https://mermaid.live to see the graph.
console.log(`Module graph (Mermaid):\n${kernel.graph('mermaid')}\n`);
kernel.on('status', (name, _from, to) => {
  if (name === 'Inspector' && to === 'online')
    console.log(`Inspector: ${kernel.get(Inspector).url}`);
});
// run() starts, shuts down on SIGINT/SIGTERM and resolves with the exit code; only main exits.
const code = await kernel.run();
process.exit(code);
