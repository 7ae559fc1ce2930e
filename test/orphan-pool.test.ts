import { describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { OrphanPool } from '../src/consensus/orphan-pool.js';

// An orphan is counted as its data plus 240 bytes (parent, nonce and bookkeeping).
const OVERHEAD = 240;
const genesis = new Block('Genesis');

/** `count` blocks each on its own (unknown) parent, with `dataBytes` bytes of data each. */
function unrelated(count: number, dataBytes = 10, label = 'u'): Block[] {
  return Array.from({ length: count }, (_, i) => {
    const data = `${label}${i}:`.padEnd(dataBytes, '.');
    return new Block(data, new Uint8Array(32).fill(i + 1));
  });
}

/** A chain of `length` blocks on `from`. */
function chainOf(length: number, from: Block = genesis, label = 'c'): Block[] {
  const blocks: Block[] = [];
  let tip = from;
  for (let i = 0; i < length; i++) blocks.push((tip = new Block(`${label}${i}`, tip)));
  return blocks;
}

const hashes = (taken: Array<{ block: Block }>): string[] => taken.map(({ block }) => block.hashHex());

describe('orphan pool limits', () => {
  it('defaults to 512 blocks, 8 MiB and 128 per sender', () => {
    const pool = new OrphanPool();
    expect([pool.maxBlocks, pool.maxBytes, pool.maxPerSender]).toEqual([512, 8 * 1024 * 1024, 128]);
    expect([pool.size, pool.bytes]).toEqual([0, 0]);
  });

  it('counts each orphan as its data plus 240 bytes, and gives them back on removal', () => {
    const pool = new OrphanPool();
    const [a, b] = unrelated(2, 100);
    expect(pool.add(a!, 'p')).toEqual({ ok: true, evicted: 0 });
    expect(pool.bytes).toBe(100 + OVERHEAD);
    pool.add(b!, 'p');
    expect(pool.bytes).toBe(2 * (100 + OVERHEAD));
    pool.takeChildren(Buffer.from(a!.previousHash).toString('hex'));
    expect(pool.bytes).toBe(100 + OVERHEAD);
    expect(pool.size).toBe(1);
  });

  it('keeps exactly maxBlocks orphans, and evicts the oldest for one more', () => {
    const blocks = unrelated(4);
    const pool = new OrphanPool({ maxBlocks: 3 });
    for (const block of blocks.slice(0, 3)) expect(pool.add(block, 'p')).toEqual({ ok: true, evicted: 0 });
    expect(pool.size).toBe(3);
    expect(pool.add(blocks[3]!, 'p')).toEqual({ ok: true, evicted: 1 });
    expect(pool.size).toBe(3);
    expect(blocks.map((block) => pool.has(block.hashHex()))).toEqual([false, true, true, true]);
  });

  it('keeps orphans of exactly maxBytes, and evicts the oldest for one byte more', () => {
    const size = 50 + OVERHEAD;
    const [a, b, c] = unrelated(3, 50);
    const exact = new OrphanPool({ maxBytes: 2 * size });
    exact.add(a!, 'p');
    expect(exact.add(b!, 'p')).toEqual({ ok: true, evicted: 0 });
    expect(exact.bytes).toBe(2 * size);
    const under = new OrphanPool({ maxBytes: 2 * size - 1 });
    under.add(a!, 'p');
    expect(under.add(b!, 'p')).toEqual({ ok: true, evicted: 1 });
    expect([under.has(a!.hashHex()), under.has(b!.hashHex())]).toEqual([false, true]);
    expect(under.bytes).toBe(size);
    // A large orphan evicts as many old ones as it takes.
    const pool = new OrphanPool({ maxBytes: 3 * size });
    pool.add(a!, 'p');
    pool.add(b!, 'p');
    pool.add(c!, 'p');
    const [large] = unrelated(1, 2 * size - OVERHEAD, 'large');
    expect(pool.add(large!, 'p')).toEqual({ ok: true, evicted: 2 });
    expect([a, b, c, large].map((block) => pool.has(block!.hashHex()))).toEqual([false, false, true, true]);
    expect(pool.bytes).toBe(3 * size);
  });

  it('never holds more than its bounds, even for an orphan larger than all of them', () => {
    const pool = new OrphanPool({ maxBytes: 1_000 });
    const [small] = unrelated(1, 10);
    const [huge] = unrelated(1, 2_000, 'huge');
    pool.add(small!, 'p');
    expect(pool.add(huge!, 'p')).toEqual({ ok: true, evicted: 2 });
    expect([pool.size, pool.bytes]).toEqual([0, 0]);
  });

  it('refuses a duplicate without counting it twice', () => {
    const pool = new OrphanPool({ maxPerSender: 2 });
    const [a, b] = unrelated(2);
    pool.add(a!, 'p');
    expect(pool.add(a!, 'p')).toEqual({ ok: false, reason: 'duplicate-orphan' });
    expect(pool.add(a!, 'q')).toEqual({ ok: false, reason: 'duplicate-orphan' });
    expect([pool.size, pool.bytes]).toEqual([1, 10 + OVERHEAD]);
    // The refused duplicate did not use up the sender's allowance.
    expect(pool.add(b!, 'p')).toEqual({ ok: true, evicted: 0 });
  });

  it('lets a sender hold exactly maxPerSender orphans, refusing one more, and others are not affected', () => {
    const pool = new OrphanPool({ maxPerSender: 3 });
    const blocks = unrelated(6);
    for (const block of blocks.slice(0, 3)) expect(pool.add(block, 'greedy').ok).toBe(true);
    expect(pool.add(blocks[3]!, 'greedy')).toEqual({ ok: false, reason: 'sender-orphan-limit' });
    expect(pool.has(blocks[3]!.hashHex())).toBe(false);
    expect(pool.size).toBe(3);
    expect(pool.add(blocks[3]!, 'modest')).toEqual({ ok: true, evicted: 0 });
  });

  it("gives a sender's allowance back one orphan at a time as its orphans leave", () => {
    const pool = new OrphanPool({ maxPerSender: 2 });
    const [parentA, parentB] = unrelated(2, 10, 'parent');
    const [a] = chainOf(1, parentA!, 'a');
    const [b] = chainOf(1, parentB!, 'b');
    const [c, d, e] = unrelated(3, 10, 'more');
    pool.add(a!, 'p');
    pool.add(b!, 'p');
    expect(pool.add(c!, 'p')).toEqual({ ok: false, reason: 'sender-orphan-limit' });
    // One of two leaves: room for exactly one more.
    expect(hashes(pool.takeChildren(parentA!.hashHex()))).toEqual([a!.hashHex()]);
    expect(pool.add(c!, 'p')).toEqual({ ok: true, evicted: 0 });
    expect(pool.add(d!, 'p')).toEqual({ ok: false, reason: 'sender-orphan-limit' });
    // Both leave: room for two.
    pool.takeChildren(parentB!.hashHex());
    pool.takeChildren(Buffer.from(c!.previousHash).toString('hex'));
    expect(pool.size).toBe(0);
    expect(pool.add(d!, 'p').ok).toBe(true);
    expect(pool.add(e!, 'p').ok).toBe(true);
  });

  it("gives the allowance back when a sender's orphan is evicted", () => {
    const pool = new OrphanPool({ maxBlocks: 2, maxPerSender: 2 });
    const [a, b, c, d] = unrelated(4);
    pool.add(a!, 'p');
    pool.add(b!, 'p');
    expect(pool.add(c!, 'q')).toEqual({ ok: true, evicted: 1 }); // a leaves
    expect(pool.add(d!, 'p')).toEqual({ ok: true, evicted: 1 }); // p holds b only: allowed
  });
});

describe('orphan pool children and ancestors', () => {
  it('gives the children of a parent, oldest first, with their senders, exactly once', () => {
    const pool = new OrphanPool();
    const [x, y, z] = [new Block('x', genesis), new Block('y', genesis), new Block('z', genesis)];
    const [other] = unrelated(1);
    pool.add(y, 'peer-y');
    pool.add(other!, 'peer-o');
    pool.add(x, 'peer-x');
    pool.add(z, 'peer-z');
    const taken = pool.takeChildren(genesis.hashHex());
    expect(taken.map(({ sender }) => sender)).toEqual(['peer-y', 'peer-x', 'peer-z']);
    expect(hashes(taken)).toEqual([y, x, z].map((block) => block.hashHex()));
    expect(taken[0]!.block).toBe(y);
    expect(pool.takeChildren(genesis.hashHex())).toEqual([]);
    expect(pool.size).toBe(1);
    expect(pool.bytes).toBe(10 + OVERHEAD);
    expect(pool.has(other!.hashHex())).toBe(true);
  });

  it('answers no children for an unknown parent', () => {
    const pool = new OrphanPool();
    expect(pool.takeChildren(genesis.hashHex())).toEqual([]);
    pool.add(new Block('x', genesis), 'p');
    expect(pool.takeChildren('00'.repeat(32))).toEqual([]);
    expect(pool.size).toBe(1);
  });

  it('still gives the remaining sibling after the other was evicted', () => {
    const pool = new OrphanPool({ maxBlocks: 2 });
    const first = new Block('first', genesis);
    const second = new Block('second', genesis);
    const [other] = unrelated(1);
    pool.add(first, 'p');
    pool.add(second, 'p');
    pool.add(other!, 'p'); // evicts `first`
    expect(hashes(pool.takeChildren(genesis.hashHex()))).toEqual([second.hashHex()]);
  });

  it('names the missing block at the root of an orphan chain, from any of its members', () => {
    const pool = new OrphanPool();
    const [a, b, c, d] = chainOf(4);
    // b, c and d wait; a (their root's parent) is missing. Added in a scrambled order.
    pool.add(d!, 'p');
    pool.add(b!, 'p');
    pool.add(c!, 'p');
    for (const member of [b, c, d]) expect(pool.missingAncestor(member!.hashHex())).toBe(a!.hashHex());
    expect(pool.missingAncestor(a!.hashHex())).toBeUndefined();
    // A lone orphan's missing block is its parent.
    const [lone] = unrelated(1);
    pool.add(lone!, 'p');
    expect(pool.missingAncestor(lone!.hashHex())).toBe(Buffer.from(lone!.previousHash).toString('hex'));
  });

  it('finds the missing root of a chain that fills the whole pool', () => {
    const blocks = chainOf(40);
    const pool = new OrphanPool({ maxBlocks: 39 });
    for (const block of blocks.slice(1).reverse()) pool.add(block, `s${block.hashHex()}`);
    expect(pool.size).toBe(39);
    expect(pool.missingAncestor(blocks[39]!.hashHex())).toBe(blocks[0]!.hashHex());
  });
});
