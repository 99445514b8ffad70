import { Kernel } from '@keel/core';
import { Greeter } from './app.js';

// Settings is included because Greeter needs it. SIGINT/SIGTERM shut the kernel down gracefully.
const kernel = Kernel.create({ modules: [Greeter] });
void kernel.run().then((code) => {
  process.exitCode = code;
});
