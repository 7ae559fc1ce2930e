/**
 * `powchain mine <addr> <others> [genesis]`: one miner node, the seed's positional form
 * (SPEC 4-5). Binds, builds the worker pool, runs the node until a signal or
 * --stop-at-height, and reports as a live view, plain lines, or JSON lines.
 */
import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { formatTarget } from '../primitives/target.js';
import { type PeerAddress, AddressError, formatAddress, parseAddress, parseAddressList } from '../net/address.js';
import { BindError, UdpTransport } from '../net/transport.js';
import { MinerPool } from '../hashing/pool.js';
import type { EngineName } from '../hashing/engine.js';
import { MinerNode } from '../node/miner-node.js';
import { type BlockTree, type TieBreak, restoreTree } from '../consensus/block-tree.js';
import { BlockLog, BlockLogError } from '../store/block-log.js';
import type { NodeEvent } from '../node/events.js';
import { engineOption, integerOption, targetOptionWithDefault, threadsOption, tieBreakOption } from './options.js';
import { humanView, jsonView } from './node-view.js';

export interface NodeCliOptions {
  target: bigint;
  threads?: number;
  engine?: EngineName;
  stopAtHeight?: number;
  log: 'human' | 'json';
  tieBreak: TieBreak;
  dataDir?: string;
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

function genesisArgument(text: string): true {
  if (text !== 'genesis') throw new InvalidArgumentError(`the third argument can only be "genesis", got "${text}"`);
  return true;
}

/** Options shared by `mine` and `devnet`. */
export function addNodeOptions(command: Command): Command {
  return command
    .addOption(
      targetOptionWithDefault('proof-of-work target: 0xHEX, 2^N or decimal; every node of a network must share it'),
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
      'keep every accepted block in an append-only log in this folder (fsynced before it is announced), and resume from it on start',
    )
    .addOption(tieBreakOption());
}

export function mineCommand(): Command {
  const command = new Command('mine')
    .description('run one miner node: gossip blocks over UDP with the other miners, and mine on the longest chain')
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
    .action(async (addr: PeerAddress, others: PeerAddress[], genesis: true | undefined, options: NodeCliOptions) => {
      process.exitCode = await runNode(addr, others, genesis === true, options);
    });
  return addNodeOptions(command);
}

/** Runs a node to its end; the exit code. */
export async function runNode(
  addr: PeerAddress,
  others: PeerAddress[],
  genesis: boolean,
  options: NodeCliOptions,
): Promise<number> {
  let transport: UdpTransport;
  try {
    transport = await UdpTransport.bind(addr);
  } catch (error) {
    if (error instanceof BindError) {
      process.stderr.write(`powchain: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  let restored: { log: BlockLog; tree: BlockTree | undefined; event: NodeEvent | undefined } | undefined;
  if (options.dataDir !== undefined) {
    try {
      restored = restore(options.dataDir, options);
    } catch (error) {
      await transport.close();
      if (error instanceof BlockLogError) {
        process.stderr.write(`powchain: ${error.message}\n`);
        return 2;
      }
      throw error;
    }
  }
  let pool: MinerPool;
  try {
    pool = await MinerPool.create({ threads: options.threads, engine: options.engine });
  } catch (error) {
    await transport.close();
    restored?.log.close();
    process.stderr.write(`powchain: cannot start the miner: ${(error as Error).message}\n`);
    return 1;
  }
  const node = new MinerNode({
    transport,
    miner: pool,
    peers: others,
    genesis,
    target: options.target,
    tieBreak: options.tieBreak,
    stopAtHeight: options.stopAtHeight,
    tree: restored?.tree,
    store: restored?.log,
  });
  const source = {
    name: node.name,
    peers: node.peers.map(formatAddress),
    get engine(): string {
      return pool.engine;
    },
    threads: pool.threads,
    target: formatTarget(options.target),
    tree: () => node.tree,
  };
  let finish = (): void => {};
  let report: (event: NodeEvent) => void;
  if (options.log === 'json') {
    report = jsonView(process.stdout);
  } else {
    const view = humanView(source, process.stdout);
    report = view.listener;
    finish = view.finish;
  }
  node.onEvent(report);
  if (restored?.event) report(restored.event);
  pool.on('mismatch', (error) =>
    process.stderr.write(`powchain: ENGINE MISMATCH, falling back to node-crypto: ${error.message}\n`),
  );
  const onSignal = (signal: NodeJS.Signals): void => void node.stop(signal);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started = node.run();
  const reason = await started;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  restored?.log.close();
  finish();
  return reason.startsWith('reached height') || reason === 'SIGINT' || reason === 'SIGTERM' ? 0 : 1;
}

/** Opens the block log of --data-dir and rebuilds the tree from it, re-validating every block. */
function restore(
  dir: string,
  options: NodeCliOptions,
): { log: BlockLog; tree: BlockTree | undefined; event: NodeEvent | undefined } {
  const { log, blocks, droppedBytes } = BlockLog.open(dir, options.target);
  if (blocks.length === 0) return { log, tree: undefined, event: undefined };
  const result = restoreTree(blocks, { target: options.target, tieBreak: options.tieBreak });
  if (!result) {
    log.close();
    throw new BlockLogError(`${log.path}: its first block does not meet the target; it is not this network's chain`);
  }
  if (result.refusal) log.truncateAfter(result.restored);
  const head = result.tree.head;
  return {
    log,
    tree: result.tree,
    event: {
      event: 'restored',
      blocks: result.restored,
      height: head.height,
      hash: head.hash,
      dropped_bytes: droppedBytes,
      ...(result.refusal ? { refused: `record ${result.refusal.index}: ${result.refusal.reason}` } : {}),
    },
  };
}
