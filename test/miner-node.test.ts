import { afterEach, describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { bytesToHex } from '../src/primitives/bytes.js';
import { MAX_TARGET } from '../src/primitives/limits.js';
import { encodeBlock } from '../src/primitives/wire.js';
import { MemoryNetwork } from './helpers/memory-network.js';
import { MinerNode } from '../src/node/miner-node.js';
import { decodeMessage, encodeHello } from '../src/net/messages.js';
import type { NodeEvent } from '../src/node/events.js';
import { FakeMiner } from './helpers/fake-miner.js';
import { malformedVectors } from './helpers/vectors.js';
import { settle } from './helpers/wait.js';

const A = { host: '127.0.0.1', port: 5000 };
/** Every node a test starts is stopped after it, even when an assertion failed first. */
const running: MinerNode[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((node) => node.stop()));
});
const B = { host: '127.0.0.1', port: 5001 };
const C = { host: '127.0.0.1', port: 5002 };
function startNode(network: MemoryNetwork, address: typeof A, genesis: boolean, stopAtHeight?: number) {
  const miner = new FakeMiner();
  const events: NodeEvent[] = [];
  const node = new MinerNode({
    transport: network.bind(address),
    miner,
    peers: [A, B, C],
    genesis,
    network: { seed: { target: MAX_TARGET, tieBreak: 'first-seen' } },
    hashrateIntervalMs: 0,
    stopAtHeight,
  });
  running.push(node);
  node.onEvent((event) => events.push(event));
  const finished = node.run();
  return { node, miner, events, finished };
}

/** A genesis miner at A whose genesis block is mined and delivered: the common start of a test. */
async function genesisMiner() {
  const network = new MemoryNetwork();
  const a = startNode(network, A, true);
  a.miner.solve();
  await settle(network);
  return { network, a };
}

/** The parent hash inside a job's prefix (data || previous_hash). */
const parentOf = (prefix: Uint8Array): string => bytesToHex(prefix.subarray(prefix.length - 32));

describe('miner node', () => {
  it("follows the seed's genesis flow: one node mines Genesis, the others adopt it and all mine on it", async () => {
    const network = new MemoryNetwork();
    const b = startNode(network, B, false);
    const c = startNode(network, C, false);
    const a = startNode(network, A, true);
    expect(new TextDecoder().decode(a.miner.current!.prefix.subarray(0, 7))).toBe('Genesis');
    a.miner.solve(7n);
    await settle(network);
    const genesis = new Block('Genesis', undefined, 7n).hashHex();
    for (const peer of [a, b, c]) {
      expect(peer.node.tree?.root.hash).toBe(genesis);
      expect(parentOf(peer.miner.current!.prefix)).toBe(genesis);
    }
    expect(b.events).toContainEqual({ event: 'genesis', hash: genesis, from: '127.0.0.1:5000', network: 'seed' });
    // Payload host:port:i, i = own blocks accepted so far.
    expect(new TextDecoder().decode(b.miner.current!.prefix.subarray(0, 16))).toBe('127.0.0.1:5001:0');
  });

  it('stops its search the moment a rival block wins and mines on the new head', async () => {
    const network = new MemoryNetwork();
    const b = startNode(network, B, false);
    const a = startNode(network, A, true);
    a.miner.solve();
    await settle(network);
    const jobOnGenesis = a.miner.current!;
    b.miner.solve(42n);
    await settle(network);
    expect(jobOnGenesis.outcome).toEqual({ status: 'preempted', hashes: 0 });
    const rival = b.node.tree!.head;
    expect(rival.height).toBe(1);
    expect(a.node.tree!.head.hash).toBe(rival.hash);
    expect(parentOf(a.miner.current!.prefix)).toBe(rival.hash);
    // B's own counter moved on: its next payload is host:port:1.
    expect(new TextDecoder().decode(b.miner.current!.prefix.subarray(0, 16))).toBe('127.0.0.1:5001:1');
    expect(a.events).toContainEqual({
      event: 'block',
      hash: rival.hash,
      height: 1,
      from: '127.0.0.1:5001',
      status: 'accepted',
    });
  });

  it('reports a refused block with its reason and keeps mining what it was mining', async () => {
    const { network, a } = await genesisMiner();
    const job = a.miner.current!;
    const sender = network.bind(B);
    const orphan = new Block('orphan', new Uint8Array(32).fill(9), 1n);
    await sender.send(A, new TextEncoder().encode(encodeBlock(orphan)));
    await settle(network);
    expect(a.events).toContainEqual({
      event: 'block',
      hash: orphan.hashHex(),
      from: '127.0.0.1:5001',
      status: 'rejected',
      reason: 'unknown-parent',
      orphan: true,
    });
    expect(a.miner.current).toBe(job);
  });

  it('counts every malformed datagram as junk and never throws', async () => {
    const { network, a } = await genesisMiner();
    const job = a.miner.current!;
    const sender = network.bind(B);
    for (const { wire } of malformedVectors) await sender.send(A, new TextEncoder().encode(wire));
    await sender.send(A, new Uint8Array([0xff, 0xfe, 0x00]));
    await settle(network);
    expect(a.node.junkCount).toBe(malformedVectors.length + 1);
    expect(a.events.filter((event) => event.event === 'junk')).toHaveLength(malformedVectors.length + 1);
    expect(a.miner.current).toBe(job);
  });

  it('bans a peer that keeps sending blocks with invalid work, and then ignores it', async () => {
    const network = new MemoryNetwork();
    const miner = new FakeMiner();
    const events: NodeEvent[] = [];
    // A real target here: blocks with a zero nonce almost surely fail it.
    const node = new MinerNode({
      transport: network.bind(A),
      miner,
      peers: [B],
      genesis: true,
      network: { seed: { target: 1n << 200n } },
      hashrateIntervalMs: 0,
      helloIntervalMs: 0,
      peerLimits: { banThreshold: 5 },
    });
    running.push(node);
    node.onEvent((event) => events.push(event));
    void node.run();
    const sender = network.bind(B);
    for (let i = 0; i < 20; i++) await sender.send(A, new TextEncoder().encode(encodeBlock(new Block(`bad ${i}`))));
    await settle(network);
    expect(events.filter((event) => event.event === 'block' && event.reason === 'bad-pow')).toHaveLength(5);
    expect(events).toContainEqual({
      event: 'warning',
      message: 'banned 127.0.0.1:5001 for a while: it kept sending blocks with invalid proof of work',
    });
    expect(node.stats().dropped).toBe(15);
  });

  it('never sends anything but blocks to a peer that has not sent it a valid extended block', async () => {
    const { network, a } = await genesisMiner();
    // B stands for a seed miner; a hello that claims to come from it (a cheap spoof) must
    // not make A send it a getblocks its listener would die on.
    const seedPeer = network.bind(B);
    const received: string[] = [];
    seedPeer.onDatagram((payload) => received.push(new TextDecoder().decode(payload)));
    await seedPeer.send(A, new TextEncoder().encode(encodeHello(50, 'ab'.repeat(32), 'cd'.repeat(32), 51n)));
    await settle(network);
    a.miner.solve();
    await settle(network);
    expect(received.length).toBeGreaterThan(0);
    for (const datagram of received)
      expect(decodeMessage(datagram)).toMatchObject({ ok: true, message: { type: 'block' } });
  });

  it('stops, saying why, when its miner breaks (no unhandled rejection, no hang)', async () => {
    const { a } = await genesisMiner();
    a.miner.fail(new Error('worker 1 exited with code 1'));
    expect(await a.finished).toBe('miner failed');
    expect(a.events).toContainEqual({ event: 'warning', message: 'the miner failed: worker 1 exited with code 1' });
  });

  it('broadcasts its own blocks to every peer but itself, and stops at --stop-at-height', async () => {
    const network = new MemoryNetwork();
    const b = startNode(network, B, false, 2);
    const a = startNode(network, A, true, 2);
    a.miner.solve();
    await settle(network);
    a.miner.solve();
    await settle(network);
    expect(b.node.tree?.head.height).toBe(1);
    a.miner.solve();
    const reason = await a.finished;
    expect(reason).toBe('reached height 2');
    const exit = a.events.find((event) => event.event === 'exit');
    expect(exit).toMatchObject({ event: 'exit', height: 2, reason: 'reached height 2' });
    expect(exit && exit.event === 'exit' && exit.chain).toHaveLength(3);
    expect(a.miner.closed).toBe(true);
    await settle(network);
    // The last block went out before the node stopped: B has it too, and stops at the same height.
    expect(await b.finished).toBe('reached height 2');
    // Three blocks, each sent to B and C (C is not running: those datagrams are lost), never to A itself.
    expect(network.sent).toBe(6);
    expect(network.dropped).toBe(3);
  });
});
