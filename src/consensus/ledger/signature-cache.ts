/**
 * Remembers which transfers' signatures verified, and which did not, so that a block of
 * transactions already in the mempool is not verified a second time and a repeated invalid
 * transaction costs a hash rather than an ed25519 verification (docs/ledger.md).
 *
 * Entries are keyed by txid and hold a digest of the signature bytes: the txid leaves the
 * signatures out, so a copy of a verified transaction with other signature bytes (a third
 * party's modification) is a different entry and is verified on its own. A signature's
 * validity depends only on the transaction and the network's genesis hash, never on the
 * ledger's state, so results never go stale; one cache serves one network.
 */
import { createHash } from 'node:crypto';
import { checkTransferSignatures, type SignatureVerdict, type TransferTx } from '../../primitives/tx.js';

/** Verified transfers remembered at most (least recently used dropped first). */
export const DEFAULT_VERIFIED_ENTRIES = 50_000;
/** Transfers with a failing signature remembered at most. */
export const DEFAULT_FAILED_ENTRIES = 10_000;

export interface SignatureCacheLimits {
  verifiedEntries?: number;
  failedEntries?: number;
}

/** SHA-256 of every input's signature, in order (hex). */
export function signaturesDigest(tx: TransferTx): string {
  const hash = createHash('sha256');
  for (const input of tx.inputs) hash.update(input.signature);
  return hash.digest('hex');
}

/** A map bounded to `capacity` entries that drops the least recently used one first. */
class LruMap<V> {
  readonly capacity: number;
  readonly #map = new Map<string, V>();

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new RangeError(`capacity must be >= 0, got ${capacity}`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: string): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      // Map iteration follows insertion order: re-inserting marks the entry as most recent.
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.#map.delete(key);
    if (this.capacity === 0) return;
    if (this.#map.size >= this.capacity) this.#map.delete(this.#map.keys().next().value!);
    this.#map.set(key, value);
  }
}

export class SignatureCache {
  /** txid -> digest of the signatures that verified. */
  readonly #verified: LruMap<string>;
  /** `<txid>:<signatures digest>` -> the failing verdict. */
  readonly #failed: LruMap<SignatureVerdict & { ok: false }>;
  #hits = 0;
  #verifications = 0;

  constructor(limits: SignatureCacheLimits = {}) {
    this.#verified = new LruMap(limits.verifiedEntries ?? DEFAULT_VERIFIED_ENTRIES);
    this.#failed = new LruMap(limits.failedEntries ?? DEFAULT_FAILED_ENTRIES);
  }

  get size(): { verified: number; failed: number } {
    return { verified: this.#verified.size, failed: this.#failed.size };
  }

  /** Answers from the cache and ed25519 verifications done so far (for diagnostics and benchmarks). */
  get stats(): { hits: number; verifications: number } {
    return { hits: this.#hits, verifications: this.#verifications };
  }

  /** The verdict remembered for these exact signatures of `txidHex`, if any (no verification). */
  lookup(tx: TransferTx, txidHex: string): SignatureVerdict | undefined {
    const digest = signaturesDigest(tx);
    if (this.#verified.get(txidHex) === digest) return { ok: true };
    return this.#failed.get(`${txidHex}:${digest}`);
  }

  /**
   * The signatures' verdict: from the cache when these exact signatures were seen, else by
   * verifying them against `genesisHash` and remembering the answer.
   */
  check(tx: TransferTx, txidHex: string, genesisHash: Uint8Array): SignatureVerdict {
    const digest = signaturesDigest(tx);
    if (this.#verified.get(txidHex) === digest) {
      this.#hits++;
      return { ok: true };
    }
    const failedKey = `${txidHex}:${digest}`;
    const failed = this.#failed.get(failedKey);
    if (failed) {
      this.#hits++;
      return failed;
    }
    this.#verifications++;
    const verdict = checkTransferSignatures(tx, genesisHash);
    if (verdict.ok) this.#verified.set(txidHex, digest);
    else this.#failed.set(failedKey, verdict);
    return verdict;
  }
}
