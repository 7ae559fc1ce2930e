import { afterEach, describe, expect, it } from 'vitest';
import { freeNodePorts, waitForUdpPort } from './helpers/ports.js';
import { type PowchainNode, isExit, startPowchainNode } from './helpers/powchain-node.js';
import { type SeedMiner, pythonAvailable, startSeedMiner } from './helpers/seed-miner.js';

// The tutorial's own Python miners (test/fixtures/seed-miner) and powchain nodes in one
// network. CI machines have python3; a machine without it cannot run this suite at all.
if (!pythonAvailable()) throw new Error('python3 (>= 3.8) is needed to run the seed miners of this suite');

// Hard enough, and powchain held to node:crypto (about the Python loop's speed), that both
// kinds of miner win blocks: each side's blocks must make it into the other's chain.
const TARGET = 1n << 235n;
const HEIGHT = 8;
const running: Array<PowchainNode | SeedMiner> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((peer) => peer.stop()));
});

function powchain(address: string, others: string[], genesis: boolean): PowchainNode {
  const node = startPowchainNode({
    address,
    others,
    genesis,
    target: TARGET,
    stopAtHeight: HEIGHT,
    engine: 'node-crypto',
  });
  running.push(node);
  return node;
}

function seed(address: string, others: string[], genesis: boolean): SeedMiner {
  const miner = startSeedMiner({ address, others, genesis, target: TARGET });
  running.push(miner);
  return miner;
}

/** Every chain agrees with the reference up to `height` (a race at the very tip aside). */
function expectAgreement(reference: string[], chains: string[][], height: number): void {
  expect(reference.length).toBeGreaterThan(height);
  for (const chain of chains) {
    expect(chain.length).toBeGreaterThan(height);
    expect(chain.slice(0, height + 1)).toEqual(reference.slice(0, height + 1));
  }
}

describe("interop with the seed tutorial's Python miners", () => {
  it('agrees on one chain when a powchain node mines the genesis block', async () => {
    const ports = await freeNodePorts(4);
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    const pythons = [seed(addresses[2]!, addresses, false), seed(addresses[3]!, addresses, false)];
    const follower = powchain(addresses[1]!, addresses, false);
    await Promise.all(ports.slice(1).map((port) => waitForUdpPort(port)));
    const genesisNode = powchain(addresses[0]!, addresses, true);
    const exits = await Promise.all([genesisNode, follower].map((node) => node.waitFor(isExit, 90_000)));
    await Promise.all(pythons.map((miner) => miner.waitForHeight(HEIGHT - 1, 30_000)));
    const pythonChains = pythons.map((miner) => miner.heads.at(-1)!.chain);
    expectAgreement(exits[0]!.chain, [exits[1]!.chain, ...pythonChains], HEIGHT - 2);
    expect(pythons.every((miner) => miner.heads[0]!.hash === exits[0]!.chain[0])).toBe(true);
    const minedByPython = [genesisNode, follower].flatMap((node) =>
      node.events.filter(
        (event) => event.event === 'block' && addresses.slice(2).includes(event.from) && event.status === 'accepted',
      ),
    );
    expect(minedByPython.length).toBeGreaterThan(0);
  }, 150_000);

  it('agrees on one chain when a Python miner mines the genesis block', async () => {
    const ports = await freeNodePorts(3);
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    const nodes = [powchain(addresses[1]!, addresses, false), powchain(addresses[2]!, addresses, false)];
    await Promise.all(nodes.map((node) => node.waitFor((event) => event.event === 'listening', 15_000)));
    const genesisMiner = seed(addresses[0]!, addresses, true);
    const exits = await Promise.all(nodes.map((node) => node.waitFor(isExit, 90_000)));
    await genesisMiner.waitForHeight(HEIGHT - 1, 30_000);
    const python = genesisMiner.heads.at(-1)!.chain;
    expectAgreement(
      python,
      exits.map((exit) => exit.chain),
      HEIGHT - 2,
    );
    // Blocks mined by the Python miner after its genesis made it into the powchain nodes' trees.
    const fromPython = nodes.flatMap((node) =>
      node.events.filter(
        (event) =>
          event.event === 'block' &&
          event.from === addresses[0] &&
          event.status === 'accepted' &&
          (event.height ?? 0) > 0,
      ),
    );
    expect(fromPython.length).toBeGreaterThan(0);
  }, 150_000);
});
