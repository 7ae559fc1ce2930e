/**
 * `powchain devnet`: a local network of miner processes on loopback that stops by itself
 * (docs/cli.md).
 *
 * Starts N `powchain mine` processes on free 127.0.0.1 ports (the waiting nodes first, the
 * genesis miner last, so nobody misses the genesis block), on the powchain network (or the
 * tutorial's, --network seed) at a target calibrated to the block interval on this machine,
 * shows them working (heights, block intervals, difficulty, hashrates), stops them at a
 * height, and says whether every node ended on the same main chain (a race at the very tip
 * aside) and how the block interval compared with the one asked for. Exit code 0 only if
 * they agreed.
 */
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { HASH_SPACE } from '../primitives/limits.js';
import { DEFAULT_PARAMS } from '../primitives/params.js';
import { formatTarget } from '../primitives/target.js';
import type { EngineName } from '../hashing/engine.js';
import { freeNodePorts } from '../net/ports.js';
import { defaultEngine } from '../hashing/registry.js';
import { calibrateHashrate } from '../hashing/measure.js';
import type { NodeEvent } from '../node/events.js';
import { engineOption, integerOption, targetOption, threadsOption, tieBreakOption } from './options.js';
import { formatRate } from './node-view.js';
import { type NodeProcess, spawnNode } from './node-process.js';
import { type NetworkCliOptions, addNetworkOptions, powchainOptionsGiven } from './network-options.js';
import type { PeerAddress } from '../net/address.js';
import { describeViewError, nodeApiArgs, startDevnetView, webOption } from './devnet-web.js';
import { type DevnetWallet, makeDevnetWallets, payBetween, randomAmount, readBalances } from './devnet-wallets.js';
import { formatCoins } from '../primitives/amount.js';

interface DevnetOptions extends NetworkCliOptions {
  nodes: number;
  height: number;
  target?: bigint;
  threads?: number[];
  engine?: EngineName;
  timeout?: number;
  tieBreak: string;
  /** --web: serve the network view (true: on loopback and a free port). */
  web?: PeerAddress | true;
}

interface NodeState {
  readonly index: number;
  readonly address: string;
  readonly threads: number;
  readonly process: NodeProcess;
  height: number;
  head: string;
  hashrate: number;
  accepted: number;
  mined: number;
  refused: number;
  duplicates: number;
  exit: Extract<NodeEvent, { event: 'exit' }> | undefined;
}

/** What devnet learns of a block from the nodes' head events. */
interface SeenBlock {
  height: number;
  time: number | undefined;
  target: bigint | undefined;
}

/** `--threads 2` (every node) or `--threads 1,2,1` (node by node, the last repeated). */
function threadListOption(text: string): number[] {
  const counts = text.split(',').map((part) => threadsOption(part.trim()));
  if (counts.length === 0) throw new InvalidArgumentError('threads must be a number or a comma-separated list');
  return counts;
}

/** Chains agree when they are equal up to `height` (the tip itself may be a race). */
export function chainsAgree(chains: string[][], height: number): boolean {
  const reference = chains[0];
  if (!reference || reference.length <= height) return false;
  return chains.every(
    (chain) => chain.length > height && chain.slice(0, height + 1).every((hash, i) => hash === reference[i]),
  );
}

/** The mean time between consecutive blocks of `times` (ms), over its last `count` intervals. */
export function meanInterval(times: readonly number[], count: number): number | undefined {
  if (times.length < 2) return undefined;
  const span = Math.min(count, times.length - 1);
  return (times[times.length - 1]! - times[times.length - 1 - span]!) / span;
}

export function devnetCommand(): Command {
  const command = new Command('devnet')
    .description(
      'start a local network of miner processes on 127.0.0.1 (one of them mines the genesis block), ' +
        'show them working, stop them at a height, and check that they all agree on one main chain; ' +
        'on the powchain network, also pay coins between their wallets and check that every coin adds up',
    )
    .option('--nodes <n>', 'how many miner processes', integerOption('nodes', 2, 16), 3)
    .option(
      '--height <n>',
      'stop every node once its head reaches this height',
      integerOption('height', 1, 100_000),
      20,
    )
    .option(
      '--target <target>',
      'start at this proof-of-work target instead of one calibrated to the block interval here: 0xHEX, 2^N or decimal',
      targetOption,
    )
    .option(
      '--threads <n>',
      'worker threads per node, or a comma-separated list node by node (default: the cores shared among the nodes)',
      threadListOption,
    )
    .option('--engine <name>', 'hashing engine for every node (default: the fastest that works here)', engineOption)
    .option(
      '--timeout <s>',
      'give up after this many seconds (default: 60 s + 10 block intervals a block)',
      integerOption('timeout', 1, 86_400),
    )
    .addOption(tieBreakOption())
    .option(
      '--web [host:port]',
      "serve a web page of every node's block tree merged, live (forks, each node's head), and print its URL " +
        '(default 127.0.0.1 and a free port); every node then serves its API on 127.0.0.1 and its UDP port number',
      webOption,
    );
  return addNetworkOptions(command, 'powchain').action(async (options: DevnetOptions) => {
    process.exitCode = await runDevnet(options);
  });
}

async function runDevnet(options: DevnetOptions): Promise<number> {
  const say = (line: string): void => void process.stdout.write(line + '\n');
  const network = options.network ?? 'powchain';
  if (network === 'seed' && powchainOptionsGiven(options).some((flag) => flag !== '--block-interval')) {
    say(`devnet: ${powchainOptionsGiven(options).join(', ')} only go with --network powchain`);
    return 2;
  }
  const cores = availableParallelism();
  const intervalMs = options.blockInterval ?? DEFAULT_PARAMS.blockIntervalMs;
  const threadsOf = (index: number): number => {
    const list = options.threads;
    if (!list) return Math.max(1, Math.floor(cores / options.nodes));
    return list[Math.min(index, list.length - 1)]!;
  };
  const totalThreads = Array.from({ length: options.nodes }, (_, i) => threadsOf(i)).reduce((a, b) => a + b, 0);
  const engine = options.engine ?? defaultEngine();
  let target = options.target;
  if (target === undefined) {
    // Every node mines at once: as many threads as there are cores (or fewer) share the machine.
    const calibrationThreads = Math.min(cores, totalThreads);
    const total = await calibrateHashrate(engine, calibrationThreads);
    const hashesPerBlock = Math.max(1, (total * intervalMs) / 1000);
    target = HASH_SPACE / BigInt(Math.round(hashesPerBlock));
    say(
      `calibrated: ${engine} does ${formatRate(Math.round(total))} on ${calibrationThreads} thread${calibrationThreads === 1 ? '' : 's'} here; ` +
        `${network === 'powchain' ? 'initial ' : ''}target ${formatTarget(target)} for ~${intervalMs} ms a block`,
    );
  }
  const initialTarget = target;
  const ports = await freeNodePorts(options.nodes);
  const addresses = ports.map((port) => `127.0.0.1:${port}`);
  const others = addresses.join(',');
  // The network view first: it waits for the nodes' APIs, and a port it cannot have stops
  // devnet before any node (or wallet) is made.
  let view: Awaited<ReturnType<typeof startDevnetView>> | undefined;
  if (options.web) {
    try {
      view = await startDevnetView(addresses, options.web);
    } catch (error) {
      say(`devnet: ${describeViewError(error, options.web)}`);
      return 2;
    }
    say(`devnet: network view at ${view.url}/ (each node's own page: http://${addresses[0]}/ ...)`);
  }

  // On powchain each node pays its own wallet, and devnet itself stops the nodes once they all
  // reached the height (after reading the balances from their APIs); on seed they stop alone.
  const wallets =
    network === 'powchain'
      ? await makeDevnetWallets(mkdtempSync(join(tmpdir(), 'powchain-devnet-wallets-')), options.nodes)
      : [];
  const apiUrl = (index: number): string => `http://127.0.0.1:${ports[index]}`;
  const common = (index: number): string[] => [
    ...(wallets[index] ? ['--pay-to', wallets[index].address] : ['--stop-at-height', String(options.height)]),
    '--target',
    '0x' + initialTarget.toString(16),
    '--threads',
    String(threadsOf(index)),
    '--engine',
    engine,
    '--tie-break',
    options.tieBreak,
  ];
  const genesisArgs =
    network === 'powchain'
      ? ['--network', 'powchain', '--block-interval', String(intervalMs), ...flagArgs(options)]
      : [];
  say(
    `devnet: ${options.nodes} nodes on the ${network} network at ${addresses.join(', ')}; ` +
      `threads ${Array.from({ length: options.nodes }, (_, i) => threadsOf(i)).join('/')}; stopping at height ${options.height}`,
  );
  if (wallets.length > 0)
    say(`devnet: a wallet per node in ${dirname(wallets[0]!.path)} (unprotected: a test network)`);

  const seen = new Map<string, SeenBlock>();
  // The time of the latest head seen at each height: the previous block's, for the interval shown.
  const timeAt = new Map<number, number>();
  let best = -1;
  const onEvent = (state: NodeState, event: NodeEvent): void => {
    switch (event.event) {
      case 'head': {
        state.height = event.height;
        state.head = event.hash;
        const block: SeenBlock = {
          height: event.height,
          time: event.time,
          target: event.target === undefined ? undefined : BigInt(event.target),
        };
        seen.set(event.hash, block);
        if (event.time !== undefined) timeAt.set(event.height, event.time);
        if (event.height > best) {
          best = event.height;
          say(`  ${describeHead(event.height, event.hash, block, timeAt, state, initialTarget)}`);
        }
        if (
          wallets.length > 0 &&
          !finishing &&
          nodes.length === options.nodes &&
          nodes.every((node) => node.height >= options.height)
        ) {
          finishing = true;
          void finish();
        }
        break;
      }
      case 'block':
        if (event.status === 'accepted') {
          state.accepted++;
          if (event.from === 'self') state.mined++;
        } else if (event.reason === 'duplicate') {
          // Gossip brings most blocks more than once: not a refusal worth counting.
          state.duplicates++;
        } else {
          state.refused++;
        }
        break;
      case 'hashrate':
        state.hashrate = event.hashes_per_second;
        break;
      case 'exit':
        state.exit = event;
        break;
      default:
        break;
    }
  };

  const nodes: NodeState[] = [];
  let finishing = false;
  let final: Awaited<ReturnType<typeof readBalances>> | undefined;
  /** Every node reached the height: read the wallets' balances, then stop the nodes. */
  const finish = async (): Promise<void> => {
    clearInterval(payments);
    final = await readBalances(apiUrl(0), wallets);
    stopAll();
  };
  // While the network runs, one payment every two block intervals (at least every 250 ms)
  // between two random nodes' wallets.
  const paid = { sent: 0, refused: 0, lastRefusal: '' };
  const payments = setInterval(
    () => {
      // Coinbases are spendable only after the network's maturity: no point trying before.
      if (
        wallets.length === 0 ||
        finishing ||
        best <= (options.coinbaseMaturity ?? DEFAULT_PARAMS.coinbaseMaturity) + 1
      )
        return;
      const from = Math.floor(Math.random() * wallets.length);
      const to = (from + 1 + Math.floor(Math.random() * (wallets.length - 1))) % wallets.length;
      const amount = randomAmount();
      void payBetween(apiUrl(from), wallets[from]!, wallets[to]!, amount).then((result) => {
        if (result.ok) {
          paid.sent++;
          if (paid.sent <= 3 || paid.sent % 10 === 0) {
            say(
              `  paid ${formatCoins(amount)} from node ${from}'s wallet to node ${to}'s: ${result.txid.slice(0, 16)} (${paid.sent} so far)`,
            );
          }
        } else {
          paid.refused++;
          paid.lastRefusal = result.reason;
        }
      });
    },
    Math.max(250, 2 * intervalMs),
  );
  const start = (index: number, genesis: boolean): NodeState => {
    const args = [
      addresses[index]!,
      others,
      ...(genesis ? ['genesis', ...genesisArgs] : []),
      ...common(index),
      ...(options.web ? nodeApiArgs(addresses[index]!) : []),
    ];
    const state: NodeState = {
      index,
      address: addresses[index]!,
      threads: threadsOf(index),
      process: spawnNode(args, `node ${index}`),
      height: -1,
      head: '',
      hashrate: 0,
      accepted: 0,
      mined: 0,
      refused: 0,
      duplicates: 0,
      exit: undefined,
    };
    state.process.onEvent((event) => onEvent(state, event));
    return state;
  };
  const stopAll = (): void => {
    for (const node of nodes) void node.process.stop();
  };
  const onSignal = (): void => {
    say('devnet: interrupted; stopping the nodes');
    stopAll();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  // Waiting nodes first: the tutorial's genesis flow has no retransmission.
  for (let index = 1; index < options.nodes; index++) nodes.push(start(index, false));
  await Promise.all(
    nodes.map((node) => node.process.waitFor((event) => event.event === 'listening', 30_000).catch(() => undefined)),
  );
  nodes.unshift(start(0, true));

  const timeoutSeconds = options.timeout ?? Math.ceil(60 + (10 * options.height * intervalMs) / 1000);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    say(`devnet: no agreement within ${timeoutSeconds} s; stopping the nodes`);
    stopAll();
  }, timeoutSeconds * 1000);
  const progress = setInterval(() => {
    const rates = nodes.map((node) => formatRate(node.hashrate)).join(', ');
    say(`  … heights ${nodes.map((node) => node.height).join('/')} · hashrates ${rates}`);
  }, 5_000);
  await Promise.all(nodes.map((node) => node.process.exited));
  await view?.close();
  clearTimeout(timer);
  clearInterval(progress);
  clearInterval(payments);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  say('');
  say('node  address            threads  exit  height  mined  accepted  refused  head');
  for (const node of [...nodes].sort((a, b) => a.index - b.index)) {
    say(
      `${String(node.index).padEnd(4)}  ${node.address.padEnd(17)}  ${String(node.threads).padStart(7)}  ` +
        `${String(node.process.exitCode).padEnd(4)}  ${String(node.exit?.height ?? node.height).padStart(6)}  ` +
        `${String(node.mined).padStart(5)}  ${String(node.accepted).padStart(8)}  ${String(node.refused).padStart(7)}  ` +
        `${(node.exit?.hash ?? node.head).slice(0, 16)}`,
    );
    if (node.process.exitCode !== 0 && node.process.stderr()) {
      say(`      stderr: ${node.process.stderr().trim().split('\n').slice(-3).join(' | ')}`);
    }
  }
  const exits = nodes.map((node) => node.exit);
  const complete =
    !timedOut && exits.every((exit) => exit !== undefined) && nodes.every((node) => node.process.exitCode === 0);
  const agreeTo = options.height - 1;
  const agreed =
    complete &&
    chainsAgree(
      exits.map((exit) => exit!.chain),
      agreeTo,
    );
  const genesisExit = nodes.find((node) => node.index === 0)?.exit;
  if (genesisExit && 'tree' in genesisExit && typeof genesisExit.tree === 'string') {
    say('');
    say(`final block tree of node 0 (${addresses[0]}):`);
    say(genesisExit.tree);
  }
  if (network === 'powchain' && genesisExit) reportIntervals(say, genesisExit.chain, seen, intervalMs);
  const supplyChecked = wallets.length === 0 || reportWallets(say, wallets, final, paid);
  say('');
  if (agreed && !supplyChecked) {
    say('devnet: FAILED: the coins do not add up (see above)');
    return 1;
  }
  if (agreed) {
    const tips = new Set(exits.map((exit) => exit!.hash));
    say(
      `devnet: all ${options.nodes} nodes agree on the main chain up to height ${agreeTo} ` +
        `(${exits[0]!.chain[agreeTo]!.slice(0, 16)}); ${tips.size === 1 ? 'same head' : `${tips.size} different tips at the very end`}`,
    );
    return 0;
  }
  say(
    `devnet: FAILED: ${complete ? `the nodes' main chains differ below height ${options.height}` : 'not every node reached the height and exited cleanly'}`,
  );
  return 1;
}

/**
 * Every wallet's balance as node 0 saw it when the network stopped, and the check that the
 * coins add up: all wallets together hold every unspent coin, and those are exactly what the
 * coinbases were allowed to create (fees move coins, they create none). True when they do.
 */
function reportWallets(
  say: (line: string) => void,
  wallets: readonly DevnetWallet[],
  final: Awaited<ReturnType<typeof readBalances>> | undefined,
  paid: { sent: number; refused: number; lastRefusal: string },
): boolean {
  say('');
  say(
    `payments: ${paid.sent} sent` +
      (paid.refused > 0 ? `, ${paid.refused} not (the last because: ${paid.lastRefusal})` : ''),
  );
  if (!final || 'error' in final) {
    say(`wallets: could not read the balances: ${final ? final.error : 'the network did not reach the height'}`);
    return false;
  }
  say('wallet  balance (coins)     address');
  wallets.forEach((wallet, i) =>
    say(`${String(i).padEnd(6)}  ${formatCoins(final.balances[i]!).padStart(18)}  ${wallet.address}`),
  );
  const held = final.balances.reduce((sum, balance) => sum + balance, 0n);
  const ok = held === final.unspent && final.unspent === final.subsidies;
  say(
    `supply check: the wallets hold ${formatCoins(held)}, all unspent coins are ${formatCoins(final.unspent)}, ` +
      `the subsidies paid so far are ${formatCoins(final.subsidies)}: ${ok ? 'they add up' : 'THEY DO NOT ADD UP'}`,
  );
  return ok;
}

/** The powchain flags devnet hands the genesis node, as given. */
function flagArgs(options: NetworkCliOptions): string[] {
  const args: string[] = [];
  if (options.halfLife !== undefined) args.push('--half-life', String(options.halfLife));
  if (options.subsidy !== undefined) args.push('--subsidy', formatCoins(options.subsidy));
  if (options.halvingInterval !== undefined) args.push('--halving-interval', String(options.halvingInterval));
  if (options.coinbaseMaturity !== undefined) args.push('--coinbase-maturity', String(options.coinbaseMaturity));
  if (options.maxBlockBytes !== undefined) args.push('--max-block-bytes', String(options.maxBlockBytes));
  if (options.name !== undefined) args.push('--name', options.name);
  return args;
}

/** One line for a new best height: who saw it first and, on powchain, its interval and difficulty. */
function describeHead(
  height: number,
  hash: string,
  block: SeenBlock,
  timeAt: Map<number, number>,
  state: NodeState,
  initialTarget: bigint,
): string {
  let line = `height ${String(height).padStart(4)}  ${hash.slice(0, 16)}  node ${state.index}`;
  if (block.time !== undefined && block.target !== undefined) {
    const parentTime = timeAt.get(height - 1);
    const interval = parentTime !== undefined ? `${((block.time - parentTime) / 1000).toFixed(2)} s` : '   -  ';
    line += `  interval ${interval.padStart(8)}  difficulty ×${difficulty(initialTarget, block.target)}`;
  }
  return line;
}

/** How much harder a target is than the initial one, as a short number. */
function difficulty(initialTarget: bigint, target: bigint): string {
  const ratio = Number((initialTarget * 10_000n) / target) / 10_000;
  return ratio >= 100 ? ratio.toFixed(0) : ratio.toFixed(3);
}

/** The block interval achieved, over the last 30 blocks and in windows of 10 by height. */
function reportIntervals(
  say: (line: string) => void,
  chain: readonly string[],
  seen: Map<string, SeenBlock>,
  intervalMs: number,
): void {
  const times = chain.map((hash) => seen.get(hash)?.time);
  if (times.some((time) => time === undefined) || times.length < 3) return;
  const known = times as number[];
  const last30 = meanInterval(known, 30)!;
  say('');
  say(
    `block interval: mean ${Math.round(last30)} ms over the last ${Math.min(30, known.length - 1)} blocks ` +
      `(their time span / count), target ${intervalMs} ms (${((last30 / intervalMs) * 100).toFixed(0)}%)`,
  );
  const windows: string[] = [];
  for (let from = 1; from < known.length; from += 10) {
    const to = Math.min(known.length - 1, from + 9);
    const mean = (known[to]! - known[from - 1]!) / (to - from + 1);
    windows.push(`${from}-${to}: ${Math.round(mean)} ms`);
  }
  say(`intervals by height: ${windows.join(' · ')}`);
}
