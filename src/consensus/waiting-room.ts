/**
 * Blocks from a little too far in the future (docs/networks.md "Validity"): valid work, a
 * time beyond the receiver's clock + 2 minutes. They are not junk (clocks differ) and not
 * lost: they wait here, bounded in count, bytes and per sender (oldest out first), and are
 * offered again later.
 */
import type { Block } from '../primitives/block.js';

export interface WaitingRoomLimits {
  maxBlocks?: number;
  maxBytes?: number;
  maxPerSender?: number;
}

interface Waiting {
  readonly block: Block;
  readonly sender: string;
}

export class WaitingRoom {
  readonly maxBlocks: number;
  readonly maxBytes: number;
  readonly maxPerSender: number;
  // Map keeps insertion order: the first entry waited longest.
  readonly #waiting = new Map<string, Waiting>();
  #bytes = 0;

  constructor(limits: WaitingRoomLimits = {}) {
    this.maxBlocks = limits.maxBlocks ?? 64;
    this.maxBytes = limits.maxBytes ?? 4 * 1024 * 1024;
    this.maxPerSender = limits.maxPerSender ?? 16;
  }

  get size(): number {
    return this.#waiting.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Keeps `block` for a later try; false when it is already here or its sender has its share. */
  add(block: Block, sender: string): boolean {
    const hash = block.hashHex();
    if (this.#waiting.has(hash) || this.#countFrom(sender) >= this.maxPerSender) return false;
    this.#waiting.set(hash, { block, sender });
    this.#bytes += block.data.length;
    while (this.#waiting.size > this.maxBlocks || this.#bytes > this.maxBytes) {
      this.#remove(this.#waiting.keys().next().value!);
    }
    return true;
  }

  /** Empties the room: every waiting block, longest waiting first. */
  takeAll(): Waiting[] {
    const all = [...this.#waiting.values()];
    this.#waiting.clear();
    this.#bytes = 0;
    return all;
  }

  /** Blocks waiting from `sender`: counted, not indexed (the room holds a few dozen). */
  #countFrom(sender: string): number {
    let count = 0;
    for (const waiting of this.#waiting.values()) if (waiting.sender === sender) count++;
    return count;
  }

  #remove(hash: string): void {
    const waiting = this.#waiting.get(hash)!;
    this.#waiting.delete(hash);
    this.#bytes -= waiting.block.data.length;
  }
}
