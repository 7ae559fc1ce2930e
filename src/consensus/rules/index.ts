/**
 * Which rules a chain runs, decided by its genesis block (docs/networks.md): a genesis whose
 * data is a powchain parameters record starts a `powchain` network; any other starts a
 * `seed` network under the node's own settings (target, tie-break). A node may pin the one
 * genesis it accepts by its hash. As the tutorial's miner does, a seed node that joins late
 * may root its chain at the first block it hears of, whatever its parent.
 */
import type { Block } from '../../primitives/block.js';
import type { NetworkRules, Refusal } from './rules.js';
import { powchainParamsOf, powchainRules } from './powchain.js';
import { type SeedRulesOptions, seedRules } from './seed.js';

export interface NetworkConfig {
  /** The seed network's settings, for a genesis that starts one. */
  seed: SeedRulesOptions;
  /** When set, only the genesis with this hash (lower-case hex) is accepted. */
  genesisHash?: string;
}

/** The rules of the network `genesis` starts, or why this node refuses that genesis. */
export function rulesForGenesis(genesis: Block, config: NetworkConfig): { ok: true; rules: NetworkRules } | Refusal {
  if (config.genesisHash !== undefined && genesis.hashHex() !== config.genesisHash) {
    return {
      ok: false,
      reason: 'bad-genesis',
      detail: `not the genesis ${config.genesisHash.slice(0, 16)}… this node was told to follow`,
    };
  }
  const powchain = powchainParamsOf(genesis);
  if (powchain && !powchain.ok) return { ok: false, reason: 'bad-genesis', detail: powchain.reason };
  const rules = powchain ? powchainRules(powchain.params, genesis.hashHex()) : seedRules(config.seed);
  const checked = rules.checkGenesis(genesis);
  return checked.ok ? { ok: true, rules } : checked;
}
