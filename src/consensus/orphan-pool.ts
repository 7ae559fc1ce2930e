/**
 * Valid blocks whose parent is not known yet, waiting for it. Bounded in count and in
 * bytes (oldest evicted first) and per sender, so a flood of orphans cannot grow memory:
 * the pool is the only place where blocks that are not in the tree are kept.
 */
import type { Block } from '../primitives/block.js';
import { bytesToHex } from '../primitives/bytes.js';

export interface OrphanPoolLimits {
  maxBlocks?: number;
  maxBytes?: number;
  /** How many orphans one sender may have in the pool at once. */
  maxPerSender?: number;
}

interface Orphan {
  readonly block: Block;
  readonly hash: string;
  readonly parent: string;
  readonly sender: string;
  readonly bytes: number;
}

export type OrphanVerdict =
  { ok: true; evicted: number } | { ok: false; reason: 'duplicate-orphan' | 'sender-orphan-limit' };

export class OrphanPool {
  readonly maxBlocks: number;
  readonly maxBytes: number;
  readonly maxPerSender: number;
  // Map keeps insertion order: its first entry is the oldest orphan.
  readonly #byHash = new Map<string, Orphan>();
  readonly #byParent = new Map<string, Set<string>>();
  readonly #perSender = new Map<string, number>();
  #bytes = 0;

  constructor(limits: OrphanPoolLimits = {}) {
    this.maxBlocks = limits.maxBlocks ?? 512;
    this.maxBytes = limits.maxBytes ?? 8 * 1024 * 1024;
    this.maxPerSender = limits.maxPerSender ?? 128;
  }

  get size(): number {
    return this.#byHash.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  has(hash: string): boolean {
    return this.#byHash.has(hash);
  }

  /** Keeps `block` until its parent arrives; evicts the oldest orphans to stay within bounds. */
  add(block: Block, sender: string): OrphanVerdict {
    const hash = block.hashHex();
    if (this.#byHash.has(hash)) return { ok: false, reason: 'duplicate-orphan' };
    if ((this.#perSender.get(sender) ?? 0) >= this.maxPerSender) return { ok: false, reason: 'sender-orphan-limit' };
    const orphan: Orphan = {
      block,
      hash,
      parent: bytesToHex(block.previousHash),
      sender,
      bytes: block.data.length + 40 + 200, // data, parent and nonce, and the bookkeeping around them
    };
    this.#byHash.set(hash, orphan);
    let siblings = this.#byParent.get(orphan.parent);
    if (!siblings) this.#byParent.set(orphan.parent, (siblings = new Set()));
    siblings.add(hash);
    this.#perSender.set(sender, (this.#perSender.get(sender) ?? 0) + 1);
    this.#bytes += orphan.bytes;
    let evicted = 0;
    while (this.#byHash.size > this.maxBlocks || this.#bytes > this.maxBytes) {
      const oldest = this.#byHash.keys().next().value as string;
      this.#remove(oldest);
      evicted++;
    }
    return { ok: true, evicted };
  }

  /** Removes and returns the orphans whose parent is `parentHash`, oldest first. */
  takeChildren(parentHash: string): Array<{ block: Block; sender: string }> {
    const hashes = this.#byParent.get(parentHash);
    if (!hashes) return [];
    const children = [...hashes].map((hash) => this.#byHash.get(hash)!);
    for (const child of children) this.#remove(child.hash);
    return children.map(({ block, sender }) => ({ block, sender }));
  }

  /** The root of the orphan chain `hash` belongs to: the missing block to ask for. */
  missingAncestor(hash: string): string | undefined {
    let orphan = this.#byHash.get(hash);
    if (!orphan) return undefined;
    // It ends: a block's hash commits to its parent's hash, so orphans cannot form a cycle.
    for (let parent = this.#byHash.get(orphan.parent); parent; parent = this.#byHash.get(orphan.parent)) {
      orphan = parent;
    }
    return orphan.parent;
  }

  #remove(hash: string): void {
    const orphan = this.#byHash.get(hash);
    if (!orphan) return;
    this.#byHash.delete(hash);
    const siblings = this.#byParent.get(orphan.parent);
    siblings?.delete(hash);
    if (siblings?.size === 0) this.#byParent.delete(orphan.parent);
    const count = (this.#perSender.get(orphan.sender) ?? 1) - 1;
    if (count === 0) this.#perSender.delete(orphan.sender);
    else this.#perSender.set(orphan.sender, count);
    this.#bytes -= orphan.bytes;
  }
}
