/**
 * Block locators, as Bitcoin's getheaders uses them: a short list of main-chain hashes,
 * dense near the head and exponentially sparser towards the root, that lets a peer find
 * the last block two chains share in one round trip, with a reply that is small when the
 * chains mostly agree. Both directions use the tree's main-chain index: building a locator
 * is O(log n), answering one O(locator + reply).
 */
import type { BlockTree, TreeEntry } from './block-tree.js';

/** Hashes at heights head, head-1, ..., head-9, then steps doubling, and always the root. */
export function buildLocator(tree: BlockTree, maxHashes = 32): string[] {
  const hashes: string[] = [];
  let step = 1;
  for (let height = tree.head.height; height > 0 && hashes.length < maxHashes - 1; height -= step) {
    hashes.push(tree.mainAt(height)!.hash);
    if (hashes.length >= 10) step *= 2;
  }
  hashes.push(tree.root.hash);
  return hashes;
}

/**
 * The blocks of this tree's main chain that follow the first locator hash found on it
 * (the fork point), oldest first, at most `limit`. An empty or unknown locator means
 * "from the start": the answer then begins with the root itself.
 */
export function blocksAfterLocator(tree: BlockTree, locator: readonly string[], limit: number): TreeEntry[] {
  let from = 0;
  for (const hash of locator) {
    const entry = tree.get(hash);
    if (entry && tree.isMain(entry)) {
      from = entry.height + 1;
      break;
    }
  }
  return tree.mainChain().slice(from, from + limit);
}
