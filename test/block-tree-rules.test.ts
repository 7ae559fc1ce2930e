import { afterEach, describe, expect, it, vi } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { MAX_TARGET } from '../src/primitives/limits.js';
import { DEFAULT_TARGET } from '../src/primitives/target.js';
import { BlockTree, restoreTree } from '../src/consensus/block-tree.js';
import { type SeedRulesOptions, seedRules } from '../src/consensus/rules/seed.js';

// Every hash is valid work at the largest target, so these tests exercise the tree's rules alone.
const genesis = new Block('Genesis');
const easy = { target: MAX_TARGET };

function extend(tree: BlockTree, from: Block, length: number, label: string): Block[] {
  const blocks: Block[] = [];
  let tip = from;
  for (let i = 0; i < length; i++) {
    tip = new Block(`${label}${i}`, tip);
    expect(tree.append(tip, 0).ok).toBe(true);
    blocks.push(tip);
  }
  return blocks;
}

/** A tree whose coin always says "take the newcomer", counting its flips. */
function alwaysFlipping(options: SeedRulesOptions = {}) {
  const coin = { flips: 0 };
  const tree = new BlockTree(
    genesis,
    seedRules({
      ...easy,
      coinFlip: () => {
        coin.flips++;
        return true;
      },
      ...options,
    }),
  );
  return { tree, coin };
}

describe('the tie rule (seedRules)', () => {
  it('never makes a block on a shorter branch the head, whatever the coin says', () => {
    const { tree, coin } = alwaysFlipping();
    const main = extend(tree, genesis, 3, 'main');
    for (const [parent, label] of [
      [genesis, 'short1'],
      [main[0]!, 'short2'],
    ] as const) {
      const block = new Block(label, parent);
      expect(tree.append(block, 0)).toMatchObject({ ok: true, headChanged: false });
      expect(tree.head.hash).toBe(main[2]!.hashHex());
    }
    expect(coin.flips).toBe(0);
  });

  it('flips the coin only for a block at the head height, and takes it when the coin says so', () => {
    const { tree, coin } = alwaysFlipping();
    const main = extend(tree, genesis, 3, 'main');
    expect(coin.flips).toBe(0);
    const rival = new Block('rival', main[1]!);
    expect(tree.append(rival, 0)).toMatchObject({ ok: true, headChanged: true });
    expect(coin.flips).toBe(1);
    expect(tree.head.hash).toBe(rival.hashHex());
    expect(tree.head.height).toBe(3);
  });

  it('under first-seen, neither flips the coin nor changes the head on a tie', () => {
    const { tree, coin } = alwaysFlipping({ tieBreak: 'first-seen' });
    const [a] = extend(tree, genesis, 1, 'a');
    expect(tree.append(new Block('b', genesis), 0)).toMatchObject({ ok: true, headChanged: false });
    expect(tree.head.hash).toBe(a!.hashHex());
    expect(coin.flips).toBe(0);
  });

  it('takes a longer branch whatever the coin says, and reports the change', () => {
    const tree = new BlockTree(genesis, seedRules({ ...easy, coinFlip: () => false }));
    extend(tree, genesis, 2, 'main');
    const side = extend(tree, genesis, 2, 'side');
    expect(tree.head.hash).not.toBe(side[1]!.hashHex());
    const overtaking = new Block('side-overtakes', side[1]!);
    expect(tree.append(overtaking, 0)).toMatchObject({ ok: true, headChanged: true, entry: { height: 3 } });
    expect(tree.head.hash).toBe(overtaking.hashHex());
  });
});

describe("the seed's default coin", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('takes the newcomer on a tie when Math.random() is below 1/2, and keeps the head from 1/2 up', () => {
    for (const [random, takesNewcomer] of [
      [0, true],
      [0.4999, true],
      [0.5, false],
      [0.99, false],
    ] as const) {
      const tree = new BlockTree(genesis, seedRules(easy));
      const [a] = extend(tree, genesis, 1, 'a');
      const b = new Block('b', genesis);
      const spy = vi.spyOn(Math, 'random').mockReturnValue(random);
      expect(tree.append(b, 0)).toMatchObject({ ok: true, headChanged: takesNewcomer });
      expect(spy).toHaveBeenCalledTimes(1);
      expect(tree.head.hash).toBe((takesNewcomer ? b : a!).hashHex());
      spy.mockRestore();
    }
  });
});

describe('defaults and lookups', () => {
  it("defaults to the seed's target and its random tie-break", () => {
    const rules = seedRules();
    expect(rules.target).toBe(DEFAULT_TARGET);
    expect(rules.tieBreak).toBe('random');
    expect(rules.nextTarget(new BlockTree(genesis, seedRules(easy)).root)).toBe(DEFAULT_TARGET);
  });

  it('finds entries by hash in either case, and only those it has', () => {
    const tree = new BlockTree(genesis, seedRules(easy));
    const [a] = extend(tree, genesis, 1, 'a');
    expect(tree.get(a!.hashHex().toUpperCase())?.block).toBe(a);
    expect(tree.has(a!.hashHex().toUpperCase())).toBe(true);
    expect(tree.has('00'.repeat(32))).toBe(false);
    expect(tree.get('00'.repeat(32))).toBeUndefined();
    expect(tree.size).toBe(2);
  });

  it('check() answers as append() would, without changing anything', () => {
    const tree = new BlockTree(genesis, seedRules(easy));
    const a = new Block('a', genesis);
    expect(tree.check(a, 0)).toEqual({ ok: true, parent: tree.root, facts: tree.root.facts });
    expect(tree.size).toBe(1);
    expect(tree.has(a.hashHex())).toBe(false);
    expect(tree.check(genesis, 0)).toEqual({ ok: false, reason: 'duplicate' });
    expect(tree.check(new Block('other genesis'), 0)).toEqual({ ok: false, reason: 'second-genesis' });
    expect(tree.check(new Block('lost', new Uint8Array(32).fill(1)), 0)).toEqual({
      ok: false,
      reason: 'unknown-parent',
    });
  });

  it('walks any tip back to the root, and lists every entry parents first', () => {
    const tree = new BlockTree(genesis, seedRules({ ...easy, tieBreak: 'first-seen' }));
    const main = extend(tree, genesis, 3, 'main');
    const side = extend(tree, main[0]!, 1, 'side');
    const sideEntry = tree.get(side[0]!.hashHex())!;
    expect(tree.chainTo(sideEntry).map((entry) => entry.block)).toEqual([genesis, main[0], side[0]]);
    expect(tree.mainChain().map((entry) => entry.block)).toEqual([genesis, ...main]);
    expect([...tree.entries()].filter((entry) => tree.isMain(entry))).toHaveLength(4);
    expect(tree.isMain(sideEntry)).toBe(false);
    expect(tree.mainAt(2)?.block).toBe(main[1]);
    expect(tree.mainAt(4)).toBeUndefined();
    expect([...tree.entries()].map((entry) => entry.block)).toEqual([genesis, ...main, ...side]);
    expect(sideEntry).toMatchObject({ height: 2, parent: tree.get(main[0]!.hashHex()), children: [] });
  });
});

describe('restoreTree', () => {
  it('rebuilds a tree from blocks in acceptance order, root first', () => {
    const rules = seedRules({ ...easy, tieBreak: 'first-seen' });
    const source = new BlockTree(genesis, rules);
    const main = extend(source, genesis, 3, 'main');
    const side = extend(source, main[0]!, 2, 'side');
    const restored = restoreTree([genesis, ...main, ...side], rules);
    expect(restored.restored).toBe(6);
    expect(restored.refusal).toBeUndefined();
    expect(restored.dropped).toEqual([]);
    expect(restored.tree?.size).toBe(6);
    expect(restored.tree?.head.hash).toBe(main[2]!.hashHex());
    expect(restored.tree?.head.origin).toBe('disk');
  });

  it('stops at the first block refused, keeping what came before and saying why', () => {
    const rules = seedRules(easy);
    const a = new Block('a', genesis);
    const blocksAfterA = new Block('b', a);
    const lost = new Block('lost', new Uint8Array(32).fill(9));
    const restored = restoreTree([genesis, a, lost, blocksAfterA], rules);
    expect(restored.restored).toBe(2);
    expect(restored.refusal).toEqual({ index: 2, reason: 'unknown-parent' });
    expect(restored.tree?.size).toBe(2);
    expect(restored.tree?.has(blocksAfterA.hashHex())).toBe(false);
    expect(restoreTree([genesis, a, a], rules).refusal).toEqual({ index: 2, reason: 'duplicate' });
    expect(restoreTree([genesis, new Block('g2')], rules)).toMatchObject({
      restored: 1,
      refusal: { index: 1, reason: 'second-genesis' },
    });
  });

  it('refuses a block whose work does not meet the target', () => {
    const target = 2n ** 252n; // one hash in 16 meets it
    let root = genesis;
    for (let nonce = 0n; !root.verifyProofOfWork(target); nonce++) root = genesis.withNonce(nonce);
    let weak = new Block('weak', root);
    for (let nonce = 0n; weak.verifyProofOfWork(target); nonce++) weak = weak.withNonce(nonce);
    expect(restoreTree([root, weak], seedRules({ target }))).toMatchObject({
      restored: 1,
      refusal: { index: 1, reason: 'bad-pow' },
    });
  });

  it('refuses no blocks as a programming error, and a root without valid work (at the default target too) with no tree', () => {
    expect(() => restoreTree([], seedRules(easy))).toThrow(RangeError);
    const noTree = { tree: undefined, restored: 0, refusal: { index: 0, reason: 'bad-pow' }, dropped: [] };
    expect(restoreTree([genesis], seedRules({ target: 0n }))).toEqual(noTree);
    expect(genesis.verifyProofOfWork(DEFAULT_TARGET)).toBe(false);
    expect(restoreTree([genesis], seedRules())).toEqual(noTree);
    expect(restoreTree([genesis], seedRules(easy))).toMatchObject({ restored: 1 });
  });
});
