import { createDemoKernel } from './app.js';

const kernel = createDemoKernel();
// Plain text, not a log line: paste it into https://mermaid.live to see the graph.
console.log(`Module graph (Mermaid):\n${kernel.graph('mermaid')}\n`);
// run() starts, shuts down on SIGINT/SIGTERM and resolves with the exit code; only main exits.
const code = await kernel.run();
process.exit(code);
