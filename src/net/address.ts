/**
 * Peer addresses as the tutorial spells them: `host:port`, where `host` alone means port 5000.
 * Parsed and checked here, at the edge, with a reason for every refusal.
 */
import { quote } from '../primitives/quote.js';

export const DEFAULT_PORT = 5000;

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

export class AddressError extends Error {
  override readonly name = 'AddressError';
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** `host:port` or `host`; the port must be 1..65535 (0, "any free port", when `allowAnyPort`). */
export function parseAddress(text: string, options: { allowAnyPort?: boolean } = {}): PeerAddress {
  const spelled = text.trim();
  const colon = spelled.lastIndexOf(':');
  const host = colon === -1 ? spelled : spelled.slice(0, colon);
  const portText = colon === -1 ? String(DEFAULT_PORT) : spelled.slice(colon + 1);
  if (host.length === 0) throw new AddressError(`address ${quote(text)} has no host (expected host:port)`);
  // A dotted IPv4 address is spelled as a host name too (labels of digits), so one test takes both.
  if (!HOSTNAME.test(host)) {
    throw new AddressError(`address ${quote(text)}: ${quote(host)} is not an IPv4 address or a host name`);
  }
  if (!/^\d{1,5}$/.test(portText))
    throw new AddressError(`address ${quote(text)}: port ${quote(portText)} is not a number`);
  const port = Number(portText);
  const lowest = options.allowAnyPort ? 0 : 1;
  if (port < lowest || port > 65_535) {
    throw new AddressError(`address ${quote(text)}: port must be between ${lowest} and 65535, got ${port}`);
  }
  return { host, port };
}

/** A comma-separated list of addresses, as the tutorial's `others` argument. Empty items are skipped. */
export function parseAddressList(text: string): PeerAddress[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
    .map((item) => parseAddress(item));
}

export function formatAddress(address: PeerAddress): string {
  return `${address.host}:${address.port}`;
}

export function sameAddress(a: PeerAddress, b: PeerAddress): boolean {
  return a.host === b.host && a.port === b.port;
}

/**
 * Hosts that mean "this machine" to a node bound at the wildcard: the loopback network and the
 * local hosts (the wildcard itself is the same host, which isOwnAddress has compared already).
 */
function isThisMachine(host: string, localHosts: ReadonlySet<string>): boolean {
  return host.startsWith('127.') || localHosts.has(host);
}

/**
 * True when a datagram sent to `peer` would come back to this node, bound at `self`: the
 * same port, and the same host, or one of the two is the wildcard 0.0.0.0 and the other an
 * address of this machine (`localHosts`: its interfaces' addresses). Host names must be
 * resolved to addresses first.
 */
export function isOwnAddress(
  peer: PeerAddress,
  self: PeerAddress,
  localHosts: ReadonlySet<string> = new Set(),
): boolean {
  if (peer.port !== self.port) return false;
  if (peer.host === self.host) return true;
  if (self.host === '0.0.0.0') return isThisMachine(peer.host, localHosts);
  if (peer.host === '0.0.0.0') return isThisMachine(self.host, localHosts);
  return false;
}

/** The list without repeats (the first of each address kept), in order. */
export function uniqueAddresses(addresses: readonly PeerAddress[]): PeerAddress[] {
  const seen = new Set<string>();
  return addresses.filter((address) => {
    const key = formatAddress(address);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
