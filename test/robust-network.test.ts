import { afterEach, describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { MAX_TARGET } from '../src/primitives/limits.js';
import { type PeerAddress, formatAddress } from '../src/net/address.js';
import { MemoryNetwork } from './helpers/memory-network.js';
import { encodeBlockMessage } from '../src/net/messages.js';
import { MinerNode } from '../src/node/miner-node.js';
import { SimulatedMiner } from './helpers/simulated-miner.js';
import { until } from './helpers/wait.js';

// Networks of in-process nodes over a seeded, lossy MemoryNetwork, with simulated mining
// (every nonce is valid at the largest target): the network decides, not the CPU.

interface SimNode {
  node: MinerNode;
  miner: SimulatedMiner;
  address: PeerAddress;
}

const networks: MemoryNetwork[] = [];
const nodes: SimNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map(({ node }) => node.stop()));
  for (const network of networks.splice(0)) network.close();
});

const addressOf = (i: number): PeerAddress => ({ host: '127.0.0.1', port: 6000 + i });

function network(faults: ConstructorParameters<typeof MemoryNetwork>[0]): MemoryNetwork {
  const created = new MemoryNetwork(faults);
  networks.push(created);
  return created;
}

function startSim(net: MemoryNetwork, index: number, count: number, genesis: boolean, meanMs = 300): SimNode {
  const address = addressOf(index);
  const miner = new SimulatedMiner(1_000 + index, meanMs);
  const node = new MinerNode({
    transport: net.bind(address),
    miner,
    peers: Array.from({ length: count }, (_, i) => addressOf(i)),
    genesis,
    network: { seed: { target: MAX_TARGET, tieBreak: 'random' } },
    hashrateIntervalMs: 0,
    helloIntervalMs: 100,
  });
  void node.run();
  const sim = { node, miner, address };
  nodes.push(sim);
  return sim;
}

const height = (sim: SimNode): number => sim.node.tree?.head.height ?? -1;
const head = (sim: SimNode): string => sim.node.tree?.head.hash ?? '';
const sameHead = (sims: SimNode[]): boolean => sims.every((sim) => head(sim) !== '' && head(sim) === head(sims[0]!));

/** Lets one node alone go on mining until every node has adopted its chain. */
async function settleOn(winner: SimNode, sims: SimNode[], timeoutMs: number): Promise<void> {
  for (const sim of sims) sim.miner.enabled = sim === winner;
  const start = height(winner);
  await until(() => height(winner) >= start + 2, timeoutMs, 'the last miner to mine two more blocks');
  winner.miner.enabled = false;
  await until(() => sameHead(sims), timeoutMs, `one head on every node (heights ${sims.map(height).join('/')})`);
}

describe('a network with 20% datagram loss, reordering and duplicates', () => {
  it('four nodes end on one head', async () => {
    const net = network({ loss: 0.2, duplicate: 0.1, maxDelayMs: 40, seed: 7 });
    const sims = [1, 2, 3].map((i) => startSim(net, i, 4, false));
    sims.unshift(startSim(net, 0, 4, true));
    await until(() => sims.some((sim) => height(sim) >= 20), 30_000, 'height 20');
    await settleOn(sims[0]!, sims, 20_000);
    expect(net.dropped).toBeGreaterThan(0);
    expect(new Set(sims.map(head)).size).toBe(1);
    // Every node mined, and the blocks of more than one miner are on the common chain.
    const chain = sims[0]!.node.tree!.mainChain();
    const miners = new Set(chain.slice(1).map((entry) => new TextDecoder().decode(entry.block.data).split(':')[1]));
    expect(miners.size).toBeGreaterThan(1);
  }, 60_000);
});

describe('late joiners and partitions', () => {
  it('a node started after the network has mined a while catches up, then mines on the head', async () => {
    const net = network({ seed: 3 });
    const sims = [1, 2].map((i) => startSim(net, i, 4, false));
    sims.unshift(startSim(net, 0, 4, true));
    await until(() => sims.every((sim) => height(sim) >= 10), 20_000, 'height 10');
    const late = startSim(net, 3, 4, false);
    await until(() => height(late) >= height(sims[0]!) && height(late) >= 10, 20_000, 'the late node to catch up');
    expect(late.node.tree!.root.hash).toBe(sims[0]!.node.tree!.root.hash);
    await until(() => late.miner.found > 0, 20_000, 'the late node to mine');
    await settleOn(late, [...sims, late], 20_000);
    const lateBlocks = sims[0]!.node
      .tree!.mainChain()
      .filter((entry) => new TextDecoder().decode(entry.block.data).startsWith(formatAddress(late.address)));
    expect(lateBlocks.length).toBeGreaterThan(0);
  }, 60_000);

  it('two halves that mined apart agree again once the partition heals', async () => {
    const net = network({ seed: 11, maxDelayMs: 10 });
    const sims = [1, 2, 3].map((i) => startSim(net, i, 4, false));
    sims.unshift(startSim(net, 0, 4, true));
    await until(() => sims.every((sim) => height(sim) >= 3), 20_000, 'height 3');
    const [a, b, c, d] = sims as [SimNode, SimNode, SimNode, SimNode];
    net.partition([a.address, b.address], [c.address, d.address]);
    const forkHeight = Math.max(...sims.map(height));
    await until(() => height(a) >= forkHeight + 5 && height(c) >= forkHeight + 5, 20_000, 'both halves to mine');
    expect(head(a)).not.toBe(head(c));
    net.heal();
    await settleOn(c, sims, 20_000);
    expect(a.node.tree!.has(head(c))).toBe(true);
  }, 60_000);
});

describe('hostile input', () => {
  it('keeps the orphan pool within its bounds under a flood of valid orphans', async () => {
    const net = network({ seed: 5 });
    const target = startSim(net, 0, 1, true);
    await until(() => height(target) >= 1, 10_000, 'a chain');
    target.miner.enabled = false;
    const senders = Array.from({ length: 40 }, (_, i) => net.bind({ host: '127.0.0.2', port: 7000 + i }));
    for (const [s, sender] of senders.entries()) {
      for (let i = 0; i < 150; i++) {
        // Valid work at this network's (maximal) target, on parents nobody has.
        const orphan = new Block(`orphan ${s}/${i}`, new Uint8Array(32).fill(1 + (i % 200)), BigInt(i));
        await sender.send(target.address, new TextEncoder().encode(encodeBlockMessage(orphan, 1)));
      }
    }
    await until(() => net.delivered >= 40 * 150, 10_000, 'the flood to arrive');
    const stats = target.node.stats();
    expect(stats.orphans).toBeGreaterThan(0);
    expect(stats.orphans).toBeLessThanOrEqual(512);
    expect(stats.orphanBytes).toBeLessThanOrEqual(8 * 1024 * 1024);
    // And the node still takes real blocks.
    target.miner.enabled = true;
    const before = height(target);
    await until(() => height(target) > before, 10_000, 'the node to go on mining');
  }, 30_000);
});
