/**
 * The ApiSource over today's miner node: real MinerNodes on the in-process network with
 * fake nonce searches, their events turned into what the API answers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { MAX_TARGET } from '../src/primitives/limits.js';
import { MemoryNetwork } from './helpers/memory-network.js';
import { MinerNode } from '../src/node/miner-node.js';
import { type BlockTree, restoreTree } from '../src/consensus/block-tree.js';
import { seedRules } from '../src/consensus/rules/seed.js';
import { NodeSource } from '../src/api/node-source.js';
import type { ApiEvent } from '../src/api/source.js';
import { createApiServer } from '../src/api/server.js';
import { FakeMiner } from './helpers/fake-miner.js';
import { settle } from './helpers/wait.js';

const A = { host: '127.0.0.1', port: 5000 };
const B = { host: '127.0.0.1', port: 5001 };
const nodes: MinerNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.stop()));
});

function startNode(network: MemoryNetwork, address: typeof A, genesis: boolean, tree?: BlockTree) {
  const miner = new FakeMiner();
  const node = new MinerNode({
    transport: network.bind(address),
    miner,
    peers: [A, B],
    genesis,
    network: { seed: { target: MAX_TARGET, tieBreak: 'first-seen' } },
    hashrateIntervalMs: 0,
    helloIntervalMs: 0,
    beaconIntervalMs: 0,
    tickIntervalMs: 0,
    ...(tree ? { tree } : {}),
  });
  let clock = 1_000;
  const source = new NodeSource(node, { now: () => (clock += 1_000) });
  const events: ApiEvent[] = [];
  source.subscribe((event) => events.push(event));
  nodes.push(node);
  void node.run();
  return { node, miner, source, events };
}

describe('NodeSource over a miner node', () => {
  it('answers status, blocks, tree and events as blocks are mined and relayed', async () => {
    const network = new MemoryNetwork();
    const b = startNode(network, B, false);
    const a = startNode(network, A, true);
    expect(b.source.status()).toBeUndefined();
    a.miner.solve();
    await settle(network);
    b.miner.solve(5n);
    await settle(network);
    a.miner.solve(6n);
    await settle(network);

    const status = b.source.status()!;
    expect(status).toMatchObject({ network: 'seed', height: 2, head: b.node.tree!.head.hash, target: 'f'.repeat(64) });
    expect(status.difficulty).toBe(1);
    const [top, middle, genesis] = b.source.blocks(10);
    expect([top!.height, middle!.height, genesis!.height]).toEqual([2, 1, 0]);
    expect(top).toMatchObject({ miner: '127.0.0.1:5000:0', relayedBy: '127.0.0.1:5000', main: true, time: null });
    expect(middle).toMatchObject({ miner: '127.0.0.1:5001:0', relayedBy: 'self' });
    expect(genesis).toMatchObject({ miner: 'Genesis', relayedBy: '127.0.0.1:5000', parent: null, chainWork: '1' });
    expect(top!.chainWork).toBe('3');
    expect(b.source.tree(0)!.blocks.map((block) => [block.height, block.main, block.tip])).toEqual([
      [0, true, false],
      [1, true, false],
      [2, true, true],
    ]);
    expect(
      b.events.filter((event) => event.type === 'head').map((event) => event.type === 'head' && event.height),
    ).toEqual([0, 1, 2]);
    expect(b.events.filter((event) => event.type === 'block')).toHaveLength(3);
    // Three blocks arrived a clock tick apart: the recent interval comes from their arrival.
    expect(b.source.status()!.blockIntervalMs.recent).toBeGreaterThan(0);
    expect(b.source.peers().map((peer) => [peer.address, peer.validated])).toEqual([['127.0.0.1:5000', true]]);
  });

  it('keeps refusals with their reasons, and serves through the API', async () => {
    const network = new MemoryNetwork();
    const a = startNode(network, A, true);
    a.miner.solve();
    await settle(network);
    const sender = network.bind(B);
    await sender.send(A, new TextEncoder().encode('not a block'));
    await sender.send(
      A,
      new TextEncoder().encode(
        JSON.stringify({ data: '', previous_hash: '00'.repeat(31) + '09', p_o_w: '00'.repeat(8) }),
      ),
    );
    await settle(network);
    const reasons = a.source.refusals().map((refusal) => [refusal.from, refusal.reason]);
    expect(reasons[0]).toEqual(['127.0.0.1:5001', 'unknown-parent']);
    expect(reasons[1]![0]).toBe('127.0.0.1:5001');
    const app = await createApiServer({ source: a.source, rateLimit: false });
    try {
      const refusals = (await app.inject({ url: '/api/refusals' })).json() as { refusals: unknown[] };
      expect(refusals.refusals).toHaveLength(2);
      const tree = (await app.inject({ url: '/api/tree?since=0' })).json() as { blocks: unknown[] };
      expect(tree.blocks).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it('calls the blocks of a restored tree "disk"', async () => {
    const genesis = new Block('Genesis', undefined, 1n);
    const tree = restoreTree(
      [genesis, new Block('127.0.0.1:5000:1', genesis, 2n)],
      seedRules({ target: MAX_TARGET }),
    ).tree!;
    const network = new MemoryNetwork();
    const a = startNode(network, A, true, tree);
    expect(a.source.blocks(5).map((block) => [block.height, block.relayedBy])).toEqual([
      [1, 'disk'],
      [0, 'disk'],
    ]);
    a.miner.solve(3n);
    await settle(network);
    expect(a.source.blocks(1)[0]).toMatchObject({ height: 2, relayedBy: 'self' });
    expect(a.source.tree(0)!.blocks).toHaveLength(3);
  });
});
