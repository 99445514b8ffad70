import { createTestKernel, type TestKernel, type TestKernelOptions } from '@keel/testing';
import { Inspector, type InspectorOptions } from '@keel/inspector';
import { Api, Cache, Db, Mailer } from './modules.js';

/** A test kernel with the sample modules and an inspector on a free loopback port. */
export interface Harness {
  k: TestKernel;
  inspector: Inspector;
  /** The inspector's base URL, e.g. `http://127.0.0.1:41234/`. */
  url: string;
  /** Set when a test reports errors on purpose; otherwise `stop()` checks there were none. */
  errorsExpected: boolean;
  /** Shuts the kernel down and checks nothing leaked (and no error was reported). */
  stop(): Promise<void>;
}

/** Options of {@link startHarness}. */
export interface HarnessOptions {
  inspector?: InspectorOptions;
  managed?: boolean;
  kernel?: Partial<TestKernelOptions>;
}

/** Starts the sample service with an inspector on port 0. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const k = createTestKernel({
    modules: [Api, Cache, Db, Mailer, Inspector],
    ...options.kernel,
    providers: [
      ...Inspector.configure({ port: 0, ...options.inspector }),
      ...(options.kernel?.providers ?? []),
    ],
  });
  if (options.managed) {
    k.enableManagement();
    for (const m of k.modules) m.enable();
  }
  await k.start();
  const inspector = k.get(Inspector);
  const url = inspector.url;
  if (url === undefined) throw new Error('the inspector has no url after start');
  const harness: Harness = {
    k,
    inspector,
    url,
    errorsExpected: false,
    async stop() {
      await k.shutdown();
      k.expectNoLeaks();
      if (!harness.errorsExpected) k.expectNoErrors();
    },
  };
  return harness;
}
