/**
 * The ledger: the unspent-output set at one block of the chain (its tip), undo records for
 * the last `undoDepth` blocks, and the two operations the block tree needs (docs/ledger.md):
 * check a block's transactions on top of any block within reach (a route from the tip), and
 * move the set along a route on every head change, handing back the transfers of the blocks
 * that left the main chain for the mempool.
 *
 * Pure: no I/O and no clock. Both operations prepare their changes in a copy-on-write view,
 * so the set changes only when a whole reorganisation has succeeded. A route that does not
 * start at the tip or reaches deeper than the undo records is a programming error
 * (LedgerRouteError): the tree computes routes and refuses forks deeper than the undo depth.
 */
import { bytesToHex } from '../../primitives/bytes.js';
import { HASH_BYTES } from '../../primitives/limits.js';
import { checkParams, type NetworkParams } from '../../primitives/params.js';
import type { BlockPayload } from '../../primitives/payload.js';
import { txid, type OutPoint, type TransferTx } from '../../primitives/tx.js';
import { CoinSet, CoinView, keyOfOutpoint, outpointOfKey, type Coin, type UnspentOutput } from './coins.js';
import { connectBlock, disconnectBlock, type BlockRefusal, type UndoRecord } from './connect.js';
import { SignatureCache } from './signature-cache.js';

/** A block as the ledger sees it: its hash, its parent's hash, its height and its decoded payload. */
export interface BlockRef {
  readonly hash: string;
  readonly parentHash: string;
  readonly height: number;
  readonly payload: BlockPayload;
}

/**
 * How to get from the ledger's tip to some block: disconnect `disconnect` (newest first,
 * starting with the tip), then connect `connect` (oldest first). Computed by the block tree
 * from the fork point of the two branches.
 */
export interface Route {
  readonly disconnect: readonly BlockRef[];
  readonly connect: readonly BlockRef[];
}

export const EMPTY_ROUTE: Route = { disconnect: [], connect: [] };

export type CheckBlockVerdict = { ok: true; fees: bigint } | BlockRefusal;

/** What a reorganisation did, for the mempool (Mempool.follow) and the node's log. */
export interface LedgerChange {
  /** Transfers of the disconnected blocks that the connected blocks do not hold, oldest block first. */
  readonly returned: TransferTx[];
  /** Payloads of the disconnected blocks, newest first. */
  readonly disconnected: BlockPayload[];
  /** Payloads of the connected blocks, oldest first. */
  readonly connected: BlockPayload[];
}

/** Blocks whose undo records are kept: the block tree refuses forks deeper than 100 blocks. */
export const DEFAULT_UNDO_DEPTH = 100;
export const MAX_UNDO_DEPTH = 10_000;

export interface LedgerOptions {
  /** Blocks that can be disconnected (undo records kept), default DEFAULT_UNDO_DEPTH. */
  undoDepth?: number;
  /** The signature cache to share with the mempool (default: a new one). */
  signatures?: SignatureCache;
}

/** A route the ledger cannot follow: not from its tip, not linked, or deeper than its undo records. */
export class LedgerRouteError extends Error {
  override readonly name = 'LedgerRouteError';
}

/** The ledger's state as the snapshot codec writes and reads it. */
export interface LedgerState {
  readonly tip: string;
  readonly height: number;
  readonly coins: Iterable<readonly [string, Coin]>;
  /** Oldest first; the last one is the tip's. */
  readonly undo: readonly UndoRecord[];
}

/** A route walked in a view: where it ends and the undo records it produced. */
interface Walk {
  view: CoinView;
  tip: string;
  height: number;
  /** How many of the ledger's undo records remain after the disconnections. */
  kept: number;
  added: UndoRecord[];
}

const HASH_HEX = /^[0-9a-f]{64}$/;

export class Ledger {
  readonly params: NetworkParams;
  readonly genesisHash: Uint8Array;
  readonly undoDepth: number;
  readonly signatures: SignatureCache;
  readonly #coins = new CoinSet();
  #tip: string;
  #height = 0;
  /** Oldest first; the last one is the tip's (none at the genesis). */
  #undo: UndoRecord[] = [];
  /**
   * The state at the last block that passed checkBlock (a view over the set, with the undo
   * records of the blocks it connected), while the tip stays where it was: a block that
   * builds on it, or a reorganisation that ends at it, starts from there instead of walking
   * the whole route again. A competing branch growing block by block then costs one block's
   * work per block, and the reorganisation to it costs nothing more.
   */
  #lastChecked: (Walk & { disconnected: number }) | undefined;

  constructor(params: NetworkParams, genesisHash: Uint8Array, options: LedgerOptions = {}) {
    const verdict = checkParams(params);
    if (!verdict.ok) throw new RangeError(`invalid network parameters: ${verdict.reason}`);
    if (genesisHash.length !== HASH_BYTES) throw new RangeError(`genesis hash must be ${HASH_BYTES} bytes`);
    const undoDepth = options.undoDepth ?? DEFAULT_UNDO_DEPTH;
    if (!Number.isSafeInteger(undoDepth) || undoDepth < 0 || undoDepth > MAX_UNDO_DEPTH) {
      throw new RangeError(`undo depth must be 0 to ${MAX_UNDO_DEPTH}, got ${undoDepth}`);
    }
    this.params = params;
    this.genesisHash = genesisHash.slice();
    this.undoDepth = undoDepth;
    this.signatures = options.signatures ?? new SignatureCache();
    this.#tip = bytesToHex(genesisHash);
  }

  /** A ledger at a saved state (the snapshot codec validated it). */
  static fromState(
    params: NetworkParams,
    genesisHash: Uint8Array,
    state: LedgerState,
    options: LedgerOptions = {},
  ): Ledger {
    const ledger = new Ledger(params, genesisHash, options);
    for (const [key, coin] of state.coins) ledger.#coins.add(key, coin);
    ledger.#tip = state.tip;
    ledger.#height = state.height;
    ledger.#undo = state.undo.slice(Math.max(0, state.undo.length - ledger.undoDepth));
    return ledger;
  }

  /** The state to save (read-only views, valid until the next change). */
  state(): LedgerState {
    return { tip: this.#tip, height: this.#height, coins: this.#coins.entries(), undo: this.#undo };
  }

  /** Hash (hex) of the block the set is at: the genesis at first. */
  get tip(): string {
    return this.#tip;
  }

  /** Height of the tip. */
  get height(): number {
    return this.#height;
  }

  /** Blocks that can be disconnected from the tip (undo records held). */
  get reach(): number {
    return this.#undo.length;
  }

  /** Number of unspent outputs. */
  get size(): number {
    return this.#coins.size;
  }

  /** Sum of all unspent amounts. */
  supply(): bigint {
    return this.#coins.total;
  }

  coin(outpoint: OutPoint): Coin | undefined {
    return this.#coins.get(keyOfOutpoint(outpoint));
  }

  /** The coin at an outpoint key (`<txid hex>:<index>`), for the mempool's lookups. */
  coinAt(key: string): Coin | undefined {
    return this.#coins.get(key);
  }

  balance(keyHash: Uint8Array): bigint {
    let total = 0n;
    for (const key of this.#coins.keysOf(bytesToHex(keyHash))) total += this.#coins.get(key)!.amount;
    return total;
  }

  /** Unspent outputs paying `keyHash`, oldest first (then by outpoint). */
  unspent(keyHash: Uint8Array): UnspentOutput[] {
    const keys = [...this.#coins.keysOf(bytesToHex(keyHash))];
    const outputs = keys.map((key) => ({ key, coin: this.#coins.get(key)! }));
    // Outpoint keys are unique: two coins never compare equal.
    outputs.sort((a, b) => a.coin.height - b.coin.height || (a.key < b.key ? -1 : 1));
    return outputs.map(({ key, coin }) => ({ outpoint: outpointOfKey(key), coin }));
  }

  /**
   * Contextual check of a block's transactions (not its header: the network's rules do that)
   * on top of the state `route` reaches; `route.connect` ends with the block's parent, or is
   * empty when the parent is the tip or lies on the way back. Changes nothing; signatures
   * are verified through the signature cache. Answers the block's fees.
   */
  checkBlock(block: BlockRef, route: Route = EMPTY_ROUTE): CheckBlockVerdict {
    const start = this.#reuse(route) ?? this.#walk(route);
    if (block.parentHash !== start.tip || block.height !== start.height + 1 || !HASH_HEX.test(block.hash)) {
      throw new LedgerRouteError(
        `block ${block.hash} (height ${block.height}, parent ${block.parentHash}) does not follow the route's end ${start.tip} (height ${start.height})`,
      );
    }
    const view = new CoinView(start.view);
    const verdict = connectBlock(view, block.payload, block.height, {
      params: this.params,
      genesisHash: this.genesisHash,
      signatures: this.signatures,
    });
    if (!verdict.ok) return verdict;
    view.commitTo(start.view);
    const undo = { hash: block.hash, parentHash: block.parentHash, height: block.height, spent: verdict.spent };
    this.#lastChecked = {
      view: start.view,
      tip: block.hash,
      height: block.height,
      kept: start.kept,
      added: [...start.added, undo],
      disconnected: route.disconnect.length,
    };
    return { ok: true, fees: verdict.fees };
  }

  /**
   * Moves the set along `route` (its blocks already checked by checkBlock) and keeps undo
   * records for the last `undoDepth` blocks. A connected block that fails the rules is a
   * broken invariant: nothing is changed and an Error is thrown.
   */
  reorganize(route: Route): LedgerChange {
    const walk = this.#reuse(route) ?? this.#walk(route);
    this.#lastChecked = undefined;
    walk.view.commitTo(this.#coins);
    this.#undo.splice(walk.kept);
    this.#undo.push(...walk.added);
    this.#undo.splice(0, Math.max(0, this.#undo.length - this.undoDepth));
    this.#tip = walk.tip;
    this.#height = walk.height;
    return {
      returned: returnedTransfers(route),
      disconnected: route.disconnect.map((block) => block.payload),
      connected: route.connect.map((block) => block.payload),
    };
  }

  /**
   * The state at the last checked block, when `route` ends there: from the same tip, the
   * same number of disconnections and the same last block, the route can only be the same.
   * (It was checked from the current tip: reorganize, the only thing that moves the tip,
   * forgets it.)
   */
  #reuse(route: Route): Walk | undefined {
    const last = this.#lastChecked;
    const end = route.connect.at(-1);
    if (!last || !end) return undefined;
    if (end.hash !== last.tip || route.disconnect.length !== last.disconnected) return undefined;
    return last;
  }

  /** Follows `route` in a view over the set, checking that it starts at the tip and links up. */
  #walk(route: Route): Walk {
    const view = new CoinView(this.#coins);
    let tip = this.#tip;
    let height = this.#height;
    let kept = this.#undo.length;
    if (route.disconnect.length > kept) {
      throw new LedgerRouteError(
        `route disconnects ${route.disconnect.length} blocks; undo records are kept for ${kept}`,
      );
    }
    for (const block of route.disconnect) {
      const undo = this.#undo[kept - 1]!;
      if (block.hash !== tip || undo.hash !== tip || block.height !== height) {
        throw new LedgerRouteError(`route disconnects ${block.hash} (height ${block.height}); the tip is ${tip}`);
      }
      disconnectBlock(view, block.payload, undo);
      kept--;
      tip = undo.parentHash;
      height--;
    }
    const added: UndoRecord[] = [];
    for (const block of route.connect) {
      if (block.parentHash !== tip || block.height !== height + 1 || !HASH_HEX.test(block.hash)) {
        throw new LedgerRouteError(
          `route connects ${block.hash} (height ${block.height}, parent ${block.parentHash}) after ${tip} (height ${height})`,
        );
      }
      // A block on a route was checked when the tree accepted it: only its signatures, which
      // do not depend on the state, are not verified again.
      const verdict = connectBlock(view, block.payload, block.height, {
        params: this.params,
        genesisHash: this.genesisHash,
        signatures: undefined,
      });
      if (!verdict.ok) {
        throw new Error(
          `block ${block.hash} on the route fails the ledger rules: ${verdict.reason}: ${verdict.detail}`,
        );
      }
      added.push({ hash: block.hash, parentHash: block.parentHash, height: block.height, spent: verdict.spent });
      tip = block.hash;
      height++;
    }
    return { view, tip, height, kept, added };
  }
}

/** Transfers of the route's disconnected blocks that its connected blocks do not hold, oldest first. */
function returnedTransfers(route: Route): TransferTx[] {
  if (route.disconnect.length === 0) return [];
  const confirmed = new Set<string>();
  for (const block of route.connect) {
    // The coinbases' txids go in too: no transfer can have one, so they change nothing.
    for (const tx of block.payload.transactions) confirmed.add(bytesToHex(txid(tx)));
  }
  const returned: TransferTx[] = [];
  for (let b = route.disconnect.length - 1; b >= 0; b--) {
    for (const tx of route.disconnect[b]!.payload.transactions) {
      if (tx.kind === 'transfer' && !confirmed.has(bytesToHex(txid(tx)))) returned.push(tx);
    }
  }
  return returned;
}
