/**
 * Re-validating a stored chain: the one place that picks the rules a log's blocks are
 * checked against. The log's header says the network; the genesis (its first record) gives
 * the rules: for the seed network under the header's target, for powchain its parameters.
 */
import { type RestoredTree, restoreTree } from '../consensus/block-tree.js';
import { type NetworkConfig, rulesForGenesis } from '../consensus/rules/index.js';
import type { NetworkRules, RefusalReason } from '../consensus/rules/rules.js';
import type { Block } from '../primitives/block.js';
import { isParamsRecord } from '../primitives/params.js';
import type { LogNetwork } from './log-format.js';

/**
 * Rebuilds the tree from a log's blocks under the rules their genesis and the header choose
 * (every block re-validated, see restoreTree); the seed network's target is the header's.
 * `pruneDepth`: undefined for the network's default, 'off' to keep every side branch.
 */
export function restoreChain(
  network: LogNetwork,
  blocks: readonly Block[],
  config: NetworkConfig = { seed: { tieBreak: 'first-seen' } },
  pruneDepth?: number | 'off',
): RestoredTree & { rules?: NetworkRules } {
  const genesis = blocks[0]!;
  const genesisNetwork = isParamsRecord(genesis.data) ? 'powchain' : 'seed';
  const refused = (reason: RefusalReason, detail?: string): RestoredTree => ({
    tree: undefined,
    restored: 0,
    refusal: { index: 0, reason, ...(detail ? { detail } : {}) },
    dropped: [],
  });
  if (genesisNetwork !== network.network) {
    return refused('bad-genesis', `the log says ${network.network}, its genesis starts ${genesisNetwork}`);
  }
  const seed = network.network === 'seed' ? { ...config.seed, target: network.target } : config.seed;
  const chosen = rulesForGenesis(genesis, { ...config, seed });
  if (!chosen.ok) return refused(chosen.reason, chosen.detail);
  const depth = pruneDepth === 'off' ? undefined : (pruneDepth ?? chosen.rules.defaultPruneDepth);
  return { ...restoreTree(blocks, chosen.rules, {}, depth), rules: chosen.rules };
}
