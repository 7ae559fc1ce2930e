/**
 * Keeping up with the peers' chains (docs/protocol.md "Sync"), as bookkeeping without I/O:
 * what each extended peer said its head is (its hello), which peers were asked for blocks
 * and how their answers are coming in. The node asks it "whom should I ask now?" and sends.
 *
 * A node that learns of a chain with more work than its own asks that peer for its main
 * chain after a locator (getblocks, SYNC_BATCH blocks). Sync is pipelined: as soon as a
 * batch has arrived the next is asked for, and a timer repeats a request that stalled, so a
 * joiner catches up at the speed of the link even on a network where nobody mines.
 */
import type { BlockTree } from '../consensus/block-tree.js';
import { MAX_DATAGRAM_BYTES } from '../primitives/limits.js';

/** Blocks asked for in one getblocks (the protocol's most): fewer round trips per block synced. */
export const SYNC_BATCH = 500;
/** Bytes one answer (to getblocks or getdata) may take at most. */
export const MAX_REPLY_BYTES = 1024 * 1024;
/** An answer with no block for this long is stalled: ask again. */
export const STALL_MS = 750;
/** A peer's claimed head is forgotten when its hellos stop for this long. */
export const CLAIM_TTL_MS = 30_000;
/** While blocks from a sync arrived this recently, the node is catching up (and does not mine). */
export const CATCHING_UP_MS = 3_000;
/** Peers whose state is kept at most (extended peers only; the oldest are forgotten first). */
const MAX_TRACKED = 1_024;

export interface HeadClaim {
  readonly height: number;
  readonly head: string;
  /** The chain work the peer claims, when it says (hellos of older nodes do not). */
  readonly work: bigint | undefined;
}

interface PeerSync {
  claim: HeadClaim | undefined;
  claimedAt: number;
  /** When the last getblocks went to this peer, and when a block of its answer last arrived. */
  requestedAt: number;
  progressAt: number;
  /** Blocks of the current answer received so far, and their bytes. */
  received: number;
  bytes: number;
}

export class SyncState {
  readonly #peers = new Map<string, PeerSync>();
  #lastProgress = -Infinity;

  /** A peer's hello: its head and how much work its chain has. */
  noteClaim(peer: string, claim: HeadClaim, now: number): void {
    const state = this.#state(peer);
    state.claim = claim;
    state.claimedAt = now;
  }

  /** The head a peer last claimed, if any. */
  claimOf(peer: string): HeadClaim | undefined {
    return this.#peers.get(peer)?.claim;
  }

  /** True when the peer's claimed chain is ahead of ours and its head is not a block we have. */
  isAhead(peer: string, tree: BlockTree, now: number): boolean {
    const state = this.#peers.get(peer);
    const claim = state?.claim;
    if (!state || !claim || now - state.claimedAt > CLAIM_TTL_MS || tree.has(claim.head)) return false;
    const head = tree.head;
    return claim.work !== undefined ? claim.work > head.chainWork : claim.height > head.height;
  }

  /** Peers that claim a better chain than ours, freshest claim first. */
  peersAhead(tree: BlockTree, now: number): string[] {
    return [...this.#peers.keys()].filter((peer) => this.isAhead(peer, tree, now)).reverse();
  }

  /** True when a getblocks may go to `peer` now: none is being answered, or the answer stalled. */
  mayRequest(peer: string, now: number): boolean {
    const state = this.#peers.get(peer);
    if (!state || state.requestedAt < 0) return true;
    return now - Math.max(state.requestedAt, state.progressAt) >= STALL_MS;
  }

  noteRequest(peer: string, now: number): void {
    const state = this.#state(peer);
    state.requestedAt = now;
    state.progressAt = now;
    state.received = 0;
    state.bytes = 0;
  }

  /**
   * A block of `bytes` (its datagram) from `peer` was connected. True when it completes the
   * batch asked for (as many blocks as asked, or as many bytes as an answer may hold): the
   * next one can be requested at once.
   */
  noteBlock(peer: string, now: number, bytes = 0): boolean {
    const state = this.#peers.get(peer);
    if (!state || state.requestedAt < 0) return false;
    state.progressAt = now;
    this.#lastProgress = now;
    state.received++;
    state.bytes += bytes;
    if (state.received < SYNC_BATCH && state.bytes <= MAX_REPLY_BYTES - MAX_DATAGRAM_BYTES) return false;
    state.requestedAt = -1;
    return true;
  }

  /** True while some peer claims a better chain and blocks of a sync keep arriving. */
  catchingUp(tree: BlockTree, now: number): boolean {
    return now - this.#lastProgress < CATCHING_UP_MS && this.peersAhead(tree, now).length > 0;
  }

  forget(peer: string): void {
    this.#peers.delete(peer);
  }

  #state(peer: string): PeerSync {
    let state = this.#peers.get(peer);
    if (!state) {
      if (this.#peers.size >= MAX_TRACKED) this.#peers.delete(this.#peers.keys().next().value!);
      state = { claim: undefined, claimedAt: -Infinity, requestedAt: -1, progressAt: -Infinity, received: 0, bytes: 0 };
      this.#peers.set(peer, state);
    }
    return state;
  }
}
