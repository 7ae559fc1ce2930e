/**
 * How a node stores what it accepts (docs/block-log.md): blocks accepted in one turn of the
 * event loop are written with one durable write, and whatever would announce them waits until
 * they are on disk. It also decides when the log is compacted (once it holds enough bytes of
 * blocks the tree dropped) and when the chain state is snapshotted (every so many main-chain
 * blocks or seconds). Without a store, the same rules hold and nothing is written.
 */
import type { Block } from '../primitives/block.js';
import type { NetworkRules } from '../consensus/rules/rules.js';

/** Where accepted blocks are kept (the CLI adapts store/block-log.ts to it). Every call is durable on return. */
export interface BlockStore {
  /** Called once with the genesis of a new chain, before any append: the store learns the network. */
  begin(genesis: Block, rules: NetworkRules): void;
  /** Appends blocks, in acceptance order, with one durable write for the lot. */
  append(blocks: readonly Block[]): void;
  /** Rewrites the store to hold exactly `blocks` (acceptance order, parents first), crash-safely. */
  compact(blocks: Iterable<Block>): void;
  /** Keeps a snapshot of the chain state (the ledger at a stored block), crash-safely. */
  saveSnapshot?(snapshot: Uint8Array): void;
}

/** Bytes a stored record costs besides the block's data (header, parent hash, nonce). */
export const RECORD_OVERHEAD = 48;
/** Compact once the log holds this many bytes of dropped blocks, and half the live ones. */
const COMPACT_DEAD_BYTES = 8 * 1024 * 1024;
/** The chain state is saved after this many new main-chain blocks, or this long, whichever first. */
const SNAPSHOT_EVERY_BLOCKS = 100;
const SNAPSHOT_EVERY_MS = 30_000;

export interface SaverHooks {
  /** Every block the tree holds, parents first: what compaction keeps. */
  liveBlocks(): Iterable<Block>;
  /** The chain state's snapshot, when the node keeps one. */
  snapshot(): Uint8Array | undefined;
  compacted(blocks: number, deadBytes: number): void;
  /** A write failed: nothing waiting was announced, and the node must stop. */
  failed(error: unknown): void;
  now(): number;
}

export class BlockSaver {
  readonly #store: BlockStore | undefined;
  readonly #hooks: SaverHooks;
  #unsaved: Block[] = [];
  #afterSave: Array<() => void> = [];
  #scheduled = false;
  #closed = false;
  #liveBytes = 0;
  #deadBytes = 0;
  #blocksSinceSnapshot = 0;
  #snapshotAt = 0;

  constructor(store: BlockStore | undefined, hooks: SaverHooks) {
    this.#store = store;
    this.#hooks = hooks;
  }

  /** A block already in the store (restored, or the genesis `begin` wrote). */
  stored(block: Block): void {
    this.#liveBytes += block.data.length + RECORD_OVERHEAD;
  }

  /** A block to store in the next write (at the end of this turn of the event loop). */
  add(block: Block): void {
    this.stored(block);
    this.#unsaved.push(block);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.save());
  }

  /** Runs `action` once what was added so far is on disk. */
  afterSave(action: () => void): void {
    this.#afterSave.push(action);
  }

  /** Blocks the tree dropped: their records are dead bytes until the next compaction. Their bytes. */
  dropped(blocks: readonly Block[]): number {
    let bytes = 0;
    for (const block of blocks) bytes += block.data.length + RECORD_OVERHEAD;
    this.#liveBytes -= bytes;
    this.#deadBytes += bytes;
    return bytes;
  }

  /** Main-chain blocks the chain state moved over (for the snapshot's cadence). */
  connected(blocks: number): void {
    this.#blocksSinceSnapshot += blocks;
  }

  /** Writes what waits now; then what waited for it runs. False when the write failed. */
  save(): boolean {
    this.#scheduled = false;
    if (this.#closed) return false;
    const blocks = this.#unsaved;
    this.#unsaved = [];
    try {
      if (blocks.length > 0) this.#store?.append(blocks);
      this.#maybeCompact();
      this.#maybeSnapshot();
    } catch (error) {
      this.#unsaved = [];
      this.#afterSave = [];
      this.#hooks.failed(error);
      return false;
    }
    const actions = this.#afterSave;
    this.#afterSave = [];
    for (const action of actions) action();
    return true;
  }

  /** Nothing more is written (the node stops). */
  close(): void {
    this.#closed = true;
  }

  #maybeCompact(): void {
    if (!this.#store || this.#deadBytes < COMPACT_DEAD_BYTES || this.#deadBytes < this.#liveBytes / 2) return;
    const dead = this.#deadBytes;
    const blocks = [...this.#hooks.liveBlocks()];
    this.#store.compact(blocks);
    this.#deadBytes = 0;
    this.#hooks.compacted(blocks.length, dead);
  }

  #maybeSnapshot(): void {
    if (!this.#store?.saveSnapshot || this.#blocksSinceSnapshot === 0) return;
    const now = this.#hooks.now();
    if (this.#blocksSinceSnapshot < SNAPSHOT_EVERY_BLOCKS && now - this.#snapshotAt < SNAPSHOT_EVERY_MS) return;
    const snapshot = this.#hooks.snapshot();
    if (!snapshot) return;
    this.#store.saveSnapshot(snapshot);
    this.#blocksSinceSnapshot = 0;
    this.#snapshotAt = now;
  }
}
