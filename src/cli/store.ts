/**
 * --data-dir for `powchain mine`: opens the block log (docs/block-log.md), rebuilds the tree
 * from it under the rules its header and genesis choose (every block re-validated), and
 * adapts the log to the node's BlockStore. Nothing stored is ever dropped here: damage, or a
 * stored block the rules refuse, stops the start with a one-line error, and `powchain data
 * check` / `repair` tell more.
 */
import type { BlockTree } from '../consensus/block-tree.js';
import type { NetworkConfig } from '../consensus/rules/index.js';
import type { NetworkRules } from '../consensus/rules/rules.js';
import type { SeedRules } from '../consensus/rules/seed.js';
import type { NodeEvent } from '../node/events.js';
import type { BlockStore } from '../node/miner-node.js';
import { BlockLog } from '../store/block-log.js';
import { describeStoreError } from '../store/errors.js';
import type { LogNetwork } from '../store/log-format.js';
import { restoreChain } from '../store/restore.js';
import { readSnapshotFile, writeSnapshotFile } from '../store/snapshot-file.js';
import { ledgerFromSnapshot } from '../consensus/chain-state.js';
import type { Ledger } from '../consensus/ledger/index.js';
import { formatTarget } from '../primitives/target.js';

export class StoreError extends Error {
  override readonly name = 'StoreError';
}

export interface OpenedStore {
  store: BlockStore;
  /** The chain restored from the log, if it held one. */
  tree: BlockTree | undefined;
  /** The chain state's ledger from the directory's snapshot, when it has a usable one. */
  ledger: Ledger | undefined;
  /** What to report about the restore. */
  event: NodeEvent | undefined;
  close(): void;
}

/** How the log's header names the network `rules` run. */
function logNetworkOf(rules: NetworkRules): LogNetwork {
  return rules.network === 'seed' ? { network: 'seed', target: (rules as SeedRules).target } : { network: 'powchain' };
}

/** Runs a file-system step, turning its failure into the one-line StoreError the CLI prints. */
function storeStep<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    const message = describeStoreError(error);
    if (message === undefined) throw error;
    throw new StoreError(message);
  }
}

export function openStore(dir: string, network: NetworkConfig, pruneDepth?: number | 'off'): OpenedStore {
  const { log, network: stored, blocks, tornBytes } = storeStep(() => BlockLog.open(dir));
  const close = (): void => log.close();
  const seedTarget = network.seed.target;
  if (stored?.network === 'seed' && seedTarget !== undefined && stored.target !== seedTarget) {
    close();
    throw new StoreError(
      `${log.path} holds a seed network with target ${formatTarget(stored.target)}, not ${formatTarget(seedTarget)}: give that --target, or another --data-dir`,
    );
  }
  const store: BlockStore = {
    begin: (genesis, rules) =>
      storeStep(() => {
        log.start(logNetworkOf(rules));
        log.append(genesis);
      }),
    append: (list) => storeStep(() => log.appendBatch(list)),
    compact: (list) => storeStep(() => log.compact([...list])),
    saveSnapshot: (bytes) => storeStep(() => writeSnapshotFile(dir, bytes)),
  };
  if (blocks.length === 0 || stored === undefined) {
    return { store, tree: undefined, ledger: undefined, event: undefined, close };
  }
  const restored = restoreChain(stored, blocks, network, pruneDepth);
  if (restored.refusal || !restored.tree) {
    close();
    const { index, reason, detail } = restored.refusal!;
    throw new StoreError(
      `${log.path}: stored block ${index} is refused (${reason}${detail ? `: ${detail}` : ''}); nothing was changed on disk (see powchain data check ${dir})`,
    );
  }
  // Side blocks over today's limits were dropped from memory: the log follows, crash-safely.
  const tree = restored.tree;
  if (restored.dropped.length > 0) storeStep(() => log.compact([...tree.entries()].map((entry) => entry.block)));
  // The chain state's snapshot saves replaying every block; without a usable one, they are replayed.
  const snapshot = tree.rules.chainState ? storeStep(() => readSnapshotFile(dir)) : undefined;
  const fromSnapshot = snapshot ? ledgerFromSnapshot(tree, snapshot) : undefined;
  const head = tree.head;
  return {
    store,
    tree,
    ledger: fromSnapshot?.ok ? fromSnapshot.ledger : undefined,
    event: {
      event: 'restored',
      blocks: restored.restored,
      height: head.height,
      hash: head.hash,
      network: tree.rules.network,
      torn_bytes: tornBytes,
      dropped_blocks: restored.dropped.length,
    },
    close,
  };
}
