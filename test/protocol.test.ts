import { describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { MAX_TARGET } from '../src/primitives/limits.js';
import { decodeBlockOrThrow } from '../src/primitives/wire.js';
import { BlockTree } from '../src/consensus/block-tree.js';
import { seedRules } from '../src/consensus/rules/seed.js';
import { blocksAfterLocator, buildLocator } from '../src/consensus/locator.js';
import { OrphanPool } from '../src/consensus/orphan-pool.js';
import { decodeMessage, encodeBlockMessage, encodeGetBlocks, encodeGetData, encodeHello } from '../src/net/messages.js';
import { PeerTable } from '../src/net/peers.js';
import { blockVectors, malformedVectors } from './helpers/vectors.js';

const genesis = new Block('Genesis');
const hex = (n: number): string => n.toString(16).padStart(64, '0');

function chainOf(length: number, from: Block = genesis, label = 'b'): Block[] {
  const blocks: Block[] = [];
  let tip = from;
  for (let i = 0; i < length; i++) blocks.push((tip = new Block(`${label}${i}`, tip)));
  return blocks;
}

describe('extended protocol messages', () => {
  it('sends blocks the seed can still read: its JSON with extra fields only', () => {
    const v = blockVectors[5]!;
    const block = decodeBlockOrThrow(v.encoding);
    const wire = encodeBlockMessage(block, 7);
    expect(wire.startsWith(v.encoding.slice(0, -1))).toBe(true);
    expect(JSON.parse(wire)).toMatchObject({ powchain: 1, height: 7 });
    const decoded = decodeMessage(wire);
    expect(decoded.ok && decoded.message).toMatchObject({ type: 'block', extended: true, height: 7 });
    expect(decoded.ok && decoded.message.type === 'block' && decoded.message.block.hashHex()).toBe(v.hash);
  });

  it('reads a plain seed block as a block from a peer that has not shown it speaks more', () => {
    const decoded = decodeMessage(blockVectors[0]!.encoding);
    expect(decoded.ok && decoded.message).toMatchObject({ type: 'block', extended: false, height: undefined });
  });

  it('round-trips hello, getblocks and getdata', () => {
    expect(decodeMessage(encodeHello(5, hex(1), hex(2), 12n))).toEqual({
      ok: true,
      message: { type: 'hello', height: 5, head: hex(1), root: hex(2), work: 12n, auth: {} },
    });
    expect(decodeMessage(encodeGetBlocks([hex(3), hex(4)], 100))).toEqual({
      ok: true,
      message: { type: 'getblocks', locator: [hex(3), hex(4)], limit: 100, auth: {} },
    });
    expect(decodeMessage(encodeGetData(hex(9)))).toEqual({
      ok: true,
      message: { type: 'getdata', hash: hex(9), auth: {} },
    });
  });

  it('refuses malformed messages with a reason, and caps what a request may ask for', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ powchain: 'x', type: 'hello' }, /protocol version/],
      [{ powchain: 1, type: 'hello', height: -1, head: hex(1), root: hex(1) }, /height/],
      [{ powchain: 1, type: 'hello', height: 1, head: 'zz', root: hex(1) }, /head/],
      [{ powchain: 1, type: 'getblocks', locator: Array(65).fill(hex(1)), limit: 1 }, /at most 64/],
      [{ powchain: 1, type: 'getblocks', locator: [42], limit: 1 }, /64 hex/],
      [{ powchain: 1, type: 'getblocks', locator: [], limit: 0 }, /limit/],
      [{ powchain: 1, type: 'getdata', hash: 5 }, /hash/],
      [{ powchain: 1, type: 'gossip' }, /unknown message type/],
    ];
    for (const [value, reason] of cases) {
      const decoded = decodeMessage(JSON.stringify(value));
      expect(decoded.ok).toBe(false);
      if (!decoded.ok) expect(decoded.reason).toMatch(reason);
    }
    const greedy = decodeMessage(encodeGetBlocks([], 1_000_000));
    expect(greedy.ok && greedy.message.type === 'getblocks' && greedy.message.limit).toBe(500);
    for (const { wire } of malformedVectors) expect(decodeMessage(wire).ok).toBe(false);
  });
});

describe('block locators', () => {
  it('are dense near the head, sparse towards the root, and end at the root', () => {
    const tree = new BlockTree(genesis, seedRules({ target: MAX_TARGET }));
    for (const block of chainOf(1_000)) tree.append(block, 0);
    const locator = buildLocator(tree);
    const heights = locator.map((hash) => tree.get(hash)!.height);
    expect(heights.slice(0, 10)).toEqual([1000, 999, 998, 997, 996, 995, 994, 993, 992, 991]);
    expect(heights.at(-1)).toBe(0);
    expect(locator.length).toBeLessThanOrEqual(32);
    for (let i = 1; i < heights.length; i++) expect(heights[i]!).toBeLessThan(heights[i - 1]!);
  });

  it('let a peer answer with just the blocks after the fork point', () => {
    const shared = chainOf(50);
    const ours = new BlockTree(genesis, seedRules({ target: MAX_TARGET, tieBreak: 'first-seen' }));
    const theirs = new BlockTree(genesis, seedRules({ target: MAX_TARGET, tieBreak: 'first-seen' }));
    for (const block of shared) {
      ours.append(block, 0);
      theirs.append(block, 0);
    }
    for (const block of chainOf(3, shared.at(-1), 'ours')) ours.append(block, 0);
    const theirBranch = chainOf(20, shared.at(-1), 'theirs');
    for (const block of theirBranch) theirs.append(block, 0);
    const answer = blocksAfterLocator(theirs, buildLocator(ours), 500);
    expect(answer.map((entry) => entry.hash)).toEqual(theirBranch.map((block) => block.hashHex()));
    expect(blocksAfterLocator(theirs, buildLocator(ours), 5)).toHaveLength(5);
    // An empty (or unknown) locator means from the start: the root first.
    expect(blocksAfterLocator(theirs, [], 3)[0]).toBe(theirs.root);
    expect(blocksAfterLocator(theirs, [hex(1)], 3)[0]).toBe(theirs.root);
  });
});

describe('orphan pool', () => {
  it('connects children when asked for their parent, and names the missing ancestor of a chain', () => {
    const pool = new OrphanPool();
    const [a, b, c] = chainOf(3) as [Block, Block, Block];
    pool.add(c, 'p');
    pool.add(b, 'p');
    expect(pool.missingAncestor(c.hashHex())).toBe(a.hashHex());
    expect(pool.takeChildren(a.hashHex()).map(({ block }) => block.hashHex())).toEqual([b.hashHex()]);
    expect(pool.size).toBe(1);
  });

  it('evicts the oldest beyond its count and byte bounds, and limits each sender', () => {
    const pool = new OrphanPool({ maxBlocks: 10, maxBytes: 1_000_000, maxPerSender: 4 });
    const blocks = chainOf(30);
    for (let i = 0; i < 30; i++) pool.add(blocks[i]!, `peer${i % 10}`);
    expect(pool.size).toBe(10);
    expect(pool.has(blocks[29]!.hashHex())).toBe(true);
    expect(pool.has(blocks[0]!.hashHex())).toBe(false);
    const limited = new OrphanPool({ maxPerSender: 2 });
    limited.add(blocks[0]!, 'greedy');
    limited.add(blocks[1]!, 'greedy');
    expect(limited.add(blocks[2]!, 'greedy')).toEqual({ ok: false, reason: 'sender-orphan-limit' });
    const small = new OrphanPool({ maxBytes: 20_000 });
    for (const block of chainOf(100, genesis, 'x'.repeat(1_000))) small.add(block, `s${block.hashHex()}`);
    expect(small.bytes).toBeLessThanOrEqual(20_000);
    expect(small.size).toBeGreaterThan(0);
  });
});

describe('peer table', () => {
  const peer = { host: '127.0.0.1', port: 9 };

  it('rate-limits each peer and refills its budget with time', () => {
    let now = 0;
    const table = new PeerTable({ datagramsPerSecond: 10, datagramBurst: 5 }, () => now);
    const admitted = Array.from({ length: 8 }, () => table.admit(peer).ok);
    expect(admitted).toEqual([true, true, true, true, true, false, false, false]);
    now += 300;
    expect(table.admit(peer).ok).toBe(true);
    expect(table.admit(peer).ok).toBe(true);
    expect(table.admit(peer).ok).toBe(true);
    expect(table.admit(peer)).toEqual({ ok: false, reason: 'rate-limited' });
  });

  it('bans a peer that keeps sending invalid data, for a while', () => {
    let now = 0;
    const table = new PeerTable({ banThreshold: 3, banMs: 1_000 }, () => now);
    const admitted = table.admit(peer);
    if (!admitted.ok) throw new Error('admitted');
    expect(table.penalize(admitted.peer)).toBeUndefined();
    expect(table.penalize(admitted.peer)).toBeUndefined();
    expect(table.penalize(admitted.peer)).toBe('peer');
    expect(table.admit(peer)).toEqual({ ok: false, reason: 'banned' });
    now += 1_001;
    expect(table.admit(peer).ok).toBe(true);
  });

  it('remembers a bounded number of peers, forgetting the least recently heard from', () => {
    const table = new PeerTable({ maxPeers: 100 });
    for (let port = 1; port <= 1_000; port++) table.admit({ host: '127.0.0.1', port });
    expect(table.size).toBe(100);
    expect(table.get({ host: '127.0.0.1', port: 1_000 })).toBeDefined();
    expect(table.get({ host: '127.0.0.1', port: 1 })).toBeUndefined();
  });
});

describe('peer table under a flood from many addresses', () => {
  it('caps the datagrams it lets through from all peers together', () => {
    let now = 0;
    const table = new PeerTable({ totalPerSecond: 100, totalBurst: 50 }, () => now);
    let admitted = 0;
    for (let port = 1; port <= 500; port++) if (table.admit({ host: '127.0.0.1', port }).ok) admitted++;
    expect(admitted).toBe(50);
    now += 1_000;
    for (let port = 501; port <= 1_000; port++) if (table.admit({ host: '127.0.0.1', port }).ok) admitted++;
    expect(admitted).toBe(100);
  });
});
