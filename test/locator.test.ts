import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { MAX_TARGET } from '../src/primitives/limits.js';
import { BlockTree, type TreeEntry } from '../src/consensus/block-tree.js';
import { seedRules } from '../src/consensus/rules/seed.js';
import { blocksAfterLocator, buildLocator } from '../src/consensus/locator.js';

// Every hash is valid work at the largest target; 'first-seen' keeps the head deterministic.
const genesis = new Block('Genesis');
const newTree = (): BlockTree => new BlockTree(genesis, seedRules({ target: MAX_TARGET, tieBreak: 'first-seen' }));

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

function chainTree(length: number): BlockTree {
  const tree = newTree();
  extend(tree, genesis, length, 'b');
  return tree;
}

const heightsOf = (tree: BlockTree, locator: string[]): number[] => locator.map((hash) => tree.get(hash)!.height);
const hashesOf = (entries: readonly TreeEntry[]): string[] => entries.map((entry) => entry.hash);

describe('buildLocator', () => {
  it('is just the root for a tree of one block, and every block for a short chain', () => {
    expect(buildLocator(chainTree(0))).toEqual([genesis.hashHex()]);
    expect(heightsOf(chainTree(1), buildLocator(chainTree(1)))).toEqual([1, 0]);
    const tree = chainTree(10);
    expect(heightsOf(tree, buildLocator(tree))).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const eleven = chainTree(11);
    expect(heightsOf(eleven, buildLocator(eleven))).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 0]);
  });

  it('names ten blocks back from the head one by one, then doubles the step each time, and ends at the root', () => {
    for (const length of [12, 50, 1_000, 5_000]) {
      const tree = chainTree(length);
      const heights = heightsOf(tree, buildLocator(tree));
      expect(heights.slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, i) => length - i));
      // After the tenth: gaps of 2, 4, 8, ... until the root is next.
      const gaps = heights.slice(9, -1).map((height, i) => height - heights[10 + i]!);
      gaps.pop(); // the last gap is to the root, whatever it is
      expect(gaps).toEqual(gaps.map((_, i) => 2 ** (i + 1)));
      expect(heights.at(-1)).toBe(0);
      expect(new Set(heights).size).toBe(heights.length);
      // Sparse: the locator reaches back past half the chain in a few dozen hashes.
      expect(heights.at(-2)!).toBeLessThan(length / 2 + 1);
    }
  });

  it('holds at most maxHashes hashes, the root always among them', () => {
    const tree = chainTree(1_000);
    expect(buildLocator(tree).length).toBeLessThanOrEqual(32);
    expect(heightsOf(tree, buildLocator(tree, 4))).toEqual([1000, 999, 998, 0]);
    expect(heightsOf(tree, buildLocator(tree, 2))).toEqual([1000, 0]);
    expect(heightsOf(tree, buildLocator(tree, 12))).toEqual([
      1000, 999, 998, 997, 996, 995, 994, 993, 992, 991, 989, 0,
    ]);
    // The default cap of 32 binds only past a chain of about 2^22 blocks (10 single steps, then
    // doubling ones): too long to build here; the caps above exercise the same rule.
  });

  it('names only main-chain blocks, never a side branch', () => {
    const tree = newTree();
    const shared = extend(tree, genesis, 30, 's');
    const main = extend(tree, shared.at(-1)!, 15, 'm');
    const side = extend(tree, shared.at(-1)!, 10, 'x');
    expect(tree.head.hash).toBe(main.at(-1)!.hashHex());
    const locator = buildLocator(tree);
    for (const hash of locator) expect(tree.isMain(tree.get(hash)!)).toBe(true);
    for (const block of side) expect(locator).not.toContain(block.hashHex());
    expect(locator[0]).toBe(tree.head.hash);
  });
});

describe('blocksAfterLocator', () => {
  const tree = chainTree(60);
  const main = tree.mainChain();
  const at = (height: number): string => main[height]!.hash;

  it('answers the main chain after the first locator hash found on it, oldest first, at most `limit`', () => {
    expect(hashesOf(blocksAfterLocator(tree, [at(40), at(10)], 500))).toEqual(hashesOf(main.slice(41)));
    expect(hashesOf(blocksAfterLocator(tree, [at(40), at(10)], 5))).toEqual(hashesOf(main.slice(41, 46)));
    expect(hashesOf(blocksAfterLocator(tree, ['ff'.repeat(32), at(10)], 3))).toEqual(hashesOf(main.slice(11, 14)));
    expect(blocksAfterLocator(tree, [at(60)], 500)).toEqual([]);
  });

  it('answers exactly `limit` blocks when more follow, and all that follow otherwise', () => {
    expect(blocksAfterLocator(tree, [at(0)], 1)).toHaveLength(1);
    expect(blocksAfterLocator(tree, [at(0)], 60)).toHaveLength(60);
    expect(blocksAfterLocator(tree, [at(0)], 61)).toHaveLength(60);
    expect(blocksAfterLocator(tree, [at(59)], 2).map((entry) => entry.height)).toEqual([60]);
  });

  it('starts from the root itself when no locator hash is known', () => {
    expect(hashesOf(blocksAfterLocator(tree, [], 3))).toEqual(hashesOf(main.slice(0, 3)));
    expect(hashesOf(blocksAfterLocator(tree, ['00'.repeat(32), 'ab'.repeat(32)], 2))).toEqual(
      hashesOf(main.slice(0, 2)),
    );
  });

  it('skips locator hashes that it knows only on a side branch', () => {
    const forked = newTree();
    const shared = extend(forked, genesis, 20, 's');
    const main = extend(forked, shared.at(-1)!, 8, 'm');
    const side = extend(forked, shared.at(-1)!, 5, 'x');
    // A peer on the side branch: its locator names side blocks first, then the shared ones.
    const answer = blocksAfterLocator(forked, [side.at(-1)!.hashHex(), side[0]!.hashHex(), shared[12]!.hashHex()], 500);
    expect(hashesOf(answer)).toEqual([...shared.slice(13), ...main].map((block) => block.hashHex()));
  });

  it('lets a peer catch up from its own locator, whatever the fork: exactly the blocks it lacks', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 60 }),
        (sharedLength, theirLength, ourLength) => {
          const ours = newTree();
          const theirs = newTree();
          let tip = genesis;
          for (let i = 0; i < sharedLength; i++) {
            tip = new Block(`shared${i}`, tip);
            ours.append(tip, 0);
            theirs.append(tip, 0);
          }
          extend(theirs, tip, theirLength, 'theirs');
          const ourBranch = extend(ours, tip, ourLength, 'ours');
          const answer = blocksAfterLocator(ours, buildLocator(theirs), 500);
          // Everything after the fork point, unless their locator skipped past it: then a few more.
          expect(answer.slice(-ourLength).map((entry) => entry.hash)).toEqual(ourBranch.map((b) => b.hashHex()));
          const forkHeight = answer[0]!.height - 1;
          expect(forkHeight).toBeLessThanOrEqual(sharedLength);
          expect(theirs.has(ours.mainChain()[Math.max(forkHeight, 0)]!.hash)).toBe(true);
          expect(sharedLength - forkHeight).toBeLessThanOrEqual(Math.max(1, (theirLength + sharedLength) / 2 + 1));
        },
      ),
      { numRuns: 40 },
    );
  });
});
