import { describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { MAX_TARGET } from '../src/primitives/limits.js';
import { BlockTree, type TreeEntry } from '../src/consensus/block-tree.js';
import { seedRules } from '../src/consensus/rules/seed.js';
import { renderTree } from '../src/cli/tree-view.js';

// With the largest target every hash is valid PoW, so the tree's own rules are tested alone.
const easy = { target: MAX_TARGET };
const genesis = new Block('Genesis');
const child = (parent: Block, data: string): Block => new Block(data, parent);
const hashes = (chain: readonly TreeEntry[]): string[] => chain.map((entry) => entry.hash);

describe('block tree', () => {
  it('starts with the genesis as root and head, at height 0', () => {
    const tree = new BlockTree(genesis, seedRules(easy));
    expect(tree.root.hash).toBe(genesis.hashHex());
    expect(tree.head).toBe(tree.root);
    expect(tree.root.height).toBe(0);
    expect(hashes(tree.mainChain())).toEqual([genesis.hashHex()]);
    expect(tree.root.origin).toBe('self');
    expect(new BlockTree(genesis, seedRules(easy), {}, 'disk').root.origin).toBe('disk');
  });

  it('refuses to start at a block the rules refuse as a genesis, saying why', () => {
    expect(() => new BlockTree(genesis, seedRules({ target: 1n }))).toThrow(
      new RangeError('not a genesis block of this network: bad-pow'),
    );
  });

  it('records who sent each block (self by default) and walks the chain to any entry, root first', () => {
    const tree = new BlockTree(genesis, seedRules(easy));
    const a = child(genesis, 'a');
    const b = child(a, 'b');
    const side = child(genesis, 'side');
    tree.append(a, 0);
    tree.append(b, 0, { origin: '127.0.0.1:9000' });
    tree.append(side, 0);
    expect(tree.get(a.hashHex())!.origin).toBe('self');
    expect(tree.get(b.hashHex())!.origin).toBe('127.0.0.1:9000');
    expect(hashes(tree.chainTo(tree.get(b.hashHex())!))).toEqual([genesis, a, b].map((x) => x.hashHex()));
    expect(hashes(tree.chainTo(tree.get(side.hashHex())!))).toEqual([genesis, side].map((x) => x.hashHex()));
    expect(hashes(tree.chainTo(tree.root))).toEqual([genesis.hashHex()]);
  });

  it('appends children with increasing heights and links them to their parent', () => {
    const tree = new BlockTree(genesis, seedRules(easy));
    const a = child(genesis, 'a');
    const b = child(a, 'b');
    const verdictA = tree.append(a, 0);
    expect(verdictA).toMatchObject({ ok: true, headChanged: true });
    expect(tree.append(b, 0)).toMatchObject({ ok: true, headChanged: true });
    expect(tree.get(b.hashHex())?.height).toBe(2);
    expect(tree.root.children.map((c) => c.hash)).toEqual([a.hashHex()]);
    expect(hashes(tree.mainChain())).toEqual([genesis, a, b].map((x) => x.hashHex()));
  });

  it('refuses an unknown parent, a duplicate, a second genesis and bad work, each with its reason', () => {
    // The root must meet the target too: the first nonce that does (1 in 64 do).
    let root = genesis;
    for (let n = 0n; !root.verifyProofOfWork(1n << 250n); n++) root = genesis.withNonce(n);
    const tree = new BlockTree(root, seedRules({ target: 1n << 250n }));
    const orphan = new Block('orphan', new Uint8Array(32).fill(7));
    expect(tree.append(orphan, 0)).toEqual({ ok: false, reason: 'unknown-parent', hash: orphan.hashHex() });
    expect(tree.append(root, 0)).toMatchObject({ ok: false, reason: 'duplicate' });
    expect(tree.append(new Block('Genesis 2'), 0)).toMatchObject({ ok: false, reason: 'second-genesis' });
    // Find a nonce that fails 2^250 (most do) and one that meets it (1 in 64).
    const template = child(root, 'work');
    let bad = template;
    for (let n = 0n; bad.verifyProofOfWork(1n << 250n); n++) bad = template.withNonce(n);
    expect(tree.append(bad, 0)).toMatchObject({ ok: false, reason: 'bad-pow' });
    let good = template;
    for (let n = 0n; !good.verifyProofOfWork(1n << 250n); n++) good = template.withNonce(n);
    expect(tree.append(good, 0)).toMatchObject({ ok: true });
    expect(tree.append(good, 0)).toMatchObject({ ok: false, reason: 'duplicate' });
    expect(tree.size).toBe(2);
  });

  it('keeps both branches of a fork and moves the head to the longer one', () => {
    const tree = new BlockTree(genesis, seedRules({ ...easy, tieBreak: 'first-seen' }));
    const a1 = child(genesis, 'a1');
    const b1 = child(genesis, 'b1');
    const b2 = child(b1, 'b2');
    tree.append(a1, 0);
    expect(tree.append(b1, 0)).toMatchObject({ ok: true, headChanged: false });
    expect(tree.head.hash).toBe(a1.hashHex());
    expect(tree.append(b2, 0)).toMatchObject({ ok: true, headChanged: true });
    expect(hashes(tree.mainChain())).toEqual([genesis, b1, b2].map((x) => x.hashHex()));
    expect(tree.root.children).toHaveLength(2);
    expect(tree.has(a1.hashHex())).toBe(true);
  });

  it('lets a heavier branch overtake the main chain from far behind', () => {
    const tree = new BlockTree(genesis, seedRules({ ...easy, tieBreak: 'first-seen' }));
    let main = genesis;
    for (let i = 0; i < 5; i++) tree.append((main = child(main, `main ${i}`)), 0);
    let side = child(genesis, 'side 0');
    tree.append(side, 0);
    for (let i = 1; i < 5; i++) tree.append((side = child(side, `side ${i}`)), 0);
    expect(tree.head.hash).toBe(main.hashHex());
    tree.append((side = child(side, 'side 5')), 0);
    expect(tree.head.hash).toBe(side.hashHex());
    expect(tree.head.height).toBe(6);
  });

  it('under first-seen, keeps the current head on a tie', () => {
    const tree = new BlockTree(genesis, seedRules({ ...easy, tieBreak: 'first-seen', coinFlip: () => true }));
    const a = child(genesis, 'a');
    tree.append(a, 0);
    expect(tree.append(child(genesis, 'b'), 0)).toMatchObject({ ok: true, headChanged: false });
    expect(tree.head.hash).toBe(a.hashHex());
  });

  it("under the seed's random rule, takes the newcomer on a tie exactly when the coin says so", () => {
    for (const flip of [true, false]) {
      const tree = new BlockTree(genesis, seedRules({ ...easy, coinFlip: () => flip }));
      const a = child(genesis, 'a');
      const b = child(genesis, 'b');
      tree.append(a, 0);
      expect(tree.append(b, 0)).toMatchObject({ ok: true, headChanged: flip });
      expect(tree.head.hash).toBe((flip ? b : a).hashHex());
    }
  });

  it('under the random rule, flips the coin only on ties, and picks each side about half the time', () => {
    let flips = 0;
    const coinFlip = (): boolean => flips++ % 2 === 0;
    const tree = new BlockTree(genesis, seedRules({ ...easy, coinFlip }));
    const a = child(genesis, 'a');
    tree.append(a, 0);
    tree.append(child(a, 'a2'), 0);
    expect(flips).toBe(0);
    let wins = 0;
    for (let i = 0; i < 10; i++) {
      const previous = tree.head;
      if (tree.append(child(a, `tie ${i}`), 0).ok && tree.head !== previous) wins++;
    }
    expect(flips).toBe(10);
    expect(wins).toBe(5);
  });

  it('walks and renders a 100,000-block chain without overflowing the stack', () => {
    const tree = new BlockTree(genesis, seedRules(easy));
    let tip = genesis;
    for (let i = 0; i < 100_000; i++) tree.append((tip = child(tip, `b${i}`)), 0);
    const chain = tree.mainChain();
    expect(chain).toHaveLength(100_001);
    expect(chain[0]).toBe(tree.root);
    expect(chain[100_000]!.hash).toBe(tip.hashHex());
    const text = renderTree(tree);
    expect(text.split('\n').length).toBeLessThan(10);
    expect(text).toContain('99995 blocks');
    expect(renderTree(tree, { foldAfter: Infinity }).split('\n')).toHaveLength(100_001);
  });
});

describe('tree view', () => {
  it('draws the main chain down the left edge and forks indented under the block they fork from', () => {
    const tree = new BlockTree(genesis, seedRules({ ...easy, tieBreak: 'first-seen' }));
    const a1 = child(genesis, 'a1');
    const a2 = child(a1, 'a2');
    const f2 = child(a1, 'fork2');
    const f3 = child(f2, 'fork3');
    const a3 = child(a2, 'a3');
    for (const block of [a1, a2, a3, f2, f3]) tree.append(block, 0);
    const lines = renderTree(tree).split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(/^● 0 {2}Genesis .* root$/);
    expect(lines[1]).toMatch(/^● 1 {2}a1 /);
    expect(lines[2]).toMatch(/^├── ○ 2 {2}fork2 /);
    expect(lines[3]).toMatch(/^│ {3}○ 3 {2}fork3 /);
    expect(lines[4]).toMatch(/^● 2 {2}a2 /);
    expect(lines[5]).toMatch(/^● 3 {2}a3 .* head$/);
    expect(lines[5]).toContain(a3.hashHex().slice(0, 8));
  });

  it('shows binary data as hex and cuts lines to the given width', () => {
    const tree = new BlockTree(genesis, seedRules(easy));
    tree.append(new Block(new Uint8Array([0, 1, 2, 255]), genesis), 0);
    const text = renderTree(tree, { width: 30 });
    expect(text).toContain('0x000102ff (4 bytes)'.slice(0, 10));
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(30);
  });
});
