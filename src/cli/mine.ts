/**
 * `powchain mine <addr> <others> [genesis]`: one miner node, the tutorial's positional form
 * (docs/cli.md). Resolves and checks the addresses, binds, opens the data directory, builds
 * the worker pool, runs the node until a signal or --stop-at-height, and reports as a live
 * view, plain lines, or JSON lines. Every failure at start is one `powchain: ...` line and a
 * non-zero exit.
 */
import { quote } from '../primitives/quote.js';
import { decodeAddress, encodeAddress } from '../primitives/coin-address.js';
import { type NodeWallet, nodeWallet } from './node-wallet.js';
import { WalletError } from '../wallet/errors.js';
import { lookup } from 'node:dns/promises';
import { availableParallelism, networkInterfaces } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { formatTarget } from '../primitives/target.js';
import {
  type PeerAddress,
  AddressError,
  formatAddress,
  isOwnAddress,
  parseAddress,
  parseAddressList,
  uniqueAddresses,
} from '../net/address.js';
import { BindError, UdpTransport } from '../net/transport.js';
import { MinerPool } from '../hashing/pool.js';
import type { EngineName } from '../hashing/engine.js';
import { MinerNode } from '../node/miner-node.js';
import type { TieBreak } from '../consensus/rules/seed.js';
import type { NetworkConfig } from '../consensus/rules/index.js';
import type { NodeEvent } from '../node/events.js';
import {
  engineOption,
  hashHexOption,
  integerOption,
  targetOptionWithDefault,
  threadsOption,
  tieBreakOption,
} from './options.js';
import { humanView, jsonView } from './node-view.js';
import { renderTree } from './tree-view.js';
import { type OpenedStore, StoreError, openStore } from './store.js';
import { type RunningServer, startApiServer } from '../api/server.js';
import { NodeSource } from '../api/node-source.js';
import {
  type NetworkCliOptions,
  addNetworkOptions,
  powchainGenesisTemplate,
  powchainOptionsGiven,
  powchainParams,
} from './network-options.js';

export interface NodeCliOptions extends NetworkCliOptions {
  target: bigint;
  threads?: number;
  engine?: EngineName;
  stopAtHeight?: number;
  log: 'human' | 'json';
  tieBreak: TieBreak;
  dataDir?: string;
  mine: boolean;
  pruneDepth?: number | 'off';
  genesisHash?: string;
  payTo?: Uint8Array;
  api?: PeerAddress | 'off';
}

function addressArgument(text: string): PeerAddress {
  try {
    return parseAddress(text, { allowAnyPort: true });
  } catch (error) {
    if (error instanceof AddressError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

function addressListArgument(text: string): PeerAddress[] {
  try {
    return parseAddressList(text);
  } catch (error) {
    if (error instanceof AddressError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

function apiOption(text: string): PeerAddress | 'off' {
  if (text.trim() === 'off') return 'off';
  try {
    return parseAddress(text, { allowAnyPort: true });
  } catch (error) {
    if (error instanceof AddressError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

function payToOption(text: string): Uint8Array {
  const decoded = decodeAddress(text.trim());
  if (!decoded.ok) throw new InvalidArgumentError(decoded.reason);
  return decoded.keyHash;
}

function pruneDepthOption(text: string): number | 'off' {
  return text.trim() === 'off' ? 'off' : integerOption('prune-depth', 1, 1e9)(text);
}

function genesisArgument(text: string): true {
  if (text !== 'genesis')
    throw new InvalidArgumentError(`the third argument can only be "genesis", got ${quote(text)}`);
  return true;
}

/** Options shared by `mine` and `devnet`. */
export function addNodeOptions(command: Command): Command {
  return command
    .addOption(
      targetOptionWithDefault(
        'proof-of-work target: 0xHEX, 2^N or decimal; on a seed network every node must share it; a powchain genesis takes it as the initial target',
      ),
    )
    .option(
      '--threads <n>',
      `worker threads mining per node (default: all cores, ${availableParallelism()} here)`,
      threadsOption,
    )
    .option(
      '--engine <name>',
      'hashing engine: wasm-simd, wasm, js or node-crypto (default: the fastest that works here)',
      engineOption,
    )
    .option(
      '--stop-at-height <n>',
      'exit 0 once the head reaches this height, after the last broadcast has gone out',
      integerOption('stop-at-height', 0, 1e9),
    )
    .addOption(
      new Option('--log <format>', 'output: a live view (human) or one JSON object per line (json)')
        .choices(['human', 'json'])
        .default('human'),
    )
    .option(
      '--data-dir <dir>',
      'keep every accepted block in an append-only log in this folder (on disk before it is announced), and resume from it on start',
    )
    .option(
      '--prune-depth <n>',
      "drop side branches that fork more than this many blocks below the head, from memory and from the log; 'off' keeps them (default: 100 on powchain, off on seed)",
      pruneDepthOption,
    )
    .addOption(tieBreakOption());
}

export function mineCommand(): Command {
  const command = new Command('mine')
    .description('run one miner node: gossip blocks over UDP with the other miners, and mine on the best chain')
    .argument(
      '<addr>',
      "this node's address, host:port (host alone means port 5000; port 0 picks a free one)",
      addressArgument,
    )
    .argument(
      '<others>',
      'comma-separated host:port of every miner of the network (may include addr, which is skipped)',
      addressListArgument,
    )
    .argument('[genesis]', '"genesis" makes this node mine the genesis block; the others wait for it', genesisArgument)
    .option('--no-mine', 'follow the chain without mining: validate, store, relay and serve it')
    .option('--genesis-hash <hex>', 'accept only the genesis block with this hash (64 hex digits)', hashHexOption)
    .option(
      '--api <host:port|off>',
      "serve the HTTP API and the web view here (default: 127.0.0.1 and this node's UDP port number; 'off': none). It has no authentication: keep it on loopback and use an SSH tunnel",
      apiOption,
    )
    .option(
      '--pay-to <address>',
      'on a powchain network, the address (pow1...) every block mined here pays its subsidy and fees to',
      payToOption,
    );
  addNetworkOptions(command).action(
    async (addr: PeerAddress, others: PeerAddress[], genesis: true | undefined, options: NodeCliOptions) => {
      process.exitCode = await runNode(addr, others, genesis === true, options);
    },
  );
  return addNodeOptions(command);
}

class StartError extends Error {
  override readonly name = 'StartError';
}

/** Host names resolved to IPv4 addresses, so that every peer has one spelling: the one datagrams come from. */
async function resolveAddress(address: PeerAddress): Promise<PeerAddress> {
  try {
    const { address: host } = await lookup(address.host, { family: 4 });
    return { host, port: address.port };
  } catch {
    throw new StartError(`cannot resolve the host name "${address.host}" to an IPv4 address`);
  }
}

function localAddresses(): Set<string> {
  const hosts = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const item of list ?? []) if (item.family === 'IPv4') hosts.add(item.address);
  }
  return hosts;
}

/** Runs a node to its end; the exit code. */
export async function runNode(
  addr: PeerAddress,
  others: PeerAddress[],
  genesis: boolean,
  options: NodeCliOptions,
): Promise<number> {
  const fail = (message: string, code = 2): number => {
    process.stderr.write(`powchain: ${message}\n`);
    return code;
  };
  if (genesis && !options.mine) return fail('"genesis" needs a miner: it cannot go with --no-mine');
  if (!genesis && (options.network !== undefined || powchainOptionsGiven(options).length > 0)) {
    const given = [...(options.network !== undefined ? ['--network'] : []), ...powchainOptionsGiven(options)];
    return fail(
      `${given.join(', ')} only go with "genesis": a node that does not mine the genesis takes the network of the genesis it accepts (pin one with --genesis-hash)`,
    );
  }
  const network = options.network ?? 'seed';
  if (network === 'seed' && powchainOptionsGiven(options).length > 0) {
    return fail(`${powchainOptionsGiven(options).join(', ')} only go with --network powchain`);
  }
  if (network === 'powchain') {
    const checked = powchainParams(options, options.target, Date.now());
    if (!checked.ok) return fail(checked.reason);
  }
  let peers: PeerAddress[];
  let self: PeerAddress;
  try {
    self = await resolveAddress(addr);
    peers = uniqueAddresses(await Promise.all(others.map(resolveAddress)));
  } catch (error) {
    if (error instanceof StartError) return fail(error.message);
    throw error;
  }
  let transport: UdpTransport;
  try {
    transport = await UdpTransport.bind(self);
  } catch (error) {
    if (error instanceof BindError) return fail(error.message);
    throw error;
  }
  const local = localAddresses();
  peers = peers.filter((peer) => !isOwnAddress(peer, transport.address, local));
  const networkConfig: NetworkConfig = {
    seed: { target: options.target, tieBreak: options.tieBreak },
    ...(options.genesisHash ? { genesisHash: options.genesisHash } : {}),
  };
  let store: OpenedStore | undefined;
  if (options.dataDir !== undefined) {
    try {
      store = openStore(options.dataDir, networkConfig, options.pruneDepth);
    } catch (error) {
      await transport.close();
      if (error instanceof StoreError) return fail(error.message);
      throw error;
    }
  }
  // Rewards: --pay-to, else a wallet kept in --data-dir (made at the first start).
  let wallet: NodeWallet | undefined;
  if (options.mine && options.payTo === undefined && options.dataDir !== undefined) {
    try {
      wallet = await nodeWallet(options.dataDir);
    } catch (error) {
      await transport.close();
      store?.close();
      if (error instanceof WalletError || error instanceof RangeError) return fail(error.message);
      throw error;
    }
  }
  let pool: MinerPool | undefined;
  if (options.mine) {
    try {
      pool = await MinerPool.create({ threads: options.threads, engine: options.engine });
    } catch (error) {
      await transport.close();
      store?.close();
      return fail(`cannot start the miner: ${(error as Error).message}`, 1);
    }
  }
  // Events the CLI itself reports before the output is set up wait here.
  const early: NodeEvent[] = [];
  let say = (event: NodeEvent): void => void early.push(event);
  let node: MinerNode;
  try {
    node = new MinerNode({
      transport,
      miner: pool,
      peers,
      genesis,
      network: networkConfig,
      ...(network === 'powchain' ? { genesisTemplate: powchainGenesisTemplate(options, options.target) } : {}),
      ...(options.pruneDepth !== undefined ? { pruneDepth: options.pruneDepth } : {}),
      ...(options.stopAtHeight !== undefined ? { stopAtHeight: options.stopAtHeight } : {}),
      ...(store ? { store: store.store, tree: store.tree, ...(store.ledger ? { ledger: store.ledger } : {}) } : {}),
      // Asked when a chain with transactions starts; said once, then.
      payTo: () => {
        const keyHash = options.payTo ?? wallet?.keyHash;
        say({
          event: 'pay-to',
          address: options.payTo ? encodeAddress(options.payTo) : (wallet?.address ?? null),
          wallet: wallet?.path ?? null,
          created: wallet?.created ?? false,
          protected: wallet ? wallet.protected : null,
        });
        return keyHash;
      },
    });
  } catch (error) {
    // Replaying the stored chain's transactions failed: the log and its snapshot disagree.
    await transport.close();
    await pool?.close();
    store?.close();
    return fail(`cannot rebuild the chain state from --data-dir: ${(error as Error).message}`, 1);
  }
  const source = {
    name: node.name,
    peers: node.peers.map(formatAddress),
    get engine(): string {
      return pool?.engine ?? 'none (--no-mine)';
    },
    threads: pool?.threads ?? 0,
    target: formatTarget(options.target),
    tree: () => node.tree,
  };
  let finish = (): void => {};
  let report: (event: NodeEvent) => void;
  if (options.log === 'json') {
    const print = jsonView(process.stdout);
    // The exit line carries the final tree, drawn here: the node itself has no presentation.
    report = (event) =>
      print(event.event === 'exit' && node.tree ? { ...event, tree: renderTree(node.tree, { foldAfter: 30 }) } : event);
  } else {
    const view = humanView(source, process.stdout);
    report = view.listener;
    finish = view.finish;
  }
  node.onEvent(report);
  if (store?.event) report(store.event);
  say = report;
  for (const event of early) report(event);
  // The HTTP API reads the node through its source, which must see every event from the start.
  let api: RunningServer | undefined;
  if (options.api !== 'off') {
    const at = options.api ?? { host: '127.0.0.1', port: transport.address.port };
    try {
      api = await startApiServer({ source: new NodeSource(node), host: at.host, port: at.port });
    } catch (error) {
      await transport.close();
      await pool?.close();
      store?.close();
      const code = (error as NodeJS.ErrnoException).code;
      const why =
        code === 'EADDRINUSE'
          ? 'the port is already in use'
          : code === 'EADDRNOTAVAIL'
            ? 'that address is not on this machine'
            : (error as Error).message;
      return fail(
        `cannot serve the API on ${formatAddress(at)}: ${why} (choose another with --api host:port, or --api off)`,
      );
    }
    report({ event: 'api', url: api.url });
  }
  pool?.on('mismatch', (error) =>
    process.stderr.write(`powchain: ENGINE MISMATCH, falling back to node-crypto: ${error.message}\n`),
  );
  const onSignal = (signal: NodeJS.Signals): void => void node.stop(signal);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const reason = await node.run();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  await api?.close();
  store?.close();
  finish();
  if (reason === 'store failed')
    process.stderr.write('powchain: stopped: a block could not be stored (see the warning above)\n');
  return reason.startsWith('reached height') || reason === 'SIGINT' || reason === 'SIGTERM' ? 0 : 1;
}
