/**
 * `powchain devnet --web`: the network view (src/api/network-view.ts, docs/api.md "Network
 * view") over devnet's nodes. Every node serves its API on 127.0.0.1 and its UDP port number
 * (asked explicitly, so the view knows where to look before a node is up); the view merges
 * their trees and events and follows nodes that are not up yet or have stopped.
 */
import { InvalidArgumentError } from 'commander';
import { AddressError, type PeerAddress, formatAddress, parseAddress } from '../net/address.js';
import { startNetworkView } from '../api/network-view.js';
import type { RunningServer } from '../api/server.js';

/** Where the view listens by default: loopback, any free port (devnet prints the URL). */
const DEFAULT_VIEW: PeerAddress = { host: '127.0.0.1', port: 0 };
/** Nodes start within seconds of the view: look again at least this often until each is up. */
const MAX_RETRY_MS = 1_000;

/** `--web` alone (true) or `--web host:port`. */
export function webOption(text: string): PeerAddress {
  try {
    return parseAddress(text, { allowAnyPort: true });
  } catch (error) {
    if (error instanceof AddressError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

/** The `mine` arguments that put a node's API on 127.0.0.1 and its UDP port number (`address` is host:port). */
export function nodeApiArgs(address: string): string[] {
  return ['--api', address];
}

/**
 * Starts the network view over nodes whose APIs are at `http://<address>` (UDP `host:port`,
 * the same numbers over TCP), on `at` (true: the default, loopback and a free port).
 */
export async function startDevnetView(addresses: readonly string[], at: PeerAddress | true): Promise<RunningServer> {
  const listen = at === true ? DEFAULT_VIEW : at;
  return startNetworkView({
    nodes: addresses.map((address, index) => ({ name: `node ${index}`, url: `http://${address}` })),
    host: listen.host,
    port: listen.port,
    maxRetryMs: MAX_RETRY_MS,
  });
}

/** Why the view could not start, as devnet says it. */
export function describeViewError(error: unknown, at: PeerAddress | true): string {
  const code = (error as NodeJS.ErrnoException).code;
  const where = formatAddress(at === true ? DEFAULT_VIEW : at);
  const why =
    code === 'EADDRINUSE'
      ? 'the port is already in use'
      : code === 'EADDRNOTAVAIL'
        ? 'that address is not on this machine'
        : (error as Error).message;
  return `cannot serve the network view on ${where}: ${why}`;
}
