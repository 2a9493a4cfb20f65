// Listen addresses for the status server, parsed and printed without importing node:http, which the CLI's
// start-up would then pay for (its ESM facade loads Node's fetch stack) in every command, the dry run too.
import type { AddressInfo } from 'node:net';

/** Parses `:8080`, `0.0.0.0:8080`, `[::1]:9000` or `127.0.0.1:0` into host and port. */
export function parseListenAddress(address: string): { host: string | undefined; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(address);
  const port = Number(match?.[3]);
  if (match === null || port > 65535) throw new Error(`"${address}" is not a listen address like :8080 or 127.0.0.1:8080`);
  const host = match[1] ?? match[2];
  return { host: host === '' || host === undefined ? undefined : host, port };
}

/** An address as the log shows it: [::1]:9000 for IPv6, 127.0.0.1:9000 for IPv4. */
export function formatAddress(address: AddressInfo | string | null): string {
  if (address === null) return '';
  if (typeof address === 'string') return address;
  return address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
}
