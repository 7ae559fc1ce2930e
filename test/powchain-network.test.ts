import { afterEach, describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { DEFAULT_PARAMS, type NetworkParams, encodeParams } from '../src/primitives/params.js';
import { encodePayload } from '../src/primitives/payload.js';
import { asertTarget, powchainSchedule } from '../src/consensus/asert.js';
import { type PeerAddress } from '../src/net/address.js';
import { encodeBlockMessage } from '../src/net/messages.js';
import { MinerNode, type MinerNodeOptions } from '../src/node/miner-node.js';
import type { NodeEvent } from '../src/node/events.js';
import { MemoryNetwork } from './helpers/memory-network.js';
import { QuickMiner } from './helpers/quick-miner.js';
import { until } from './helpers/wait.js';

// Nodes of a powchain network, in process, mining for real (node:crypto) at an easy target.

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const address = (i: number): PeerAddress => ({ host: '127.0.0.1', port: 6100 + i });

function powchainGenesis(params: Omit<NetworkParams, 'genesisTimeMs'>) {
  return (now: number) => ({ data: encodeParams({ ...params, genesisTimeMs: now }), target: params.initialTarget });
}

function start(network: MemoryNetwork, index: number, count: number, options: Partial<MinerNodeOptions> = {}) {
  const miner = new QuickMiner(10, index + 1);
  const events: NodeEvent[] = [];
  const node = new MinerNode({
    transport: network.bind(address(index)),
    miner,
    peers: Array.from({ length: count }, (_, i) => address(i)),
    genesis: false,
    network: { seed: {} },
    hashrateIntervalMs: 0,
    helloIntervalMs: 50,
    tickIntervalMs: 20,
    beaconIntervalMs: 50,
    ...options,
  });
  node.onEvent((event) => events.push(event));
  void node.run();
  cleanups.push(() => node.stop());
  return { node, miner, events };
}

describe('a powchain network in process', () => {
  it('mines on ASERT targets, and every node ends on the chain with the most work', async () => {
    const network = new MemoryNetwork({ loss: 0.05, maxDelayMs: 5, seed: 3 });
    cleanups.push(() => network.close());
    const params = { ...DEFAULT_PARAMS, initialTarget: 1n << 248n, blockIntervalMs: 100, halfLifeMs: 1_000 };
    const nodes = [1, 2].map((i) => start(network, i, 3));
    nodes.unshift(start(network, 0, 3, { genesis: true, genesisTemplate: powchainGenesis(params) }));
    await until(() => nodes.every((n) => (n.node.tree?.head.height ?? 0) >= 15), 30_000, 'height 15 everywhere');
    for (const n of nodes) n.miner.enabled = false;
    const heads = (): Set<string> => new Set(nodes.map((n) => n.node.tree!.head.hash));
    await until(() => heads().size === 1, 10_000, 'one head');
    const tree = nodes[0]!.node.tree!;
    expect(tree.rules.network).toBe('powchain');
    // Every block on the main chain met the ASERT target after its parent.
    const schedule = powchainSchedule({ ...params, genesisTimeMs: tree.root.facts.time! });
    for (const entry of tree.mainChain().slice(1)) {
      expect(entry.facts.target).toBe(asertTarget(schedule, entry.parent!.height, entry.parent!.facts.time!));
    }
    const headEvents = nodes[1]!.events.filter((event) => event.event === 'head');
    expect(headEvents.at(-1)).toMatchObject({ time: expect.any(Number), target: expect.stringMatching(/^0x/) });
  });

  it('keeps a block from too far in the future, and takes it when its time comes', async () => {
    const network = new MemoryNetwork();
    cleanups.push(() => network.close());
    let clock = 1_800_000_000_000;
    const params = { ...DEFAULT_PARAMS, initialTarget: 1n << 250n, genesisTimeMs: clock };
    let genesis = new Block(encodeParams(params));
    for (let n = 0n; !genesis.verifyProofOfWork(params.initialTarget); n++) genesis = genesis.withNonce(n);
    const a = start(network, 0, 2, { now: () => clock, miner: undefined });
    const sender = network.bind(address(1));
    cleanups.push(() => sender.close());
    const send = (block: Block, height: number) =>
      sender.send(address(0), new TextEncoder().encode(encodeBlockMessage(block, height)));
    await send(genesis, 0);
    await until(() => a.node.tree !== undefined, 5_000, 'the genesis');
    const time = clock + 150_000;
    const height = 1;
    const target = params.initialTarget;
    const payload = encodePayload({
      version: 1,
      height,
      time,
      target,
      transactions: [{ kind: 'coinbase', height, tag: new Uint8Array(0), outputs: [] }],
    });
    let early = new Block(payload, genesis);
    for (let n = 0n; !early.verifyProofOfWork(target); n++) early = early.withNonce(n);
    await send(early, 1);
    await until(
      () => a.events.some((e) => e.event === 'block' && e.hash === early.hashHex() && e.reason === 'time-too-new'),
      5_000,
      'the refusal',
    );
    expect(a.node.stats().waiting).toBe(1);
    clock += 40_000;
    await until(() => a.node.tree!.head.hash === early.hashHex(), 5_000, 'the early block to be taken');
    expect(a.node.stats().waiting).toBe(0);
  });
});
