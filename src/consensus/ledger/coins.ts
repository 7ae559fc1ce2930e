/**
 * Unspent outputs ("coins"): what one is, how an outpoint is named as a map key, the set of
 * them that the ledger keeps (with an owner index and a running total), and a copy-on-write
 * view over a set, so that a block can be checked, or a whole reorganisation prepared,
 * without touching the set until it is known to succeed (docs/ledger.md).
 */
import { bytesToHex, hexToBytes } from '../../primitives/bytes.js';
import type { OutPoint } from '../../primitives/tx.js';

export interface Coin {
  /** Base units, 1 .. MAX_MONEY. */
  readonly amount: bigint;
  /** The owner's key hash (20 bytes). */
  readonly keyHash: Uint8Array;
  /** Height of the block whose transaction created it. */
  readonly height: number;
  /** Created by a coinbase: spendable only from height + coinbase maturity on. */
  readonly coinbase: boolean;
}

/** An unspent output with its name, as the ledger's queries answer it. */
export interface UnspentOutput {
  readonly outpoint: OutPoint;
  readonly coin: Coin;
}

/** The map key of an outpoint: `<txid hex>:<index>`. */
export function outpointKey(txidHex: string, index: number): string {
  return `${txidHex}:${index}`;
}

export function keyOfOutpoint(outpoint: OutPoint): string {
  return outpointKey(bytesToHex(outpoint.txid), outpoint.index);
}

export function outpointOfKey(key: string): OutPoint {
  const colon = key.indexOf(':');
  return { txid: hexToBytes(key.slice(0, colon)), index: Number(key.slice(colon + 1)) };
}

/** Anything coins can be looked up in by outpoint key. */
export interface CoinSource {
  get(key: string): Coin | undefined;
}

/** The unspent-output set: coins by outpoint, outpoints by owner, and the sum of all amounts. */
export class CoinSet implements CoinSource {
  readonly #coins = new Map<string, Coin>();
  readonly #byOwner = new Map<string, Set<string>>();
  #total = 0n;

  get size(): number {
    return this.#coins.size;
  }

  /** Sum of every coin's amount. */
  get total(): bigint {
    return this.#total;
  }

  get(key: string): Coin | undefined {
    return this.#coins.get(key);
  }

  /** Adds a coin; the outpoint must not be unspent already (a broken invariant otherwise). */
  add(key: string, coin: Coin): void {
    if (this.#coins.has(key)) throw new Error(`coin ${key} is already unspent`);
    this.#coins.set(key, coin);
    const owner = bytesToHex(coin.keyHash);
    let keys = this.#byOwner.get(owner);
    if (!keys) this.#byOwner.set(owner, (keys = new Set()));
    keys.add(key);
    this.#total += coin.amount;
  }

  /** Removes and returns a coin; it must be unspent (a broken invariant otherwise). */
  spend(key: string): Coin {
    const coin = this.#coins.get(key);
    if (!coin) throw new Error(`coin ${key} is not unspent`);
    this.#coins.delete(key);
    const owner = bytesToHex(coin.keyHash);
    const keys = this.#byOwner.get(owner)!;
    keys.delete(key);
    if (keys.size === 0) this.#byOwner.delete(owner);
    this.#total -= coin.amount;
    return coin;
  }

  /** The outpoint keys of the coins paying `keyHashHex` (empty when there are none). */
  keysOf(keyHashHex: string): ReadonlySet<string> {
    return this.#byOwner.get(keyHashHex) ?? new Set();
  }

  entries(): IterableIterator<[string, Coin]> {
    return this.#coins.entries();
  }
}

/**
 * A copy-on-write layer over a coin source: spends and additions are recorded here and
 * reach the base only through `commitTo`. A coin spent and then added again (a block
 * disconnected, then another creating the same outpoint) is handled by checking the added
 * coins first.
 */
export class CoinView implements CoinSource {
  readonly #base: CoinSource;
  readonly #added = new Map<string, Coin>();
  readonly #removed = new Set<string>();

  constructor(base: CoinSource) {
    this.#base = base;
  }

  get(key: string): Coin | undefined {
    const added = this.#added.get(key);
    if (added) return added;
    return this.#removed.has(key) ? undefined : this.#base.get(key);
  }

  add(key: string, coin: Coin): void {
    if (this.get(key)) throw new Error(`coin ${key} is already unspent`);
    this.#added.set(key, coin);
  }

  /** Removes and returns a coin that must be unspent in this view. */
  spend(key: string): Coin {
    const coin = this.get(key);
    if (!coin) throw new Error(`coin ${key} is not unspent`);
    this.#added.delete(key);
    if (this.#base.get(key)) this.#removed.add(key);
    return coin;
  }

  /** Applies this view's changes to `target`, which must be what this view was made over. */
  commitTo(target: CoinSet | CoinView): void {
    if (target !== this.#base) throw new Error('a view commits only to its own base');
    for (const key of this.#removed) target.spend(key);
    for (const [key, coin] of this.#added) target.add(key, coin);
  }
}
