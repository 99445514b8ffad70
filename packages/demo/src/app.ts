import { Kernel, type KernelOptions } from '@keel/core';
import { Config } from './modules/config.js';
import { Http } from './modules/http.js';
import { Announcer } from './modules/announcer.js';
import { Janitor } from './modules/janitor.js';
import { Reports } from './modules/reports.js';
import { Storage } from './modules/storage.js';
import { Ticker } from './modules/ticker.js';

/** The demo's modules, dependencies first (the kernel would add Config and Storage anyway). */
export const DEMO_MODULES = [Config, Storage, Http, Ticker, Janitor, Announcer, Reports];

/** Builds the demo kernel; `options` are passed on to `Kernel.create` (tests add a logger, main adds the inspector). */
export function createDemoKernel(options: Partial<KernelOptions> = {}): Kernel {
  return Kernel.create({ modules: DEMO_MODULES, ...options });
}
