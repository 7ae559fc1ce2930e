/**
 * What a network's rules answer, as one interface (docs/networks.md). The block tree, the
 * miner node and the store ask a NetworkRules object; nothing outside consensus/rules/ asks
 * which network it is on. Two implementations: seed.ts (the tutorial's rules) and
 * powchain.ts (timestamps, ASERT, most work, transactions), chosen by the genesis block.
 *
 * Rules are pure: the clock arrives as `now` (ms since the Unix epoch), randomness (the
 * seed's coin flip) is injected when the rules object is made.
 */
import type { Block } from '../../primitives/block.js';
import type { BlockTree } from '../block-tree.js';
import type { ChainState, ChainStateOptions } from '../chain-state.js';

export type NetworkName = 'seed' | 'powchain';

/**
 * Stable refusal reasons, as logs and the API show them. The tree's own: unknown-parent,
 * duplicate, second-genesis, too-deep, side-budget. The rules': the rest.
 */
export type RefusalReason =
  | 'unknown-parent'
  | 'duplicate'
  | 'second-genesis'
  | 'too-deep'
  | 'side-budget'
  | 'bad-genesis'
  | 'bad-pow'
  | 'bad-payload'
  | 'bad-height'
  | 'time-too-old'
  | 'time-too-new'
  | 'bad-target'
  | 'bad-tx'
  | 'bad-coinbase';

export type Refusal = { ok: false; reason: RefusalReason; detail?: string };

/** What the rules learned about a valid block; kept on its tree entry. */
export interface BlockFacts {
  /** The target the block had to meet. */
  readonly target: bigint;
  /** Its own work, floor(2^256 / (target + 1)): the expected number of hashes it cost. */
  readonly work: bigint;
  /** Its time in ms since the Unix epoch, on networks whose blocks carry one. */
  readonly time?: number;
  /** The decoded payload, on networks whose blocks carry one (opaque to the tree). */
  readonly payload?: unknown;
}

/** The part of a tree entry the rules read (block-tree.ts's TreeEntry has it). */
export interface ChainLink {
  readonly block: Block;
  readonly height: number;
  readonly parent: ChainLink | undefined;
  readonly facts: BlockFacts;
  /** Sum of `facts.work` from the root to this block, inclusive. */
  readonly chainWork: bigint;
}

export interface NetworkRules {
  readonly network: NetworkName;
  /** Checks a block offered as the root of a chain (its genesis). */
  checkGenesis(block: Block): { ok: true; facts: BlockFacts } | Refusal;
  /**
   * What can be checked of a non-genesis block without its parent: that its work is real
   * (its hash meets the target it claims, or the network's). A block that fails this is
   * junk whoever sent it; one that passes may wait for its parent as an orphan.
   */
  checkWork(block: Block): { ok: true } | Refusal;
  /** Checks a block whose parent is known; `now` is the receiver's clock (ms). */
  checkBlock(block: Block, parent: ChainLink, now: number): { ok: true; facts: BlockFacts } | Refusal;
  /** True when `candidate` should become the head instead of `head`. */
  prefers(candidate: ChainLink, head: ChainLink): boolean;
  /** The target a child of `parent` must meet. */
  nextTarget(parent: ChainLink): bigint;
  /**
   * The data of a block to mine on `parent` at `now`, tagged with `tag` (the tutorial's
   * `host:port:i`), and the target it must meet.
   */
  template(parent: ChainLink, now: number, tag: string): { data: Uint8Array; target: bigint };
  /**
   * How long a template stays good, in ms: a network whose blocks carry a time refreshes
   * it while mining. Undefined: a template never goes stale.
   */
  readonly templateLifetimeMs: number | undefined;
  /**
   * Stale side branches forking more than this many blocks below the head are pruned,
   * unless the node is told otherwise; undefined: kept (within the side budget).
   */
  readonly defaultPruneDepth: number | undefined;
  /** The miner's tag a block carries (the tutorial's `host:port:i`), if it has one. */
  minerTag(block: Block, facts: BlockFacts): string | undefined;
  /**
   * On a network with transactions: the chain state (ledger, mempool) of `tree`, made once.
   * Absent on a network without.
   */
  chainState?(tree: BlockTree, options?: ChainStateOptions): ChainState;
}
