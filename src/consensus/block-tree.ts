/**
 * The block tree and longest-chain consensus (SPEC 3), pure: no I/O, no clock, and the
 * seed's random tie-break comes from an injected source so tests can pin it.
 *
 * Every accepted block is kept, forks included, keyed by hash, with its height and its
 * children. The head is the block with the highest height; on a tie the seed keeps the
 * current head or takes the newcomer with probability 1/2 ('random', the default), while
 * 'first-seen' keeps the current head as Bitcoin does. Nothing here recurses, so a chain of
 * millions of blocks cannot overflow the stack.
 */
import { Block } from '../primitives/block.js';
import { bytesToHex } from '../primitives/bytes.js';
import { DEFAULT_TARGET } from '../primitives/target.js';

export type TieBreak = 'random' | 'first-seen';

/** Stable refusal reasons, as they appear in logs. */
export type RefusalReason = 'unknown-parent' | 'bad-pow' | 'duplicate' | 'second-genesis';

export interface TreeEntry {
  readonly block: Block;
  readonly hash: string;
  readonly height: number;
  readonly parent: TreeEntry | undefined;
  readonly children: TreeEntry[];
}

export type AppendVerdict =
  { ok: true; entry: TreeEntry; headChanged: boolean } | { ok: false; reason: RefusalReason; hash: string };

export interface BlockTreeOptions {
  target?: bigint;
  tieBreak?: TieBreak;
  /** Source of the seed's coin flip: returns true to take the newcomer. Default Math.random. */
  coinFlip?: () => boolean;
}

export class BlockTree {
  readonly target: bigint;
  readonly tieBreak: TieBreak;
  readonly root: TreeEntry;
  #head: TreeEntry;
  readonly #entries = new Map<string, TreeEntry>();
  readonly #coinFlip: () => boolean;

  /** Starts a tree at `genesis`. The caller decides whether the genesis' own PoW matters. */
  constructor(genesis: Block, options: BlockTreeOptions = {}) {
    this.target = options.target ?? DEFAULT_TARGET;
    this.tieBreak = options.tieBreak ?? 'random';
    this.#coinFlip = options.coinFlip ?? (() => Math.random() < 0.5);
    const hash = genesis.hashHex();
    this.root = { block: genesis, hash, height: 0, parent: undefined, children: [] };
    this.#entries.set(hash, this.root);
    this.#head = this.root;
  }

  get head(): TreeEntry {
    return this.#head;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(hash: string): TreeEntry | undefined {
    return this.#entries.get(hash.toLowerCase());
  }

  has(hash: string): boolean {
    return this.#entries.has(hash.toLowerCase());
  }

  /** What append() would answer, without changing anything. */
  check(block: Block): { ok: true; parent: TreeEntry } | { ok: false; reason: RefusalReason } {
    if (this.#entries.has(block.hashHex())) return { ok: false, reason: 'duplicate' };
    if (block.isGenesis) return { ok: false, reason: 'second-genesis' };
    const parent = this.#entries.get(bytesToHex(block.previousHash));
    if (!parent) return { ok: false, reason: 'unknown-parent' };
    if (!block.verifyProofOfWork(this.target)) return { ok: false, reason: 'bad-pow' };
    return { ok: true, parent };
  }

  append(block: Block): AppendVerdict {
    const hash = block.hashHex();
    const checked = this.check(block);
    if (!checked.ok) return { ok: false, reason: checked.reason, hash };
    const { parent } = checked;
    const entry: TreeEntry = { block, hash, height: parent.height + 1, parent, children: [] };
    parent.children.push(entry);
    this.#entries.set(hash, entry);
    const previousHead = this.#head;
    if (entry.height > previousHead.height) {
      this.#head = entry;
    } else if (entry.height === previousHead.height && this.tieBreak === 'random' && this.#coinFlip()) {
      this.#head = entry;
    }
    return { ok: true, entry, headChanged: this.#head !== previousHead };
  }

  /** The path from `tip` (default: the head) back to the root, root first. */
  chainTo(tip: TreeEntry = this.#head): TreeEntry[] {
    const chain: TreeEntry[] = new Array<TreeEntry>(tip.height + 1);
    for (let entry: TreeEntry | undefined = tip; entry; entry = entry.parent) chain[entry.height] = entry;
    return chain;
  }

  /** The main chain: root to head. */
  mainChain(): TreeEntry[] {
    return this.chainTo(this.#head);
  }

  /** True when `entry` lies on the main chain. O(1) after a walk from the head: see mainChainSet. */
  mainChainSet(): Set<TreeEntry> {
    return new Set(this.mainChain());
  }

  /** Every entry, in insertion order (parents before children). */
  entries(): IterableIterator<TreeEntry> {
    return this.#entries.values();
  }
}

export interface RestoredTree {
  tree: BlockTree;
  /** How many of the given blocks made it into the tree (a prefix of the list). */
  restored: number;
  /** Why the first block that did not make it was refused, if any. */
  refusal?: { index: number; reason: RefusalReason | 'bad-root' };
}

/**
 * Rebuilds a tree from blocks in acceptance order (the root first), re-validating each one.
 * Stops at the first block refused; undefined when the list is empty or its root is invalid.
 */
export function restoreTree(blocks: readonly Block[], options: BlockTreeOptions = {}): RestoredTree | undefined {
  const [root, ...rest] = blocks;
  if (!root || !root.verifyProofOfWork(options.target ?? DEFAULT_TARGET)) return undefined;
  const tree = new BlockTree(root, options);
  for (let i = 0; i < rest.length; i++) {
    const verdict = tree.append(rest[i]!);
    if (!verdict.ok) return { tree, restored: i + 1, refusal: { index: i + 1, reason: verdict.reason } };
  }
  return { tree, restored: blocks.length };
}
