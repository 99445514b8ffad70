/** A request the client got wrong: answered with `status`, never reported as a module error. */
export class ClientError extends Error {
  override readonly name = 'ClientError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The field of a parsed JSON object, or `undefined`. */
export function field(body: unknown, name: string): unknown {
  return body !== null && typeof body === 'object'
    ? (body as Record<string, unknown>)[name]
    : undefined;
}
