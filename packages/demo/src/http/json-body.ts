import type { IncomingMessage } from 'node:http';

/** The largest request body the demo accepts. */
const MAX_BODY_BYTES = 64 * 1024;

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

/** Reads and parses a JSON request body. @throws ClientError for a too large or bad body. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new ClientError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new ClientError(400, 'body is not valid JSON');
  }
}

/** The field of a parsed JSON object, or `undefined`. */
export function field(body: unknown, name: string): unknown {
  return body !== null && typeof body === 'object'
    ? (body as Record<string, unknown>)[name]
    : undefined;
}
