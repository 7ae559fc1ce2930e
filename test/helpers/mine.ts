/** Mines a block in the test process itself (the fastest engine here), to play a rival peer. */
import { Block, type BlockParent } from '../../src/primitives/block.js';
import { createEngine, defaultEngine } from '../../src/hashing/registry.js';

export function mineBlock(data: string, parent: BlockParent | undefined, target: bigint): Block {
  const template = new Block(data, parent);
  const searcher = createEngine(defaultEngine()).prepare(template.prefix(), target);
  const batch = 1n << 20n;
  for (let start = 1n; ; start += batch) {
    const { nonce } = searcher.search(start, start + batch);
    if (nonce !== null) return template.withNonce(nonce);
  }
}
