/**
 * The way into the mempool for transactions from outside (docs/ledger.md "Verification
 * queue"): `submit` runs the mempool's cheap checks at once and queues what passes;
 * `runBatch` verifies the signatures of a bounded number of queued transactions and adds
 * them. The node calls runBatch between other events (setImmediate), so signature work
 * comes in slices of a few milliseconds and never holds up block relay or the miners, and
 * the queue's bound caps what a flood can make the node hold.
 *
 * A transaction whose signatures failed is remembered by the signature cache, so sending it
 * again costs a hash, not a verification. Pure: no I/O, no clock.
 */
import type { Transaction, TransferTx } from '../../primitives/tx.js';
import type { AddVerdict, LedgerView, Mempool, MempoolRefusal } from './mempool.js';
import { signaturesDigest } from './signature-cache.js';

export interface VerificationQueueLimits {
  /** Transactions waiting at most (default 2,000). */
  maxPending?: number;
  /** Transactions verified per runBatch call (default 32: about 2 ms of ed25519 on one core). */
  batchSize?: number;
}

export const DEFAULT_QUEUE_LIMITS: Required<VerificationQueueLimits> = { maxPending: 2_000, batchSize: 32 };

export type SubmitVerdict = { ok: true; txid: string } | MempoolRefusal | { ok: false; reason: 'busy'; detail: string };

export interface BatchResult {
  txid: string;
  verdict: AddVerdict;
}

export class VerificationQueue {
  readonly limits: Required<VerificationQueueLimits>;
  readonly #mempool: Mempool;
  /** Waiting transactions by `<txid>:<signatures digest>`, in arrival order. */
  readonly #pending = new Map<string, { tx: TransferTx; txid: string }>();
  /** Waiting transactions by txid (copies may differ in their signatures, never in their outputs). */
  readonly #pendingTxids = new Map<string, { tx: TransferTx; count: number }>();

  constructor(mempool: Mempool, limits: VerificationQueueLimits = {}) {
    this.limits = { ...DEFAULT_QUEUE_LIMITS, ...limits };
    for (const [name, value] of Object.entries(this.limits)) {
      if (!Number.isSafeInteger(value) || value < 1)
        throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
    this.#mempool = mempool;
  }

  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Cheap checks now (a transfer may spend outputs of waiting ones); queued when they pass.
   * Copies of one transaction with different signature bytes queue separately, so a forged
   * copy sent first cannot shut out the genuine one; a copy whose signatures failed before
   * is refused at once.
   */
  submit(tx: Transaction, ledger: LedgerView): SubmitVerdict {
    const verdict = this.#mempool.precheck(tx, ledger, (id) => this.#pendingTxids.get(id)?.tx);
    if (!verdict.ok) return verdict;
    const transfer = tx as TransferTx;
    const identity = `${verdict.txid}:${signaturesDigest(transfer)}`;
    if (this.#pending.has(identity)) {
      return { ok: false, reason: 'already-known', detail: `transaction ${verdict.txid} is queued` };
    }
    const known = ledger.signatures.lookup(transfer, verdict.txid);
    if (known?.ok === false) return { ok: false, reason: 'bad-signature', detail: known.reason };
    if (this.#pending.size >= this.limits.maxPending) {
      return { ok: false, reason: 'busy', detail: `${this.#pending.size} transactions wait for verification` };
    }
    this.#pending.set(identity, { tx: transfer, txid: verdict.txid });
    const copies = this.#pendingTxids.get(verdict.txid);
    if (copies) copies.count++;
    else this.#pendingTxids.set(verdict.txid, { tx: transfer, count: 1 });
    return { ok: true, txid: verdict.txid };
  }

  /** Verifies and adds up to `count` waiting transactions, oldest first. */
  runBatch(ledger: LedgerView, count = this.limits.batchSize): BatchResult[] {
    const results: BatchResult[] = [];
    for (const [identity, { tx, txid: id }] of this.#pending) {
      if (results.length >= count) break;
      this.#pending.delete(identity);
      const copies = this.#pendingTxids.get(id)!;
      if (--copies.count === 0) this.#pendingTxids.delete(id);
      results.push({ txid: id, verdict: this.#mempool.add(tx, ledger) });
    }
    return results;
  }
}
