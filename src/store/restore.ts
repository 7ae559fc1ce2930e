/**
 * Re-validating a stored chain: the one place that picks the rules a log's blocks are
 * checked against. Today restoreTree's rules (every parent known, proof of work against one
 * target): the seed network's target comes from the header; a powchain network's parameters
 * live in its genesis block, which restoreTree cannot read yet, so its work is not checked.
 */
import { type RestoredTree, type TieBreak, restoreTree } from '../consensus/block-tree.js';
import type { Block } from '../primitives/block.js';
import { MAX_TARGET } from '../primitives/limits.js';
import type { LogNetwork } from './log-format.js';

/** Whether restoreChain checks the proof of work of `network`'s blocks. */
export function checksProofOfWork(network: LogNetwork): boolean {
  return network.network === 'seed';
}

/** Rebuilds the tree from a log's blocks under `network`'s rules (see restoreTree). */
export function restoreChain(
  network: LogNetwork,
  blocks: readonly Block[],
  tieBreak: TieBreak = 'first-seen',
): RestoredTree | undefined {
  const target = network.network === 'seed' ? network.target : MAX_TARGET;
  return restoreTree(blocks, { target, tieBreak });
}
