/**
 * Re-validating a stored chain (src/store/restore.ts): the rules a log's blocks are checked
 * against come from its header and its genesis; a genesis of the other network is refused
 * with a reason; side branches are pruned at the depth asked for, the network's by default.
 */
import { describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { BlockTree } from '../src/consensus/block-tree.js';
import { DEFAULT_PRUNE_DEPTH, powchainRules } from '../src/consensus/rules/powchain.js';
import type { SeedRules } from '../src/consensus/rules/seed.js';
import { restoreChain } from '../src/store/restore.js';
import { mineBlock, powchainGenesis } from './helpers/powchain-chain.js';

const EASY = 1n << 250n;

/** A seed chain at the easy target: the genesis and `length` blocks. */
function seedChain(length: number): Block[] {
  const blocks = [mineBlock(new Block('seed genesis'), EASY)];
  for (let i = 1; i <= length; i++) blocks.push(mineBlock(new Block(`seed ${i}`, blocks[i - 1]!), EASY));
  return blocks;
}

/**
 * A powchain log: the genesis, a main chain of `length` blocks, and one side block on block
 * 1 (stored before the main chain's block 2).
 */
function powchainLogWithSideBlock(length: number): { blocks: Block[]; side: Block } {
  const { genesis, params } = powchainGenesis({ genesisTimeMs: 1_700_000_000_000 });
  const tree = new BlockTree(genesis, powchainRules(params, genesis.hashHex()));
  const mine = (tag: string): Block => {
    const parent = tree.head;
    const { data, target } = tree.rules.template(parent, parent.facts.time! + params.blockIntervalMs, tag);
    return mineBlock(new Block(data, parent.block), target);
  };
  const blocks = [genesis];
  let side: Block | undefined;
  for (let i = 1; i <= length; i++) {
    if (i === 2) side = mine('side');
    const block = mine(`main ${i}`);
    tree.append(block, Number.MAX_SAFE_INTEGER);
    blocks.push(block);
    if (side && i === 2) blocks.push(side);
  }
  return { blocks, side: side! };
}

describe('restoring a stored chain', () => {
  it("checks a seed log's blocks at its header's target, keeping the first block seen on a tie", () => {
    const blocks = seedChain(3);
    const restored = restoreChain({ network: 'seed', target: EASY }, blocks);
    expect(restored.refusal).toBeUndefined();
    expect(restored.restored).toBe(4);
    expect(restored.tree?.head.hash).toBe(blocks[3]!.hashHex());
    const rules = restored.rules as SeedRules;
    expect(rules.network).toBe('seed');
    expect(rules.tieBreak).toBe('first-seen');
    expect(rules.nextTarget(restored.tree!.head)).toBe(EASY);
    // Under a harder header target the genesis itself fails.
    expect(blocks[0]!.verifyProofOfWork(EASY >> 20n)).toBe(false);
    const hard = restoreChain({ network: 'seed', target: EASY >> 20n }, blocks);
    expect(hard.tree).toBeUndefined();
    expect(hard.refusal).toStrictEqual({ index: 0, reason: 'bad-pow' });
  });

  it('refuses a genesis of the other network than the header says, saying both', () => {
    const seed = seedChain(1);
    expect(restoreChain({ network: 'powchain' }, seed)).toStrictEqual({
      tree: undefined,
      restored: 0,
      refusal: { index: 0, reason: 'bad-genesis', detail: 'the log says powchain, its genesis starts seed' },
      dropped: [],
    });
    const { blocks } = powchainLogWithSideBlock(1);
    expect(restoreChain({ network: 'seed', target: EASY }, blocks).refusal).toStrictEqual({
      index: 0,
      reason: 'bad-genesis',
      detail: 'the log says seed, its genesis starts powchain',
    });
  });

  it('prunes side branches at the depth asked for, the network default, or not at all', () => {
    const { blocks, side } = powchainLogWithSideBlock(5);
    // The side block forks at height 1, four blocks below the head.
    const pruned = restoreChain({ network: 'powchain' }, blocks, undefined, 3);
    expect(pruned.refusal).toBeUndefined();
    expect(pruned.dropped.map((entry) => entry.hash)).toEqual([side.hashHex()]);
    expect(pruned.tree?.has(side.hashHex())).toBe(false);
    expect(restoreChain({ network: 'powchain' }, blocks, undefined, 4).dropped).toEqual([]);
    const byDefault = restoreChain({ network: 'powchain' }, blocks);
    expect(byDefault.rules?.defaultPruneDepth).toBe(DEFAULT_PRUNE_DEPTH);
    expect(byDefault.dropped).toEqual([]);
    expect(byDefault.tree?.has(side.hashHex())).toBe(true);
    expect(restoreChain({ network: 'powchain' }, blocks, undefined, 'off').tree?.has(side.hashHex())).toBe(true);
  });
});
