/**
 * The chain state of a network with transactions (docs/ledger.md "How the node drives it"),
 * kept beside its block tree: the ledger (unspent outputs at the head, with undo records),
 * the mempool and its verification queue, and an index of the main chain's transactions and
 * of the addresses they touch (for the API and wallets). Pure: no I/O, no clock.
 *
 * The tree asks it about a block's transactions through the rules (checkTransactions, on
 * the route from the ledger's tip to the block's parent); the node tells it when the head
 * moved (followHead: the ledger reorganises, the mempool follows, the index too) and asks it
 * for the transactions of a block to mine (template).
 */
import { bytesToHex, hexToBytes } from '../primitives/bytes.js';
import { KEY_HASH_BYTES, keyHash } from '../primitives/coin-address.js';
import { subsidy } from '../primitives/params.js';
import type { BlockPayload } from '../primitives/payload.js';
import { type Transaction, type TransferTx, txid as txidOf } from '../primitives/tx.js';
import type { Block } from '../primitives/block.js';
import type { BlockTree, TreeEntry } from './block-tree.js';
import {
  type AddVerdict,
  type BatchResult,
  type BlockRef,
  Ledger,
  Mempool,
  type MempoolLimits,
  type PoolUpdate,
  type Route,
  type SubmitVerdict,
  VerificationQueue,
  type VerificationQueueLimits,
  decodeSnapshot,
  routeBetween,
  templateTransactions,
} from './ledger/index.js';
import { keyOfOutpoint, outpointKey } from './ledger/coins.js';
import type { PowchainRules } from './rules/powchain.js';
import type { ChainLink, Refusal } from './rules/rules.js';

export interface ChainStateOptions {
  /** Key hash every block mined here pays; undefined: the coinbase pays no one. */
  payTo?: Uint8Array;
  /** A ledger restored from a snapshot (its tip must be a block of the tree), else the genesis'. */
  ledger?: Ledger;
  mempool?: MempoolLimits;
  queue?: VerificationQueueLimits;
}

/** Where a confirmed transaction is. */
export interface TxLocation {
  readonly tx: Transaction;
  readonly block: string;
  readonly height: number;
}

/** One line of an address's history: a main-chain transaction and what it did to the balance. */
export interface AddressEvent {
  readonly txid: string;
  readonly height: number;
  readonly delta: bigint;
}

interface OutputRecord {
  readonly amount: bigint;
  readonly keyHash: string;
}

/** Addresses kept in the history index at most, and events per address. */
const MAX_HISTORY_PER_ADDRESS = 1_000;

export class ChainState {
  readonly tree: BlockTree;
  readonly rules: PowchainRules;
  readonly ledger: Ledger;
  readonly mempool: Mempool;
  readonly queue: VerificationQueue;
  payTo: Uint8Array | undefined;
  /** Where each main-chain transaction is: its block and its place in it (the transaction itself is read back from the block). */
  readonly #txs = new Map<string, { block: string; height: number; index: number }>();
  readonly #outputs = new Map<string, OutputRecord>();
  readonly #history = new Map<string, AddressEvent[]>();
  /**
   * A ledger from a snapshot arrives without the index of the blocks it holds: the index is
   * then rebuilt from the main chain the first time it is asked (not at start, which it would
   * slow down for every query nobody makes).
   */
  #indexComplete: boolean;

  constructor(tree: BlockTree, rules: PowchainRules, options: ChainStateOptions = {}) {
    this.tree = tree;
    this.rules = rules;
    // Forks deeper than the tree's limit are refused, so undo records that deep suffice.
    this.ledger =
      options.ledger ??
      new Ledger(rules.params, hexToBytes(rules.genesisHash), { undoDepth: tree.limits.maxForkDepth + 10 });
    this.mempool = new Mempool(options.mempool);
    this.queue = new VerificationQueue(this.mempool, options.queue);
    this.payTo = options.payTo;
    this.#indexComplete = options.ledger === undefined;
    if (this.payTo && this.payTo.length !== KEY_HASH_BYTES) throw new RangeError('payTo must be a 20-byte key hash');
  }

  /** The route from the ledger's tip to `to` (a block of the tree). */
  #routeTo(to: TreeEntry): Route {
    const tip = this.tree.get(this.ledger.tip);
    if (!tip) throw new RangeError(`the ledger's tip ${this.ledger.tip.slice(0, 16)} is not in the tree`);
    return routeBetween(tip, to, (entry) => this.#refOf(entry));
  }

  #refOf(entry: TreeEntry): BlockRef {
    if (!entry.parent) throw new RangeError('the genesis has no transactions to route over');
    const decoded = this.rules.payloadOf(entry.block);
    // A block in the tree passed its checks: its payload decodes.
    if (!decoded.ok) throw new RangeError(`a block of the tree has no payload: ${decoded.reason}`);
    return { hash: entry.hash, parentHash: entry.parent.hash, height: entry.height, payload: decoded.value };
  }

  /** The transactions of `block` (on `parent`) against the unspent outputs at its parent. */
  checkTransactions(block: Block, payload: BlockPayload, parent: ChainLink): { ok: true } | Refusal {
    const parentEntry = parent as TreeEntry;
    const ref: BlockRef = { hash: block.hashHex(), parentHash: parentEntry.hash, height: payload.height, payload };
    const verdict = this.ledger.checkBlock(ref, this.#routeTo(parentEntry));
    return verdict.ok ? { ok: true } : { ok: false, reason: verdict.reason, detail: verdict.detail };
  }

  /**
   * Brings the ledger, the mempool and the index to the tree's head (after every head
   * change, and once after a restore). Returns what the mempool did.
   */
  followHead(): PoolUpdate & { connected: number; disconnected: number } {
    // When the head has not moved the route is empty, and so is every change below.
    const route = this.#routeTo(this.tree.head);
    const change = this.ledger.reorganize(route);
    if (this.#indexComplete) {
      for (const ref of route.disconnect) this.#unindex(ref);
      for (const ref of route.connect) this.#index(ref);
    }
    const update = this.mempool.follow(change, this.ledger);
    return { ...update, connected: route.connect.length, disconnected: route.disconnect.length };
  }

  /**
   * The transactions of a block to mine on `parent`: on the ledger's tip, the coinbase
   * (subsidy + fees to payTo) and the mempool's pick; elsewhere, a coinbase alone.
   */
  template(parent: ChainLink, tag: Uint8Array): Transaction[] {
    const height = parent.height + 1;
    if (this.payTo && (parent as TreeEntry).hash === this.ledger.tip) {
      return templateTransactions(this.ledger, this.mempool, { tag, payTo: this.payTo }).transactions;
    }
    const reward = subsidy(this.rules.params, height);
    const outputs = this.payTo && reward > 0n ? [{ amount: reward, keyHash: this.payTo }] : [];
    return [{ kind: 'coinbase', height, tag, outputs }];
  }

  /** A transfer from a peer: the cheap checks now, the signatures in a later batch. */
  submit(tx: Transaction): SubmitVerdict {
    return this.queue.submit(tx, this.ledger);
  }

  /** Verifies the next batch of queued transfers (at most `max` of them); those that pass are in the mempool. */
  runBatch(max?: number): BatchResult[] {
    return this.queue.runBatch(this.ledger, Math.min(max ?? Infinity, this.queue.limits.batchSize));
  }

  /** A transfer from this node's own API: checked fully now (signatures included). */
  add(tx: Transaction): AddVerdict {
    return this.mempool.add(tx, this.ledger);
  }

  /** A confirmed transaction of the main chain, by txid. */
  confirmed(txid: string): TxLocation | undefined {
    this.#completeIndex();
    const place = this.#txs.get(txid);
    const entry = place && this.tree.get(place.block);
    if (!place || !entry) return undefined;
    const tx = this.#refOf(entry).payload.transactions[place.index]!;
    return { tx, block: place.block, height: place.height };
  }

  /** A main-chain output (spent or not), or a mempool transaction's: what an input spends. */
  output(outpoint: { txid: Uint8Array; index: number }): { amount: bigint; keyHash: Uint8Array } | undefined {
    this.#completeIndex();
    const confirmed = this.#outputs.get(keyOfOutpoint(outpoint));
    if (confirmed) return { amount: confirmed.amount, keyHash: hexToBytes(confirmed.keyHash) };
    return this.mempool.get(bytesToHex(outpoint.txid))?.tx.outputs[outpoint.index];
  }

  /** A key hash's history on the main chain, newest first (bounded). */
  history(keyHash: Uint8Array): readonly AddressEvent[] {
    this.#completeIndex();
    return [...(this.#history.get(bytesToHex(keyHash)) ?? [])].reverse();
  }

  /** Indexes the whole main chain up to the ledger's tip, once, when the ledger came from a snapshot. */
  #completeIndex(): void {
    if (this.#indexComplete) return;
    // The maps are empty until now: followHead leaves them alone while the index is incomplete.
    this.#indexComplete = true;
    const tip = this.tree.get(this.ledger.tip)!;
    for (const entry of this.tree.chainTo(tip).slice(1)) this.#index(this.#refOf(entry));
  }

  /** The subsidies of every block up to the ledger's height: what coinbases could create so far. */
  subsidiesPaid(): bigint {
    // Era by era: the subsidy is the same for every height of a halving interval.
    const { halvingInterval } = this.rules.params;
    let total = 0n;
    for (let height = 1; height <= this.ledger.height;) {
      const eraEnd = Math.min(this.ledger.height, (Math.floor(height / halvingInterval) + 1) * halvingInterval - 1);
      total += subsidy(this.rules.params, height) * BigInt(eraEnd - height + 1);
      height = eraEnd + 1;
    }
    return total;
  }

  /** Whether a coin of height `height` may be spent in the next block (coinbase maturity). */
  spendableAt(coin: { height: number; coinbase: boolean }): boolean {
    return !coin.coinbase || this.ledger.height + 1 >= coin.height + this.rules.params.coinbaseMaturity;
  }

  #index(ref: BlockRef): void {
    for (const [index, tx] of ref.payload.transactions.entries()) {
      const id = bytesToHex(txidOf(tx));
      this.#txs.set(id, { block: ref.hash, height: ref.height, index });
      const deltas = new Map<string, bigint>();
      if (tx.kind === 'transfer') {
        for (const input of tx.inputs) {
          const spent = this.#outputs.get(keyOfOutpoint(input));
          const owner = spent?.keyHash ?? bytesToHex(keyHash(input.publicKey));
          deltas.set(owner, (deltas.get(owner) ?? 0n) - (spent?.amount ?? 0n));
        }
      }
      tx.outputs.forEach((output, index) => {
        const owner = bytesToHex(output.keyHash);
        this.#outputs.set(outpointKey(id, index), { amount: output.amount, keyHash: owner });
        deltas.set(owner, (deltas.get(owner) ?? 0n) + output.amount);
      });
      for (const [owner, delta] of deltas) {
        let events = this.#history.get(owner);
        if (!events) this.#history.set(owner, (events = []));
        events.push({ txid: id, height: ref.height, delta });
        if (events.length > MAX_HISTORY_PER_ADDRESS) events.shift();
      }
    }
  }

  #unindex(ref: BlockRef): void {
    for (const tx of ref.payload.transactions) {
      const id = bytesToHex(txidOf(tx));
      this.#txs.delete(id);
      const owners = new Set<string>(tx.outputs.map((output) => bytesToHex(output.keyHash)));
      if (tx.kind === 'transfer') {
        for (const input of tx.inputs) {
          owners.add(this.#outputs.get(keyOfOutpoint(input))?.keyHash ?? bytesToHex(keyHash(input.publicKey)));
        }
      }
      tx.outputs.forEach((_, index) => this.#outputs.delete(outpointKey(id, index)));
      for (const owner of owners) {
        const events = this.#history.get(owner);
        if (!events) continue;
        // A txid is in the main chain once at most (a coinbase's commits to its height, a
        // transfer spends its inputs once): its events are this block's.
        const kept = events.filter((event) => event.txid !== id);
        if (kept.length === 0) this.#history.delete(owner);
        else this.#history.set(owner, kept);
      }
    }
  }
}

/**
 * The ledger a snapshot holds, for a restored `tree` of a network with transactions: usable
 * when it decodes for this network and its tip is a block of the tree's main chain; else
 * why not (the state is then replayed from the genesis).
 */
export function ledgerFromSnapshot(
  tree: BlockTree,
  bytes: Uint8Array,
): { ok: true; ledger: Ledger } | { ok: false; reason: string } {
  const rules = tree.rules as Partial<PowchainRules>;
  if (!rules.params || !rules.genesisHash) return { ok: false, reason: 'this network keeps no chain state' };
  const decoded = decodeSnapshot(bytes, rules.params, hexToBytes(rules.genesisHash), {
    undoDepth: tree.limits.maxForkDepth + 10,
  });
  if (!decoded.ok) return decoded;
  // Its tip may be off the main chain (a crash mid-reorganisation): the undo records walk it back.
  if (!tree.has(decoded.value.tip)) {
    return { ok: false, reason: `its tip ${decoded.value.tip.slice(0, 16)}… is not a stored block` };
  }
  return { ok: true, ledger: decoded.value };
}

/** Whether a transaction is a transfer (what peers and wallets may submit). */
export function isTransfer(tx: Transaction): tx is TransferTx {
  return tx.kind === 'transfer';
}
