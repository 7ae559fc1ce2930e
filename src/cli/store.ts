/**
 * --data-dir for `powchain mine`: opens the block log, rebuilds the tree from it under the
 * rules its genesis chooses (every block re-validated), and adapts the log to the node's
 * BlockStore. Nothing stored is ever dropped here: a stored block the rules refuse stops the
 * start with a one-line error (`powchain data check` tells more).
 */
import { restoreTree, type BlockTree } from '../consensus/block-tree.js';
import { type NetworkConfig, rulesForGenesis } from '../consensus/rules/index.js';
import type { NodeEvent } from '../node/events.js';
import type { BlockStore } from '../node/miner-node.js';
import { BlockLog, BlockLogError } from '../store/block-log.js';

export class StoreError extends Error {
  override readonly name = 'StoreError';
}

export interface OpenedStore {
  store: BlockStore;
  /** The chain restored from the log, if it held one. */
  tree: BlockTree | undefined;
  /** What to report about the restore. */
  event: NodeEvent | undefined;
  close(): void;
}

export function openStore(dir: string, network: NetworkConfig, pruneDepth?: number | 'off'): OpenedStore {
  let opened: ReturnType<typeof BlockLog.open>;
  try {
    opened = BlockLog.open(dir, network.seed.target ?? 1n << 235n);
  } catch (error) {
    if (error instanceof BlockLogError) throw new StoreError(error.message);
    throw new StoreError(`cannot use --data-dir ${JSON.stringify(dir)}: ${(error as Error).message}`);
  }
  const { log, blocks, droppedBytes } = opened;
  const store: BlockStore = {
    begin: (genesis) => log.append(genesis),
    append: (list) => {
      for (const block of list) log.append(block);
    },
    compact: () => {},
  };
  const close = (): void => log.close();
  if (blocks.length === 0) return { store, tree: undefined, event: undefined, close };
  const chosen = rulesForGenesis(blocks[0]!, network);
  if (!chosen.ok) {
    close();
    throw new StoreError(
      `${log.path}: its first block is not a genesis this node accepts (${chosen.reason}${chosen.detail ? `: ${chosen.detail}` : ''})`,
    );
  }
  const depth = pruneDepth === 'off' ? undefined : (pruneDepth ?? chosen.rules.defaultPruneDepth);
  const restored = restoreTree(blocks, chosen.rules, {}, depth);
  if (restored.refusal || !restored.tree) {
    close();
    const { index, reason, detail } = restored.refusal!;
    throw new StoreError(
      `${log.path}: stored block ${index} is refused (${reason}${detail ? `: ${detail}` : ''}); nothing was changed on disk (see powchain data check)`,
    );
  }
  const head = restored.tree.head;
  return {
    store,
    tree: restored.tree,
    event: {
      event: 'restored',
      blocks: restored.restored,
      height: head.height,
      hash: head.hash,
      network: chosen.rules.network,
      torn_bytes: droppedBytes,
      dropped_blocks: restored.dropped.length,
    },
    close,
  };
}
