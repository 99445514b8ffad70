export { HttpServer } from './http-server.js';
export { HTTP_SERVER_OPTIONS, resolveHttpServerOptions } from './options.js';
export type { HttpServerOptions, ResolvedHttpServerOptions } from './options.js';
export { HttpListening, HTTP_MODULE_NAME } from './listening-event.js';
export type { HttpListeningEvent } from './listening-event.js';
export { Router } from './router.js';
export type { HttpHandler, RequestContext, RequestDispatcher, RequestHandler } from './handler.js';
export { RequestClosedError } from './serve-request.js';
