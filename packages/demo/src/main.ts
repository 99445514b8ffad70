import { isKeelError, type Kernel, type Provider } from '@keel/core';
import { Inspector, INSPECTOR_OPTIONS, type InspectorOptions } from '@keel/inspector';
import { createDemoKernel, DEMO_MODULES } from './app.js';
import { InspectorConfig } from './settings.js';

// The inspector is a plugin like any other: one more module, configured through providers.
// Its settings are a @keel/config section too (DEMO_INSPECTOR_PORT, DEMO_INSPECTOR_TOKEN).
const inspectorOptions: Provider = {
  provide: INSPECTOR_OPTIONS,
  useFactory: (c): InspectorOptions => {
    const { port, token } = c.resolve(InspectorConfig).value;
    return token === undefined ? { port } : { port, token };
  },
};

let kernel: Kernel;
try {
  kernel = createDemoKernel({
    modules: [...DEMO_MODULES, InspectorConfig, Inspector],
    providers: [inspectorOptions],
    cli: { argv: process.argv.slice(2), name: 'keel-demo' },
  });
} catch (err) {
  // E_CONFIG_INVALID lists every bad setting (never a secret's value): one log line, exit 1.
  const code = isKeelError(err) ? err.code : undefined;
  const msg = err instanceof Error ? err.message : String(err);
  process.stdout.write(
    `${JSON.stringify({ level: 50, time: Date.now(), module: 'config', code, msg })}\n`,
  );
  process.exit(1);
}
// Under management the inspector's buttons can switch modules off and on again.
kernel.enableManagement();
for (const module of kernel.modules) module.enable();

// Plain text, not a log line: paste it into https://mermaid.live to see the graph.
console.log(`Module graph (Mermaid):\n${kernel.graph('mermaid')}\n`);
kernel.on('status', (name, _from, to) => {
  if (name === 'Inspector' && to === 'online')
    console.log(`Inspector: ${kernel.get(Inspector).url}`);
});
// run() starts, shuts down on SIGINT/SIGTERM, reloads the configuration on SIGHUP, and
// resolves with the exit code; only main exits.
const code = await kernel.run();
process.exit(code);
