/**
 * `powchain devnet`: a local network of miner processes on loopback that stops by itself.
 *
 * Starts N `powchain mine` processes on free 127.0.0.1 ports (the waiting nodes first, the
 * genesis miner last, so nobody misses the genesis block), at a target calibrated to about
 * one block a second on this machine, shows them working, stops them at a height, and then
 * says whether every node ended on the same main chain (a race at the very tip aside).
 * Exit code 0 only if they did.
 */
import { availableParallelism } from 'node:os';
import { Command } from 'commander';
import { formatTarget } from '../primitives/target.js';
import { HASH_SPACE } from '../primitives/limits.js';
import type { EngineName } from '../hashing/engine.js';
import { freeUdpPorts } from '../net/ports.js';
import { createEngine, defaultEngine } from '../hashing/registry.js';
import type { NodeEvent } from '../node/events.js';
import { engineOption, integerOption, targetOption, tieBreakOption } from './options.js';
import { formatRate } from './node-view.js';
import { type NodeProcess, spawnNode } from './node-process.js';

interface DevnetOptions {
  nodes: number;
  height: number;
  target?: bigint;
  blockSeconds: number;
  threads?: number;
  engine?: EngineName;
  timeout?: number;
  tieBreak: string;
}

interface NodeState {
  readonly index: number;
  readonly address: string;
  readonly process: NodeProcess;
  height: number;
  head: string;
  hashrate: number;
  accepted: number;
  mined: number;
  refused: number;
  exit: Extract<NodeEvent, { event: 'exit' }> | undefined;
}

/** Hashes per second of one thread of `engine` on the seed's 56-byte message, over ~`ms`. */
function measureHashrate(engine: EngineName, ms: number): number {
  const searcher = createEngine(engine).prepare(new Uint8Array(48).fill(0x61), 0n);
  let start = 1n;
  let batch = 4_096n;
  let hashes = 0;
  const began = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    hashes += searcher.search(start, start + batch).tried;
    start += batch;
    elapsed = performance.now() - began;
    if (elapsed < ms / 10) batch *= 2n;
  }
  return (hashes / elapsed) * 1000;
}

function startNode(
  index: number,
  address: string,
  others: string,
  genesis: boolean,
  common: string[],
  onEvent: (state: NodeState, event: NodeEvent) => void,
): NodeState {
  const child = spawnNode([address, others, ...(genesis ? ['genesis'] : []), ...common], `node ${index}`);
  const state: NodeState = {
    index,
    address,
    process: child,
    height: -1,
    head: '',
    hashrate: 0,
    accepted: 0,
    mined: 0,
    refused: 0,
    exit: undefined,
  };
  child.onEvent((event) => onEvent(state, event));
  return state;
}

/** Chains agree when they are equal up to `height` (the tip itself may be a race). */
export function chainsAgree(chains: string[][], height: number): boolean {
  const reference = chains[0];
  if (!reference || reference.length <= height) return false;
  return chains.every(
    (chain) => chain.length > height && chain.slice(0, height + 1).every((hash, i) => hash === reference[i]),
  );
}

export function devnetCommand(): Command {
  return new Command('devnet')
    .description(
      'start a local network of miner processes on 127.0.0.1 (one of them mines the genesis block), ' +
        'show them working, stop them at a height, and check that they all agree on one main chain',
    )
    .option('--nodes <n>', 'how many miner processes', integerOption('nodes', 2, 16), 3)
    .option(
      '--height <n>',
      'stop every node once its head reaches this height',
      integerOption('height', 1, 100_000),
      20,
    )
    .option(
      '--block-seconds <s>',
      'aim for one block every this many seconds (sets the target by measuring this machine)',
      integerOption('block-seconds', 1, 600),
      1,
    )
    .option(
      '--target <target>',
      'use this proof-of-work target instead of calibrating one: 0xHEX, 2^N or decimal',
      targetOption,
    )
    .option(
      '--threads <n>',
      'worker threads per node (default: the cores shared among the nodes, at least 1)',
      integerOption('threads', 1, 64),
    )
    .option('--engine <name>', 'hashing engine for every node (default: the fastest that works here)', engineOption)
    .option(
      '--timeout <s>',
      'give up after this many seconds (default: 30 s + 10 s a block)',
      integerOption('timeout', 1, 86_400),
    )
    .addOption(tieBreakOption())
    .action(async (options: DevnetOptions) => {
      process.exitCode = await runDevnet(options);
    });
}

async function runDevnet(options: DevnetOptions): Promise<number> {
  const out = process.stdout;
  const say = (line: string): void => void out.write(line + '\n');
  const cores = availableParallelism();
  const threads = options.threads ?? Math.max(1, Math.floor(cores / options.nodes));
  const engine = options.engine ?? defaultEngine();
  let target = options.target;
  if (target === undefined) {
    const perThread = measureHashrate(engine, 300);
    const total = perThread * Math.min(cores, options.nodes * threads);
    const hashesPerBlock = Math.max(1, total * options.blockSeconds);
    target = HASH_SPACE / BigInt(Math.round(hashesPerBlock));
    say(
      `calibrated: ${engine} does ${formatRate(Math.round(perThread))} a thread here; target ${formatTarget(target)} for ~${options.blockSeconds} s a block`,
    );
  }
  const ports = await freeUdpPorts(options.nodes);
  const addresses = ports.map((port) => `127.0.0.1:${port}`);
  const others = addresses.join(',');
  const common = [
    '--stop-at-height',
    String(options.height),
    '--target',
    '0x' + target.toString(16),
    '--threads',
    String(threads),
    '--engine',
    engine,
    '--tie-break',
    options.tieBreak,
  ];
  say(
    `devnet: ${options.nodes} nodes on ${addresses.join(', ')}; ${threads} thread(s) each; stopping at height ${options.height}`,
  );

  let best = -1;
  const onEvent = (state: NodeState, event: NodeEvent): void => {
    switch (event.event) {
      case 'head':
        state.height = event.height;
        state.head = event.hash;
        if (event.height > best) {
          best = event.height;
          say(
            `  height ${String(event.height).padStart(3)}  ${event.hash.slice(0, 16)}  first seen by node ${state.index} (${state.address})`,
          );
        }
        break;
      case 'block':
        if (event.status === 'accepted') {
          state.accepted++;
          if (event.from === 'self') state.mined++;
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
  const stopAll = (): void => {
    for (const node of nodes) void node.process.stop();
  };
  const onSignal = (): void => {
    say('devnet: interrupted; stopping the nodes');
    stopAll();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  // Waiting nodes first: the seed's genesis flow has no retransmission.
  for (let index = 1; index < options.nodes; index++) {
    nodes.push(startNode(index, addresses[index]!, others, false, common, onEvent));
  }
  await Promise.all(
    nodes.map((node) => node.process.waitFor((event) => event.event === 'listening', 30_000).catch(() => undefined)),
  );
  nodes.unshift(startNode(0, addresses[0]!, others, true, common, onEvent));

  const timeoutSeconds = options.timeout ?? 30 + 10 * options.height * options.blockSeconds;
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
  clearTimeout(timer);
  clearInterval(progress);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  say('');
  say('node  address            exit  height  mined  accepted  refused  head');
  for (const node of [...nodes].sort((a, b) => a.index - b.index)) {
    say(
      `${String(node.index).padEnd(4)}  ${node.address.padEnd(17)}  ${String(node.process.exitCode).padEnd(4)}  ` +
        `${String(node.exit?.height ?? node.height).padStart(6)}  ${String(node.mined).padStart(5)}  ` +
        `${String(node.accepted).padStart(8)}  ${String(node.refused).padStart(7)}  ${(node.exit?.hash ?? node.head).slice(0, 16)}`,
    );
    if (node.process.exitCode !== 0 && node.process.stderr())
      say(`      stderr: ${node.process.stderr().trim().split('\n').slice(-3).join(' | ')}`);
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
  if (genesisExit?.tree) {
    say('');
    say(`final block tree of node 0 (${addresses[0]}):`);
    say(genesisExit.tree);
  }
  say('');
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
