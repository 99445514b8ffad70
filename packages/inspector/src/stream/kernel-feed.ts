import type { Kernel, ModuleError } from '@keel/core';

/** Where kernel events go. */
export interface FeedSink {
  send(event: string, data: unknown): void;
}

/** Exposed event data larger than this (as JSON) is not sent, only flagged. */
export const MAX_EVENT_DATA_BYTES = 16 * 1024;

/** The payload of an `error` message: what an operator needs, never the stack. */
export function errorPayload(err: ModuleError): Record<string, string> {
  return {
    module: err.module,
    taskName: err.taskName,
    taskType: err.taskType,
    severity: err.severity,
    message: err.message,
  };
}

/**
 * The payload of an `event` message. A non-exposed event carries no `data` key at all:
 * its data may be private (credentials, personal data) and must never leave the process.
 */
export function eventPayload(
  module: string,
  event: string,
  data: unknown,
  exposed: boolean,
): Record<string, unknown> {
  const payload: Record<string, unknown> = { module, event, exposed };
  if (!exposed) return payload;
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch {
    payload.dataOmitted = 'not JSON-serialisable';
    return payload;
  }
  if (json !== undefined && Buffer.byteLength(json) > MAX_EVENT_DATA_BYTES) {
    payload.dataOmitted = `larger than ${MAX_EVENT_DATA_BYTES} bytes`;
    return payload;
  }
  payload.data = json === undefined ? null : data;
  return payload;
}

/** Forwards the kernel's status, failure, error and event notifications; returns the unsubscribe. */
export function feedKernelEvents(kernel: Kernel, sink: FeedSink): () => void {
  const offs = [
    kernel.on('status', (module, from, to) => sink.send('status', { module, from, to })),
    kernel.on('failure', (module, failure) =>
      sink.send('failure', {
        module,
        status: failure.status,
        id: failure.id,
        title: failure.title,
        message: failure.message,
      }),
    ),
    kernel.on('error', (err) => sink.send('error', errorPayload(err))),
    kernel.on('event', (module, event, data, exposed) =>
      sink.send('event', eventPayload(module, event, data, exposed)),
    ),
  ];
  return () => {
    for (const off of offs) off();
  };
}
