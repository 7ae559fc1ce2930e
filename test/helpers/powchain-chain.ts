/**
 * Valid powchain chains for tests: a genesis holding a parameters record at an easy initial
 * target (1 valid hash in 64 by default), and blocks built from the rules' own templates, a
 * block interval apart. Mined with node:crypto.
 */
import { Block } from '../../src/primitives/block.js';
import { DEFAULT_PARAMS, type NetworkParams, encodeParams } from '../../src/primitives/params.js';
import { BlockTree } from '../../src/consensus/block-tree.js';
import { powchainRules } from '../../src/consensus/rules/powchain.js';

export function mineBlock(template: Block, target: bigint): Block {
  for (let nonce = 0n; ; nonce++) {
    const block = template.withNonce(nonce);
    if (block.verifyProofOfWork(target)) return block;
  }
}

export function powchainGenesis(overrides: Partial<NetworkParams> = {}): { genesis: Block; params: NetworkParams } {
  const params: NetworkParams = {
    ...DEFAULT_PARAMS,
    initialTarget: 1n << 250n,
    genesisTimeMs: Date.now() - 3_600_000,
    ...overrides,
  };
  return { genesis: mineBlock(new Block(encodeParams(params)), params.initialTarget), params };
}

/** A chain of `length` blocks (the genesis included), each tagged `<tag>:<i>`. */
export function powchainChain(length: number, overrides: Partial<NetworkParams> = {}, tag = 'test'): Block[] {
  const { genesis, params } = powchainGenesis(overrides);
  const tree = new BlockTree(genesis, powchainRules(params, genesis.hashHex()));
  const blocks = [genesis];
  for (let i = 1; i < length; i++) {
    const parent = tree.head;
    const { data, target } = tree.rules.template(parent, parent.facts.time! + params.blockIntervalMs, `${tag}:${i}`);
    const block = mineBlock(new Block(data, parent.block), target);
    const verdict = tree.append(block, Number.MAX_SAFE_INTEGER);
    if (!verdict.ok) throw new Error(`test chain block ${i} refused: ${verdict.reason}`);
    blocks.push(block);
  }
  return blocks;
}
