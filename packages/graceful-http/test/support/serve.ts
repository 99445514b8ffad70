import type { ModuleClass } from '@keel/core';
import { createTestKernel, type TestKernel } from '@keel/testing';
import { HttpServer, type HttpServerOptions } from '../../src/index.js';

/** A started test kernel running the `http` module (plus `modules`), and its URL. */
export interface Served {
  k: TestKernel;
  http: HttpServer;
  url: string;
}

/** Starts a test kernel with `HttpServer.configure(options)` on 127.0.0.1, any free port. */
export async function serve(
  options: HttpServerOptions,
  modules: ModuleClass[] = [],
  server: ModuleClass = HttpServer,
): Promise<Served> {
  const k = createTestKernel({
    modules: [server, ...modules],
    providers: [...HttpServer.configure(options)],
  });
  await k.start();
  const http = k.module('http').instance as HttpServer;
  return { k, http, url: http.url! };
}
