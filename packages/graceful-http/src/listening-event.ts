import { defineEvent } from '@keel/core';
import type { AddressInfo } from 'node:net';

/** The name of the `HttpServer` module. */
export const HTTP_MODULE_NAME = 'http';

/** The payload of the `http` module's `listening` event. */
export interface HttpListeningEvent {
  /** The bound URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The bound address, as `server.address()` reports it. */
  readonly address: AddressInfo;
}

/**
 * The typed `listening` event of the `http` module, triggered once the server listens.
 * @example
 * ```ts
 * @OnEvent(HttpListening)
 * onListening({ url }: HttpListeningEvent): void { this.ctx.logger.info({ url }, 'API is up'); }
 * ```
 */
export const HttpListening = defineEvent<HttpListeningEvent>(HTTP_MODULE_NAME, 'listening');
