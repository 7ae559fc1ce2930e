import { afterEach, describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { MAX_DATA_BYTES, MAX_DATAGRAM_BYTES, MAX_TARGET } from '../src/primitives/limits.js';
import { decodeBlock, encodeBlock } from '../src/primitives/wire.js';
import { BlockTree, type TreeLimits } from '../src/consensus/block-tree.js';
import { seedRules } from '../src/consensus/rules/seed.js';
import { type PeerAddress, isOwnAddress, uniqueAddresses } from '../src/net/address.js';
import { decodeMessage, encodeBlockMessage, encodeGetBlocks, encodeGetData, encodeHello } from '../src/net/messages.js';
import { type BlockStore, MinerNode, type MinerNodeOptions } from '../src/node/miner-node.js';
import type { NodeEvent } from '../src/node/events.js';
import { MemoryNetwork, type MemoryTransport } from './helpers/memory-network.js';
import { FakeMiner } from './helpers/fake-miner.js';
import { settle, until } from './helpers/wait.js';

// One test per defect found by the attack on the node (docs/reliability.md): each failed
// before the fix it names.

const A = { host: '127.0.0.1', port: 5000 };
const B = { host: '127.0.0.1', port: 5001 };
const C = { host: '127.0.0.1', port: 5002 };
const J = { host: '127.0.0.1', port: 5009 };
const easy = { seed: { target: MAX_TARGET, tieBreak: 'first-seen' as const } };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function memoryNetwork(): MemoryNetwork {
  const network = new MemoryNetwork();
  cleanups.push(() => network.close());
  return network;
}

interface TestNode {
  node: MinerNode;
  miner: FakeMiner;
  events: NodeEvent[];
}

function startNode(network: MemoryNetwork, address: PeerAddress, options: Partial<MinerNodeOptions> = {}): TestNode {
  const miner = new FakeMiner();
  const events: NodeEvent[] = [];
  const node = new MinerNode({
    transport: network.bind(address),
    miner,
    peers: [A, B, C, J],
    genesis: false,
    network: easy,
    hashrateIntervalMs: 0,
    helloIntervalMs: 0,
    beaconIntervalMs: 0,
    tickIntervalMs: 0,
    ...options,
  });
  node.onEvent((event) => events.push(event));
  void node.run();
  cleanups.push(() => node.stop());
  return { node, miner, events };
}

/** A tree of `length` blocks on the tutorial's genesis, every nonce valid (largest target). */
function chain(length: number, limits: TreeLimits = {}) {
  const tree = new BlockTree(new Block('Genesis'), seedRules({ target: MAX_TARGET, tieBreak: 'first-seen' }), limits);
  let tip = tree.root.block;
  for (let i = 1; i < length; i++) tree.append((tip = new Block(`127.0.0.1:5000:${i - 1}`, tip)), 0);
  return tree;
}

/** A raw endpoint on the network that records what it receives. */
function listener(network: MemoryNetwork, address: PeerAddress): { transport: MemoryTransport; received: string[] } {
  const transport = network.bind(address);
  const received: string[] = [];
  transport.onDatagram((payload) => received.push(new TextDecoder().decode(payload)));
  cleanups.push(() => transport.close());
  return { transport, received };
}

const send = (transport: MemoryTransport, to: PeerAddress, text: string): Promise<void> =>
  transport.send(to, new TextEncoder().encode(text));
const bytesOf = (texts: string[]): number => texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0);

describe('no datagram can crash a node', () => {
  it('refuses a block whose data is one byte over what fits, before decoding it, and keeps running (#1)', async () => {
    const data = Buffer.alloc(MAX_DATA_BYTES + 1).toString('base64');
    // Compact JSON: 65,505 bytes, a datagram that fits, with one byte of data too many.
    const wire = JSON.stringify({ data, previous_hash: '00'.repeat(32), p_o_w: '00'.repeat(8) });
    expect(Buffer.byteLength(wire)).toBeLessThanOrEqual(MAX_DATAGRAM_BYTES);
    const reason = `data is ${MAX_DATA_BYTES + 1} bytes, over the ${MAX_DATA_BYTES} that fit in a datagram`;
    expect(decodeBlock(wire)).toEqual({ ok: false, reason });
    expect(decodeMessage(wire)).toEqual({ ok: false, reason });
    const network = memoryNetwork();
    const a = startNode(network, A, { tree: chain(3) });
    const attacker = listener(network, B);
    await send(attacker.transport, A, wire);
    await settle(network);
    expect(a.events).toContainEqual({ event: 'junk', from: '127.0.0.1:5001', reason, count: 1 });
    // The edge: exactly the largest data is a block.
    const largest = JSON.stringify({
      data: Buffer.alloc(MAX_DATA_BYTES).toString('base64'),
      previous_hash: '00'.repeat(32),
    });
    expect(decodeBlock(largest).ok).toBe(true);
  });

  it('relays and serves a block too large for the extended form in the plain form (#2)', async () => {
    const network = memoryNetwork();
    const a = startNode(network, A, { tree: chain(3) });
    const extendedPeer = listener(network, B);
    const tutorialPeer = listener(network, C);
    const head = a.node.tree!.head;
    // B says hello, gets the genesis with A's token, and echoes it with a block of its own:
    // A knows B's address is real and that B speaks the extended protocol.
    await send(extendedPeer.transport, A, encodeHello(0, 'ab'.repeat(32), 'cd'.repeat(32), 1n));
    await settle(network);
    const introduction = decodeMessage(extendedPeer.received[0]!);
    const echo = introduction.ok ? introduction.message.auth.token! : '';
    await send(
      extendedPeer.transport,
      A,
      encodeBlockMessage(new Block('from B', head.block), head.height + 1, { echo }),
    );
    await settle(network);
    extendedPeer.received.length = 0;
    const big = new Block(new Uint8Array(MAX_DATA_BYTES).fill(7), a.node.tree!.head.block);
    const plain = encodeBlock(big);
    expect(Buffer.byteLength(plain)).toBe(65_506);
    expect(encodeBlockMessage(big, 5)).toBe(plain);
    await send(tutorialPeer.transport, A, plain);
    await settle(network);
    expect(a.node.tree!.head.hash).toBe(big.hashHex());
    expect(extendedPeer.received).toContain(plain);
    extendedPeer.received.length = 0;
    await send(extendedPeer.transport, A, encodeGetData(big.hashHex(), { echo }));
    await settle(network);
    expect(extendedPeer.received).toContain(plain);
    expect(a.events.filter((event) => event.event === 'warning')).toEqual([]);
  });
});

describe('persistence', () => {
  function recordingStore(): BlockStore & { begun: Block[]; appended: Block[] } {
    const store = {
      begun: [] as Block[],
      appended: [] as Block[],
      begin: (genesis: Block) => void store.begun.push(genesis),
      append: (blocks: readonly Block[]) => void store.appended.push(...blocks),
      compact: () => {},
    };
    return store;
  }

  it('stores the genesis whoever mined it, before any other block (#3)', async () => {
    const network = memoryNetwork();
    const minerStore = recordingStore();
    const followerStore = recordingStore();
    const a = startNode(network, A, { genesis: true, store: minerStore });
    startNode(network, B, { store: followerStore });
    a.miner.solve(3n);
    await settle(network);
    const genesis = new Block('Genesis', undefined, 3n).hashHex();
    expect(minerStore.begun.map((block) => block.hashHex())).toEqual([genesis]);
    expect(followerStore.begun.map((block) => block.hashHex())).toEqual([genesis]);
    a.miner.solve(1n);
    await settle(network);
    expect(followerStore.appended).toHaveLength(1);
    expect(followerStore.appended[0]!.previousHash).toEqual(new Block('Genesis', undefined, 3n).hash());
  });

  it('stops rather than announce a block it could not store', async () => {
    const network = memoryNetwork();
    const watcher = listener(network, B);
    const a = startNode(network, A, {
      tree: chain(2),
      peers: [B],
      store: {
        begin: () => {},
        append: () => {
          throw new Error('ENOSPC: no space left on device');
        },
        compact: () => {},
      },
    });
    a.miner.solve(5n);
    await settle(network);
    expect(a.events).toContainEqual({
      event: 'warning',
      message: 'cannot store blocks: ENOSPC: no space left on device',
    });
    expect(a.events.at(-1)).toMatchObject({ event: 'exit', reason: 'store failed' });
    expect(watcher.received).toEqual([]);
  });
});

describe('no amplification, no escape by port (#4)', () => {
  it('answers an address that has not proven itself with at most 3x what it sent', async () => {
    const network = memoryNetwork();
    startNode(network, A, { tree: chain(300) });
    const attackers = Array.from({ length: 40 }, (_, i) => listener(network, { host: '127.0.0.2', port: 7000 + i }));
    const request = encodeGetBlocks([], 500);
    const hello = encodeHello(0, 'ab'.repeat(32), 'cd'.repeat(32), 1n);
    for (const attacker of attackers) {
      await send(attacker.transport, A, request);
      await send(attacker.transport, A, hello);
    }
    await settle(network);
    for (const attacker of attackers) {
      expect(bytesOf(attacker.received)).toBeLessThanOrEqual(
        3 * (Buffer.byteLength(request) + Buffer.byteLength(hello)),
      );
    }
  });

  it('serves the whole answer once the address has echoed its token', async () => {
    const network = memoryNetwork();
    const a = startNode(network, A, { tree: chain(300) });
    const joiner = listener(network, J);
    await send(joiner.transport, A, encodeHello(0, 'ab'.repeat(32), 'cd'.repeat(32), 1n));
    await settle(network);
    const introduction = decodeMessage(joiner.received[0]!);
    expect(introduction).toMatchObject({ ok: true, message: { type: 'block', height: 0 } });
    const token = introduction.ok ? introduction.message.auth.token : undefined;
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    joiner.received.length = 0;
    await send(joiner.transport, A, encodeGetBlocks([a.node.tree!.root.hash], 250, { echo: token! }));
    await settle(network);
    expect(joiner.received).toHaveLength(250);
  });

  it('keeps a host that changes ports within one budget and one ban', async () => {
    const network = memoryNetwork();
    const a = startNode(network, A, {
      tree: chain(3),
      peerLimits: { hostBanThreshold: 10, banThreshold: 1_000 },
    });
    for (let port = 8000; port < 8020; port++) {
      const attacker = listener(network, { host: '127.0.0.3', port });
      await send(attacker.transport, A, 'not json');
    }
    await settle(network);
    expect(a.events.filter((event) => event.event === 'junk')).toHaveLength(10);
    expect(a.events).toContainEqual({
      event: 'warning',
      message: 'banned the unvalidated ports of 127.0.0.3 for a while: they kept sending malformed datagrams',
    });
    expect(a.node.stats().dropped).toBe(10);
  });
});

describe('bounded side branches (#5)', () => {
  it('refuses forks from deep below the head, and keeps side blocks within their budget', async () => {
    const network = memoryNetwork();
    const maxSideBytes = 2 * 1024 * 1024;
    const a = startNode(network, A, { tree: chain(300, { maxSideBytes, maxForkDepth: 100 }) });
    const tree = a.node.tree!;
    const senders = Array.from({ length: 10 }, (_, i) => listener(network, { host: '127.0.0.4', port: 9000 + i }));
    for (let i = 0; i < 500; i++) {
      // Alternately deep (too-deep) and shallow forks, 45 KB of data each.
      const height = i % 2 === 0 ? 50 + (i % 100) : 250 + (i % 40);
      const parent = tree.mainAt(height)!.block;
      const side = new Block(new Uint8Array(45_000).fill(i % 256), parent, BigInt(i));
      await send(senders[i % 10]!.transport, A, encodeBlock(side));
      if (i % 50 === 49) await settle(network);
    }
    await settle(network);
    const refusals = a.events.filter((event) => event.event === 'block' && event.status === 'rejected');
    expect(refusals.filter((event) => event.event === 'block' && event.reason === 'too-deep')).toHaveLength(250);
    expect(tree.side.bytes).toBeLessThanOrEqual(maxSideBytes);
    expect(tree.side.bytes).toBeGreaterThan(maxSideBytes - 45_000);
    expect(a.events.some((event) => event.event === 'dropped' && event.why === 'side-budget')).toBe(true);
    expect(tree.head.height).toBe(299);
  });
});

describe('configured peers (#9)', () => {
  it('recognises its own address in any spelling, and drops repeats', () => {
    const self = { host: '0.0.0.0', port: 5000 };
    const local = new Set(['10.1.2.3']);
    expect(isOwnAddress({ host: '127.0.0.1', port: 5000 }, self, local)).toBe(true);
    expect(isOwnAddress({ host: '10.1.2.3', port: 5000 }, self, local)).toBe(true);
    expect(isOwnAddress({ host: '10.1.2.4', port: 5000 }, self, local)).toBe(false);
    expect(isOwnAddress({ host: '127.0.0.1', port: 5001 }, self, local)).toBe(false);
    expect(isOwnAddress({ host: '0.0.0.0', port: 5000 }, A, local)).toBe(true);
    expect(isOwnAddress({ host: '127.0.0.2', port: 5000 }, A, local)).toBe(false);
    expect(uniqueAddresses([A, B, A, { ...B }, C])).toEqual([A, B, C]);
  });
});

describe('the tag counter (#10)', () => {
  it('does not count the genesis: the first own block is host:port:0, the next :1', async () => {
    const network = memoryNetwork();
    const a = startNode(network, A, { genesis: true });
    a.miner.solve(1n);
    await settle(network);
    const tag = (): string => new TextDecoder().decode(a.miner.current!.prefix.subarray(0, 16));
    expect(tag()).toBe('127.0.0.1:5000:0');
    a.miner.solve(2n);
    await settle(network);
    expect(tag()).toBe('127.0.0.1:5000:1');
  });
});

describe('a late joiner on a quiet network (#11)', () => {
  it('learns the whole chain though nobody mines', async () => {
    const network = memoryNetwork();
    const intervals = { helloIntervalMs: 40, beaconIntervalMs: 40, tickIntervalMs: 20 };
    const a = startNode(network, A, { tree: chain(700), peers: [A, J], ...intervals });
    const joiner = startNode(network, J, { peers: [A, J], ...intervals });
    await until(() => joiner.node.tree?.head.hash === a.node.tree!.head.hash, 20_000, 'the joiner to reach the head');
    expect(joiner.node.tree!.head.height).toBe(699);
    // It did not mine while it caught up: every block it has came from A.
    expect(joiner.miner.jobs.every((job) => job.outcome?.status !== 'found')).toBe(true);
  });
});
