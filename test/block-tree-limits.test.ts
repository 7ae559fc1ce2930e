import { describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { MAX_TARGET } from '../src/primitives/limits.js';
import {
  BlockTree,
  DEFAULT_TREE_LIMITS,
  type TreeEntry,
  type TreeLimits,
  restoreTree,
} from '../src/consensus/block-tree.js';
import { seedRules } from '../src/consensus/rules/seed.js';

// Every hash is valid work at the largest target; first-seen keeps the head deterministic. Under
// the seed's rules every block has the same work, so a branch's chain work is its height.
const rules = seedRules({ target: MAX_TARGET, tieBreak: 'first-seen' });
const genesis = new Block('Genesis');
const newTree = (limits: TreeLimits = {}): BlockTree => new BlockTree(genesis, rules, limits);

/** `length` blocks on `from`, each with `bytes` bytes of data (distinct by label). */
function extend(tree: BlockTree, from: Block, length: number, label: string, bytes?: number): Block[] {
  const blocks: Block[] = [];
  let tip = from;
  for (let i = 0; i < length; i++) {
    const data = bytes === undefined ? `${label}${i}` : new TextEncoder().encode(`${label}${i}`.padEnd(bytes, '.'));
    tip = new Block(data, tip);
    const verdict = tree.append(tip, 0);
    if (!verdict.ok) throw new Error(`${label}${i} refused: ${verdict.reason}`);
    blocks.push(tip);
  }
  return blocks;
}

const hashes = (entries: readonly TreeEntry[]): string[] => entries.map((entry) => entry.hash).sort();
const hashesOf = (blocks: readonly Block[]): string[] => blocks.map((block) => block.hashHex()).sort();

describe('the fork depth limit (too-deep)', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_TREE_LIMITS).toEqual({ maxForkDepth: 100, maxSideBytes: 16 * 1024 * 1024, maxSideBlocks: 4_096 });
    expect(newTree().limits).toEqual(DEFAULT_TREE_LIMITS);
    expect(newTree({ maxForkDepth: 3 }).limits).toEqual({ ...DEFAULT_TREE_LIMITS, maxForkDepth: 3 });
  });

  it('takes a fork exactly maxForkDepth below the head, and refuses one a block deeper, with its reason', () => {
    const tree = newTree({ maxForkDepth: 3 });
    const main = extend(tree, genesis, 10, 'm'); // main[i] is at height i + 1
    const atLimit = new Block('at limit', main[6]!); // forks at height 7 = 10 - 3
    const tooDeep = new Block('too deep', main[5]!); // forks at height 6
    const refusal = { ok: false, reason: 'too-deep', detail: 'forks at height 6, more than 3 below the head' };
    expect(tree.check(tooDeep, 0)).toEqual(refusal);
    expect(tree.append(tooDeep, 0)).toEqual({ ...refusal, hash: tooDeep.hashHex() });
    expect(tree.append(atLimit, 0)).toMatchObject({ ok: true, headChanged: false, evicted: [] });
    expect(tree.size).toBe(12);
    // A block this node stored before is taken whatever its depth.
    expect(tree.append(tooDeep, 0, { restoring: true })).toMatchObject({ ok: true, entry: { height: 7 } });
  });

  it('measures the depth at the fork point, not at the parent: a branch stops growing once its fork is too deep', () => {
    const tree = newTree({ maxForkDepth: 3 });
    const main = extend(tree, genesis, 5, 'm');
    const side = extend(tree, main[1]!, 2, 's'); // forks at height 2 = 5 - 3
    expect(tree.append(new Block('s2', side[1]!), 0)).toMatchObject({ ok: true });
    extend(tree, main[4]!, 1, 'm5'); // head at 6: the fork at 2 is now 4 below it
    const grow = new Block('s3', side[1]!);
    expect(tree.append(grow, 0)).toMatchObject({
      ok: false,
      reason: 'too-deep',
      detail: 'forks at height 2, more than 3 below the head',
    });
  });
});

describe('the side budget (side-budget)', () => {
  it('refuses a side block when the side branches are full and none forks lower than it', () => {
    const tree = newTree({ maxSideBlocks: 2 });
    const main = extend(tree, genesis, 10, 'm');
    const side = extend(tree, main[3]!, 2, 's'); // forks at 4: side blocks at heights 5 and 6
    expect(tree.side).toEqual({ blocks: 2, bytes: 4 });
    const grow = new Block('s2', side[1]!);
    const refusal = {
      ok: false,
      reason: 'side-budget',
      detail: 'side branches hold 2 blocks (4 bytes) and none forks lower',
    };
    expect(tree.check(grow, 0)).toEqual(refusal);
    expect(tree.append(grow, 0)).toEqual({ ...refusal, hash: grow.hashHex() });
    // Forking at the same height or lower does not make room either.
    expect(tree.append(new Block('same fork', main[3]!), 0)).toMatchObject({ reason: 'side-budget' });
    expect(tree.append(new Block('lower', main[1]!), 0)).toMatchObject({ reason: 'side-budget' });
    expect(tree.side).toEqual({ blocks: 2, bytes: 4 });
    // Restoring takes it; the budget is enforced afterwards.
    expect(tree.append(grow, 0, { restoring: true })).toMatchObject({ ok: true, evicted: [] });
    expect(tree.side).toEqual({ blocks: 3, bytes: 6 });
    expect(hashes(tree.enforceSideBudget())).toEqual(hashesOf([...side, grow]));
    expect(tree.side).toEqual({ blocks: 0, bytes: 0 });
    expect(tree.enforceSideBudget()).toEqual([]);
  });

  it('takes a side block forking higher than a full budget allows by evicting the lowest forks, whole', () => {
    const tree = newTree({ maxSideBlocks: 3 });
    const main = extend(tree, genesis, 10, 'm');
    const lowest = extend(tree, main[1]!, 2, 'low'); // forks at 2
    const higher = extend(tree, main[3]!, 1, 'high'); // forks at 4
    expect(tree.side.blocks).toBe(3);
    const newcomer = new Block('new', main[5]!); // forks at 6
    const verdict = tree.append(newcomer, 0);
    expect(verdict.ok).toBe(true);
    expect(verdict.ok && hashes(verdict.evicted)).toEqual(hashesOf(lowest));
    expect(tree.has(lowest[0]!.hashHex())).toBe(false);
    expect(tree.has(higher[0]!.hashHex())).toBe(true);
    expect(tree.get(main[1]!.hashHex())!.children.map((child) => child.hash)).toEqual([main[2]!.hashHex()]);
    expect(tree.side.blocks).toBe(2);
    // Evicting only as much as needed: one more fits; the next pushes out the branch at 4 only.
    expect(tree.append(new Block('new2', main[5]!), 0)).toMatchObject({ ok: true, evicted: [] });
    const next = tree.append(new Block('new3', main[5]!), 0);
    expect(next.ok && hashes(next.evicted)).toEqual(hashesOf(higher));
    expect(tree.side.blocks).toBe(3);
  });

  it('counts side bytes against maxSideBytes at the edge: exactly full is taken, one byte more is refused', () => {
    const tree = newTree({ maxSideBytes: 30 });
    const main = extend(tree, genesis, 10, 'm');
    extend(tree, main[3]!, 2, 's', 10);
    expect(tree.append(new Block(new Uint8Array(11), main[3]!), 0)).toMatchObject({ reason: 'side-budget' });
    expect(tree.append(new Block(new Uint8Array(10), main[3]!), 0)).toMatchObject({ ok: true, evicted: [] });
    expect(tree.side).toEqual({ blocks: 3, bytes: 30 });
    expect(tree.append(new Block(new Uint8Array(0), main[3]!), 0)).toMatchObject({ ok: true, evicted: [] });
  });

  it('counts side blocks against maxSideBlocks at the edge', () => {
    const tree = newTree({ maxSideBlocks: 3 });
    const main = extend(tree, genesis, 10, 'm');
    extend(tree, main[3]!, 3, 's');
    expect(tree.side.blocks).toBe(3);
    expect(tree.append(new Block('one more', main[3]!), 0)).toMatchObject({ reason: 'side-budget' });
  });

  it('never refuses a block with as much work as the head, and evicts other branches to keep it', () => {
    const tree = newTree({ maxSideBlocks: 1 });
    const main = extend(tree, genesis, 3, 'm');
    const [low] = extend(tree, main[0]!, 1, 'low'); // forks at 1
    const tie = new Block('tie', main[1]!); // height 3, as much work as the head: first seen stays head
    const verdict = tree.append(tie, 0);
    expect(verdict).toMatchObject({ ok: true, headChanged: false });
    expect(verdict.ok && hashes(verdict.evicted)).toEqual(hashesOf([low!]));
    expect(tree.head.hash).toBe(main[2]!.hashHex());
    // And on the head itself: it becomes the head.
    expect(tree.append(new Block('on head', main[2]!), 0)).toMatchObject({ ok: true, headChanged: true });
  });
});

describe('the side budget: what it never refuses or evicts', () => {
  it('never counts a block on the head against the side budget, however large', () => {
    const tree = newTree({ maxSideBytes: 10 });
    const main = extend(tree, genesis, 3, 'm');
    extend(tree, main[1]!, 1, 's', 10); // the side bytes are full
    const big = new Block(new Uint8Array(11), main[2]!);
    expect(tree.append(big, 0)).toMatchObject({ ok: true, headChanged: true, evicted: [] });
    expect(tree.side).toEqual({ blocks: 1, bytes: 10 });
  });

  it('takes a tie with the head deep in the lowest branch, and evicts the other branches, not its own', () => {
    const tree = newTree({ maxSideBlocks: 4 });
    const main = extend(tree, genesis, 5, 'm'); // head at height 5
    const low = extend(tree, main[0]!, 3, 'low'); // forks at 1: heights 2 to 4
    const high = extend(tree, main[2]!, 1, 'high'); // forks at 3
    expect(tree.side.blocks).toBe(4);
    // Height 5 on the lowest branch: as much work as the head, and no lower fork to make room.
    const tie = new Block('tie', low[2]!);
    const verdict = tree.append(tie, 0);
    expect(verdict).toMatchObject({ ok: true, headChanged: false });
    expect(verdict.ok && hashes(verdict.evicted)).toEqual(hashesOf(high));
    for (const block of [...low, tie]) expect(tree.has(block.hashHex())).toBe(true);
    expect(tree.side.blocks).toBe(4);
  });

  it('evicts the lowest fork first, whatever order the branches came in', () => {
    const tree = newTree({ maxSideBlocks: 2 });
    const main = extend(tree, genesis, 10, 'm');
    const higher = extend(tree, main[3]!, 1, 'high'); // forks at 4, arrives first
    const lower = extend(tree, main[1]!, 1, 'low'); // forks at 2
    const verdict = tree.append(new Block('new', main[5]!), 0);
    expect(verdict.ok && hashes(verdict.evicted)).toEqual(hashesOf(lower));
    expect(tree.has(higher[0]!.hashHex())).toBe(true);
  });
});

describe('side accounting through reorganisations', () => {
  it('moves blocks between the main chain and the side as the head moves', () => {
    const tree = newTree();
    const a = extend(tree, genesis, 2, 'a', 5);
    const b = extend(tree, genesis, 2, 'b', 7);
    expect(tree.side).toEqual({ blocks: 2, bytes: 14 });
    const [b3] = extend(tree, b[1]!, 1, 'b3', 9);
    expect(tree.head.hash).toBe(b3!.hashHex());
    expect(tree.side).toEqual({ blocks: 2, bytes: 10 });
    expect(tree.mainChain().map((entry) => entry.block)).toEqual([genesis, ...b, b3]);
    expect(a.map((block) => tree.isMain(tree.get(block.hashHex())!))).toEqual([false, false]);
    // The old main branch is a side branch now: it can be pruned and evicted like any other.
    expect(hashes(tree.prune(0))).toEqual(hashesOf(a));
    expect(tree.side).toEqual({ blocks: 0, bytes: 0 });
  });

  it('after a reorganisation, branches off the new main chain are side roots and those off the old one are not', () => {
    const tree = newTree();
    const a = extend(tree, genesis, 3, 'a');
    const b = extend(tree, genesis, 2, 'b');
    const offB = extend(tree, b[0]!, 1, 'offB'); // forks from b1, a side block of a side branch
    expect(tree.side.blocks).toBe(3);
    extend(tree, b[1]!, 2, 'bb'); // b overtakes: a1..a3 leave, b1 b2 bb0 bb1 join
    expect(tree.side.blocks).toBe(4);
    // Pruning forks below height 2 drops a (forks at 0) and offB (forks at 1, off the new main chain).
    const removed = tree.prune(tree.head.height - 2);
    expect(hashes(removed)).toEqual(hashesOf([...a, ...offB]));
    expect(tree.side).toEqual({ blocks: 0, bytes: 0 });
  });
});

describe('prune', () => {
  it('drops every side branch forking more than depth below the head, keeps the one at the edge, and refuses such forks afterwards', () => {
    const tree = newTree();
    const main = extend(tree, genesis, 10, 'm');
    const deep = extend(tree, main[1]!, 2, 'deep'); // forks at 2
    const edge = extend(tree, main[4]!, 1, 'edge'); // forks at 5 = 10 - 5
    const above = extend(tree, main[6]!, 1, 'above'); // forks at 7
    const removed = tree.prune(5);
    expect(hashes(removed)).toEqual(hashesOf(deep));
    for (const block of deep) expect(tree.has(block.hashHex())).toBe(false);
    for (const block of [...edge, ...above]) expect(tree.has(block.hashHex())).toBe(true);
    expect(tree.side).toEqual({ blocks: 2, bytes: 11 });
    expect(tree.size).toBe(13);
    expect(tree.append(new Block('below the floor', main[3]!), 0)).toMatchObject({
      ok: false,
      reason: 'too-deep',
      detail: 'forks at height 4, more than 100 below the head',
    });
    expect(tree.append(new Block('at the floor', main[4]!), 0)).toMatchObject({ ok: true });
    // The floor never goes down again.
    expect(tree.prune(50)).toEqual([]);
    expect(tree.append(new Block('still below', main[3]!), 0)).toMatchObject({ reason: 'too-deep' });
    expect(tree.prune(0)).toHaveLength(3);
    expect(tree.side).toEqual({ blocks: 0, bytes: 0 });
  });
});

describe('restoreTree with limits and a prune depth', () => {
  it('replays every stored block, then prunes and evicts to fit, saying what it dropped', () => {
    const source = newTree();
    const main = extend(source, genesis, 10, 'm');
    const deep = extend(source, main[0]!, 1, 'deep'); // forks at 1
    const mid = extend(source, main[4]!, 2, 'mid'); // forks at 5
    const high = extend(source, main[7]!, 1, 'high'); // forks at 8
    const blocks = [genesis, ...main, ...deep, ...mid, ...high];
    const restored = restoreTree(blocks, rules, { maxSideBlocks: 1, maxForkDepth: 1 }, 8);
    expect(restored.restored).toBe(blocks.length);
    expect(restored.refusal).toBeUndefined();
    expect(hashes(restored.dropped)).toEqual(hashesOf([...deep, ...mid]));
    expect(restored.tree!.side.blocks).toBe(1);
    expect(restored.tree!.head.hash).toBe(main[9]!.hashHex());
    expect(restoreTree(blocks, rules).dropped).toEqual([]);
    expect(new Set([...restored.tree!.entries()].map((entry) => entry.origin))).toEqual(new Set(['disk']));
    expect(() => restoreTree([], rules)).toThrow(new RangeError('restoreTree needs at least the root block'));
    expect(hashes(restoreTree(blocks, rules, {}, 5).dropped)).toEqual(hashesOf(deep));
  });
});
