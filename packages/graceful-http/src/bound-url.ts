import type { AddressInfo } from 'node:net';

/** `http://host:port` for a bound address; IPv6 addresses in brackets. */
export function boundUrl(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
