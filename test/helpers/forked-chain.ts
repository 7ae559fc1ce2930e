/** A chain with forks for block-log tests, made the same way in the test and in its child process. */
import { Block } from '../../src/primitives/block.js';

/**
 * A main chain with a fork block after every tenth block: `all` in acceptance order (as a
 * node would have appended them), `main` without the forks (what a compaction might keep).
 */
export function forkedChain(length = 12_000): { all: Block[]; main: Block[] } {
  let parent = new Block('genesis');
  const all = [parent];
  const main = [parent];
  for (let i = 1; i < length; i++) {
    const block = new Block(`block ${i} `.padEnd(150, '.'), parent, BigInt(i));
    all.push(block);
    main.push(block);
    if (i % 10 === 0) all.push(new Block(`fork ${i}`, parent, BigInt(i)));
    parent = block;
  }
  return { all, main };
}
