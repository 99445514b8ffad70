import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './respond.js';

/**
 * Checks `Authorization: Bearer <token>` for a mutating request. No token configured: the
 * inspector is read-only (403). Missing or wrong token: 401.
 */
export function requireBearer(req: IncomingMessage, token: string | undefined): void {
  if (token === undefined) {
    throw new HttpError(
      403,
      'The inspector is read-only: configure a token with Inspector.configure({ token }) to allow changes.',
    );
  }
  const header = req.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match === null || !tokensEqual(match[1]!, token)) {
    throw new HttpError(
      401,
      header === undefined
        ? 'Missing "Authorization: Bearer <token>" header.'
        : 'Invalid bearer token.',
      { 'www-authenticate': 'Bearer realm="keel-inspector"' },
    );
  }
}

/**
 * Constant-time comparison. Hashing first gives equal-length inputs, so neither the content
 * nor the length of the secret leaks through timing.
 */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
