/**
 * The block tree and its consensus (docs/networks.md), pure: no I/O, no clock of its own
 * (the receiver's time arrives as `now`), no randomness but what the rules were given.
 *
 * Every accepted block is kept with its height, its children, what the network's rules
 * learned about it (target, work, time) and the work of the chain up to it. Which block is
 * the head is the rules' call (the seed: highest, coin flip on a tie; powchain: most work,
 * first seen on a tie). The main chain is indexed by height, so "is this block on the main
 * chain" and "the main block at height h" are O(1), and a head change costs the depth of
 * the reorganisation, not the length of the chain.
 *
 * Side branches are bounded, whatever a peer with some hashrate sends:
 *   - a block whose fork point (its nearest main-chain ancestor) lies more than
 *     `maxForkDepth` blocks below the head is refused (`too-deep`);
 *   - side blocks together stay within `maxSideBytes` of data and `maxSideBlocks` blocks:
 *     past that, the side branches that fork lowest are evicted first, and a side block
 *     that could only fit by evicting its own branch is refused (`side-budget`);
 *   - prune(depth) drops every side branch whose fork point is more than `depth` below the
 *     head (stale branches, docs/networks.md "Pruning").
 * Nothing here recurses, so a chain of millions of blocks cannot overflow the stack.
 */
import type { Block } from '../primitives/block.js';
import { bytesToHex } from '../primitives/bytes.js';
import type { BlockFacts, ChainLink, NetworkRules, Refusal, RefusalReason } from './rules/rules.js';

export type { RefusalReason } from './rules/rules.js';

export interface TreeEntry extends ChainLink {
  readonly block: Block;
  readonly hash: string;
  readonly height: number;
  readonly parent: TreeEntry | undefined;
  readonly children: TreeEntry[];
  readonly facts: BlockFacts;
  readonly chainWork: bigint;
  /** Who the block came from: 'self', 'disk', or the sender's host:port. */
  readonly origin: string;
}

export interface TreeLimits {
  /** A block forking more than this many blocks below the head is refused (default 100). */
  maxForkDepth?: number;
  /** Bytes of `data` that side blocks may hold together (default 16 MiB). */
  maxSideBytes?: number;
  /** Side blocks kept at most (default 4,096). */
  maxSideBlocks?: number;
}

export const DEFAULT_TREE_LIMITS: Required<TreeLimits> = {
  maxForkDepth: 100,
  maxSideBytes: 16 * 1024 * 1024,
  maxSideBlocks: 4_096,
};

export type CheckVerdict = { ok: true; parent: TreeEntry; facts: BlockFacts } | Refusal;

export type AppendVerdict =
  | {
      ok: true;
      entry: TreeEntry;
      headChanged: boolean;
      /** Side blocks evicted to keep within the side budget (never main-chain blocks). */
      evicted: TreeEntry[];
    }
  | (Refusal & { hash: string });

export interface AppendOptions {
  /** Who sent it (default 'self'). */
  origin?: string;
  /**
   * A block this node accepted before (restored from its own log): the fork-depth and
   * side-budget refusals, which depend on what else arrived when, are not applied; the
   * network's rules are. The budget is enforced again afterwards by evicting.
   */
  restoring?: boolean;
}

/** Bytes a block costs the side budget: its data (the rest is small and fixed). */
const sideCost = (entry: TreeEntry): number => entry.block.data.length;

export class BlockTree {
  readonly rules: NetworkRules;
  readonly limits: Required<TreeLimits>;
  readonly root: TreeEntry;
  #head: TreeEntry;
  readonly #entries = new Map<string, TreeEntry>();
  /** #main[h] is the main-chain block at height h, from the root to the head. */
  readonly #main: TreeEntry[] = [];
  /** Side blocks whose parent is on the main chain: the roots of the side branches. */
  readonly #sideRoots = new Set<TreeEntry>();
  #sideBytes = 0;
  #sideBlocks = 0;
  /** No fork may start below this height any more: side branches under it were pruned. */
  #pruneFloor = 0;

  /**
   * Starts a tree at `genesis`, which the rules must accept as one (else a RangeError);
   * `origin` says who it came from, as for any block.
   */
  constructor(genesis: Block, rules: NetworkRules, limits: TreeLimits = {}, origin = 'self') {
    const checked = rules.checkGenesis(genesis);
    if (!checked.ok) throw new RangeError(`not a genesis block of this network: ${checked.reason}`);
    this.rules = rules;
    this.limits = { ...DEFAULT_TREE_LIMITS, ...limits };
    const hash = genesis.hashHex();
    this.root = {
      block: genesis,
      hash,
      height: 0,
      parent: undefined,
      children: [],
      facts: checked.facts,
      chainWork: checked.facts.work,
      origin,
    };
    this.#entries.set(hash, this.root);
    this.#main.push(this.root);
    this.#head = this.root;
  }

  get head(): TreeEntry {
    return this.#head;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Blocks and data bytes held off the main chain. */
  get side(): { blocks: number; bytes: number } {
    return { blocks: this.#sideBlocks, bytes: this.#sideBytes };
  }

  get(hash: string): TreeEntry | undefined {
    return this.#entries.get(hash.toLowerCase());
  }

  has(hash: string): boolean {
    return this.#entries.has(hash.toLowerCase());
  }

  isMain(entry: TreeEntry): boolean {
    return this.#main[entry.height] === entry;
  }

  /** The main-chain block at `height`, if the main chain reaches it. */
  mainAt(height: number): TreeEntry | undefined {
    return this.#main[height];
  }

  /** The main chain, root first: a read-only view, valid until the next change. */
  mainChain(): readonly TreeEntry[] {
    return this.#main;
  }

  /** The path from `tip` back to the root, root first. */
  chainTo(tip: TreeEntry): TreeEntry[] {
    const chain: TreeEntry[] = [];
    for (let entry: TreeEntry | undefined = tip; entry; entry = entry.parent) chain.push(entry);
    return chain.reverse();
  }

  /** Every entry, in the order it was accepted (parents before children). */
  entries(): IterableIterator<TreeEntry> {
    return this.#entries.values();
  }

  /** What append() would answer, without changing anything. */
  check(block: Block, now: number, options: AppendOptions = {}): CheckVerdict {
    if (this.#entries.has(block.hashHex())) return { ok: false, reason: 'duplicate' };
    if (block.isGenesis) return { ok: false, reason: 'second-genesis' };
    const parent = this.#entries.get(bytesToHex(block.previousHash));
    if (!parent) return { ok: false, reason: 'unknown-parent' };
    const forkHeight = this.#forkPoint(parent).height;
    if (!options.restoring && forkHeight < this.#lowestForkHeight()) {
      return {
        ok: false,
        reason: 'too-deep',
        detail: `forks at height ${forkHeight}, more than ${this.limits.maxForkDepth} below the head`,
      };
    }
    const checked = this.rules.checkBlock(block, parent, now);
    if (!checked.ok) return checked;
    if (!options.restoring && this.#wouldExceedSideBudget(block, parent, checked.facts, forkHeight)) {
      return {
        ok: false,
        reason: 'side-budget',
        detail: `side branches hold ${this.#sideBlocks} blocks (${this.#sideBytes} bytes) and none forks lower`,
      };
    }
    return { ok: true, parent, facts: checked.facts };
  }

  append(block: Block, now: number, options: AppendOptions = {}): AppendVerdict {
    const checked = this.check(block, now, options);
    if (!checked.ok) return { ...checked, hash: block.hashHex() };
    const { parent, facts } = checked;
    const entry: TreeEntry = {
      block,
      hash: block.hashHex(),
      height: parent.height + 1,
      parent,
      children: [],
      facts,
      chainWork: parent.chainWork + facts.work,
      origin: options.origin ?? 'self',
    };
    parent.children.push(entry);
    this.#entries.set(entry.hash, entry);
    // A new block starts off the main chain; #setHead moves it (and its branch) onto it.
    this.#sideBytes += sideCost(entry);
    this.#sideBlocks++;
    const previousHead = this.#head;
    if (this.rules.prefers(entry, previousHead)) this.#setHead(entry);
    else if (this.isMain(parent)) this.#sideRoots.add(entry);
    // While restoring, a later record may build on any stored block: evict only afterwards.
    const evicted = options.restoring ? [] : this.#enforceSideBudget(entry);
    return { ok: true, entry, headChanged: this.#head !== previousHead, evicted };
  }

  /**
   * Drops every side branch whose fork point is more than `depth` blocks below the head,
   * and refuses forks that deep from now on. Returns the blocks dropped.
   */
  prune(depth: number): TreeEntry[] {
    const floor = this.#head.height - depth;
    this.#pruneFloor = Math.max(this.#pruneFloor, floor);
    const removed: TreeEntry[] = [];
    for (const root of [...this.#sideRoots]) {
      if (root.height - 1 < floor) removed.push(...this.#removeBranch(root));
    }
    return removed;
  }

  /** Evicts side branches, lowest fork first, until the side budget holds (never `keep`'s branch). */
  enforceSideBudget(): TreeEntry[] {
    return this.#enforceSideBudget(undefined);
  }

  #lowestForkHeight(): number {
    return Math.max(this.#pruneFloor, this.#head.height - this.limits.maxForkDepth);
  }

  /** The nearest main-chain ancestor of `entry` (itself when it is on the main chain). */
  #forkPoint(entry: TreeEntry): TreeEntry {
    let at = entry;
    // Side branches are bounded (maxSideBlocks), so this walk is too.
    while (!this.isMain(at)) at = at.parent!;
    return at;
  }

  #overBudget(extraBytes: number, extraBlocks: number): boolean {
    return (
      this.#sideBytes + extraBytes > this.limits.maxSideBytes ||
      this.#sideBlocks + extraBlocks > this.limits.maxSideBlocks
    );
  }

  /**
   * True when `block` will certainly stay off the main chain (less work than the head) and
   * the budget cannot make room for it without evicting its own branch or newer forks.
   */
  #wouldExceedSideBudget(block: Block, parent: TreeEntry, facts: BlockFacts, forkHeight: number): boolean {
    // (A block on the head has more work than it: every block's work is positive.)
    if (parent.chainWork + facts.work >= this.#head.chainWork) return false;
    const size = block.data.length;
    // A shortcut (the answer below is the same), kept so that a block within the budget costs
    // no walk over every side branch: this runs for each block a stranger sends.
    if (!this.#overBudget(size, 1)) return false;
    let freeBytes = 0;
    let freeBlocks = 0;
    for (const root of this.#sideRoots) {
      if (root.height - 1 >= forkHeight) continue;
      for (const entry of subtree(root)) {
        freeBytes += sideCost(entry);
        freeBlocks++;
      }
    }
    return this.#overBudget(size - freeBytes, 1 - freeBlocks);
  }

  #enforceSideBudget(keep: TreeEntry | undefined): TreeEntry[] {
    // A shortcut (the loop below would evict nothing), kept so that each accepted block does not
    // sort every side branch.
    if (!this.#overBudget(0, 0)) return [];
    const keepRoot = keep && !this.isMain(keep) ? this.#sideRootOf(keep) : undefined;
    // Lowest fork first; among equal forks, the one accepted first.
    const victims = [...this.#sideRoots].filter((root) => root !== keepRoot).sort((a, b) => a.height - b.height);
    const evicted: TreeEntry[] = [];
    for (const root of victims) {
      if (!this.#overBudget(0, 0)) break;
      evicted.push(...this.#removeBranch(root));
    }
    return evicted;
  }

  #sideRootOf(entry: TreeEntry): TreeEntry {
    let at = entry;
    while (!this.isMain(at.parent!)) at = at.parent!;
    return at;
  }

  /** Removes a side branch (a side root and everything above it); returns its entries. */
  #removeBranch(root: TreeEntry): TreeEntry[] {
    const removed = [...subtree(root)];
    const siblings = root.parent!.children;
    siblings.splice(siblings.indexOf(root), 1);
    this.#sideRoots.delete(root);
    for (const entry of removed) {
      this.#entries.delete(entry.hash);
      this.#sideBytes -= sideCost(entry);
      this.#sideBlocks--;
    }
    return removed;
  }

  /** Makes `tip` the head: the main chain index follows, in the depth of the reorganisation. */
  #setHead(tip: TreeEntry): void {
    const joining: TreeEntry[] = [];
    let fork = tip;
    while (!this.isMain(fork)) {
      joining.push(fork);
      fork = fork.parent!;
    }
    const leaving = this.#main.splice(fork.height + 1);
    for (const entry of leaving) {
      this.#sideBytes += sideCost(entry);
      this.#sideBlocks++;
      // Branches hanging off a block that leaves the main chain are no longer side roots.
      for (const child of entry.children) this.#sideRoots.delete(child);
    }
    if (leaving[0]) this.#sideRoots.add(leaving[0]);
    for (let i = joining.length - 1; i >= 0; i--) {
      const entry = joining[i]!;
      this.#main.push(entry);
      this.#sideBytes -= sideCost(entry);
      this.#sideBlocks--;
      this.#sideRoots.delete(entry);
    }
    // Branches hanging off a block that joined the main chain are side roots now.
    for (const entry of joining) {
      for (const child of entry.children) if (!this.isMain(child)) this.#sideRoots.add(child);
    }
    this.#head = tip;
  }
}

/** `root` and every block above it, without recursion. */
function* subtree(root: TreeEntry): Generator<TreeEntry> {
  const stack = [root];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    yield entry;
    for (const child of entry.children) stack.push(child);
  }
}

export interface RestoreRefusal {
  /** The position of the refused block in the list (0: the root). */
  index: number;
  reason: RefusalReason;
  detail?: string;
}

export type RestoredTree =
  | {
      tree: BlockTree;
      /** How many of the given blocks made it into the tree (a prefix of the list). */
      restored: number;
      /** Why the first block that did not make it was refused, if any. */
      refusal?: RestoreRefusal;
      /** Side blocks evicted or pruned after the replay, to fit today's limits. */
      dropped: TreeEntry[];
    }
  | { tree: undefined; restored: 0; refusal: RestoreRefusal; dropped: [] };

/**
 * Rebuilds a tree from blocks in acceptance order (the root first), re-validating each
 * one against the rules (a stored block was valid when accepted: its time is not held
 * against the clock). Stops at the first block refused. A refused root is a refusal at
 * index 0 with no tree.
 */
export function restoreTree(
  blocks: readonly Block[],
  rules: NetworkRules,
  limits: TreeLimits = {},
  pruneDepth?: number,
): RestoredTree {
  const [root, ...rest] = blocks;
  if (!root) throw new RangeError('restoreTree needs at least the root block');
  const genesis = rules.checkGenesis(root);
  if (!genesis.ok) {
    return {
      tree: undefined,
      restored: 0,
      refusal: { index: 0, reason: genesis.reason, detail: genesis.detail },
      dropped: [],
    };
  }
  const tree = new BlockTree(root, rules, limits, 'disk');
  const restoring: AppendOptions = { origin: 'disk', restoring: true };
  for (let i = 0; i < rest.length; i++) {
    const verdict = tree.append(rest[i]!, Number.MAX_SAFE_INTEGER, restoring);
    if (!verdict.ok) {
      return {
        tree,
        restored: i + 1,
        refusal: { index: i + 1, reason: verdict.reason, detail: verdict.detail },
        dropped: [],
      };
    }
  }
  const dropped = [...(pruneDepth === undefined ? [] : tree.prune(pruneDepth)), ...tree.enforceSideBudget()];
  return { tree, restored: blocks.length, dropped };
}
