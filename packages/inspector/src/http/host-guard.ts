import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { HttpError } from './respond.js';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** True for an address only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (LOOPBACK_NAMES.has(h) || h.endsWith('.localhost')) return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/**
 * Refuses requests whose `Host` header names another machine while the server listens on
 * loopback: a web page the operator visits could otherwise point its own domain at
 * 127.0.0.1 (DNS rebinding) and read the API. Bound elsewhere, every host is accepted.
 */
export function checkHost(
  req: IncomingMessage,
  boundHost: string,
  allowedHosts: readonly string[],
): void {
  if (!isLoopback(boundHost)) return;
  const header = req.headers.host;
  if (header === undefined) return; // HTTP/1.0 clients; browsers always send Host.
  const name = hostname(header);
  if (isLoopback(name) || allowedHosts.includes(name)) return;
  throw new HttpError(
    403,
    `Host "${header}" is not allowed: the inspector listens on loopback. Add it to Inspector.configure({ allowedHosts }) if it is yours.`,
  );
}

function hostname(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}
