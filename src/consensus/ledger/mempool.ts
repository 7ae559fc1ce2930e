/**
 * The mempool: valid transfers waiting for a block (policy and reasons: docs/ledger.md
 * "Mempool"). Bounded by count and bytes; the first transaction seen wins a conflict (no
 * replacement); when full, the entry with the lowest fee rate (counting its descendants
 * when they pay more) leaves with its descendants, and only for a transaction paying a
 * higher rate. Transfers may spend outputs of other pool transfers (unconfirmed chains,
 * bounded by ancestor and descendant counts). Block templates are filled by fee rate,
 * a transaction's unconfirmed ancestors counted with it and placed before it.
 *
 * Every check that needs no signature runs first (syntax, size, inputs known and unspent,
 * no conflict, ownership, fee rate, room in a full pool); the signatures come last, through
 * the ledger's signature cache. Pure: no I/O and no clock.
 */
import { bytesToHex, equalBytes } from '../../primitives/bytes.js';
import { keyHash } from '../../primitives/coin-address.js';
import { MAX_MONEY, type NetworkParams } from '../../primitives/params.js';
import type { BlockPayload } from '../../primitives/payload.js';
import { checkTxSyntax, encodeTx, txid, type Transaction, type TransferTx } from '../../primitives/tx.js';
import { outpointKey, type Coin } from './coins.js';
import type { LedgerChange } from './ledger.js';
import { MaxHeap } from './max-heap.js';
import type { SignatureCache } from './signature-cache.js';
import { transferBudget } from './template.js';

/** What the mempool reads of the ledger (Ledger has it). */
export interface LedgerView {
  readonly params: NetworkParams;
  readonly genesisHash: Uint8Array;
  readonly signatures: SignatureCache;
  /** Height of the ledger's tip: a pool transfer must be valid in the block after it. */
  readonly height: number;
  coinAt(key: string): Coin | undefined;
}

export interface MempoolLimits {
  /** Transactions held at most (default 10,000). */
  maxCount?: number;
  /** Encoded bytes held at most (default 4 MiB). */
  maxBytes?: number;
  /** Lowest fee accepted, in base units per encoded byte (default 1). */
  minFeeRate?: bigint;
  /** Largest transaction accepted (default 16 KiB; never more than a block template holds). */
  maxTxBytes?: number;
  /** Most unconfirmed transactions in a chain ending with a new one, itself included (default 25). */
  maxAncestors?: number;
  /** Most unconfirmed transactions descending from one, itself included (default 25). */
  maxDescendants?: number;
}

export const DEFAULT_MEMPOOL_LIMITS: Required<MempoolLimits> = {
  maxCount: 10_000,
  maxBytes: 4 * 1024 * 1024,
  minFeeRate: 1n,
  maxTxBytes: 16 * 1024,
  maxAncestors: 25,
  maxDescendants: 25,
};

export type MempoolRefusalReason =
  | 'not-transfer'
  | 'malformed'
  | 'too-large'
  | 'already-known'
  | 'already-confirmed'
  | 'conflict'
  | 'missing-inputs'
  | 'immature'
  | 'wrong-key'
  | 'outputs-exceed-inputs'
  | 'fee-too-low'
  | 'too-long-chain'
  | 'pool-full'
  | 'bad-signature';

export type MempoolRefusal = { ok: false; reason: MempoolRefusalReason; detail: string };
export type PrecheckVerdict = { ok: true; txid: string; fee: bigint; bytes: number } | MempoolRefusal;
export type AddVerdict = { ok: true; txid: string; evicted: string[] } | MempoolRefusal;

export interface MempoolEntry {
  readonly tx: TransferTx;
  readonly txid: string;
  /** Encoded size. */
  readonly bytes: number;
  readonly fee: bigint;
  /** fee / bytes, a float used only to order entries. */
  readonly feeRate: number;
  /** Arrival order; a transaction always arrives after its pool parents. */
  readonly sequence: number;
}

export interface Selection {
  /** Parents before children. */
  transactions: TransferTx[];
  fees: bigint;
  bytes: number;
}

export interface PoolUpdate {
  /** Pool transactions that a connected block holds. */
  confirmed: string[];
  /** Pool transactions no longer valid (a conflict, an input gone or immature again) or evicted. */
  dropped: string[];
  /** Returned transfers that are back in the pool (after any trimming). */
  restored: number;
}

/** Outputs of transactions waiting for verification, by txid (the verification queue's). */
export type PendingLookup = (txidHex: string) => TransferTx | undefined;

interface PoolNode extends MempoolEntry {
  readonly parents: Set<PoolNode>;
  readonly children: Set<PoolNode>;
  /** Sums over this entry and every pool descendant. */
  descendantFee: bigint;
  descendantBytes: number;
  descendantCount: number;
}

interface Evaluated {
  ok: true;
  tx: TransferTx;
  txid: string;
  bytes: number;
  fee: bigint;
  parents: Set<PoolNode>;
  ancestors: Set<PoolNode>;
}

const refusal = (reason: MempoolRefusalReason, detail: string): MempoolRefusal => ({ ok: false, reason, detail });

/** Eviction order: the higher of an entry's own rate and its rate with its descendants. */
const evictionScore = (node: PoolNode): number =>
  Math.max(node.feeRate, Number(node.descendantFee) / node.descendantBytes);

/**
 * Every pool ancestor of a transaction whose pool parents are `parents`, or undefined as
 * soon as there are more than `limit` (the walk stops there).
 */
function ancestorsWithin(parents: Iterable<PoolNode>, limit: number): Set<PoolNode> | undefined {
  const found = new Set<PoolNode>();
  const stack = [...parents];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (found.has(node)) continue;
    found.add(node);
    if (found.size > limit) return undefined;
    for (const parent of node.parents) stack.push(parent);
  }
  return found;
}

/** Every pool ancestor of a transaction whose pool parents are `parents`. */
const ancestorsOf = (parents: Iterable<PoolNode>): Set<PoolNode> => ancestorsWithin(parents, Infinity)!;

/** The lowest eviction score among `nodes` (Infinity for none). */
function lowestScore(nodes: Iterable<PoolNode>): number {
  let lowest = Infinity;
  for (const node of nodes) lowest = Math.min(lowest, evictionScore(node));
  return lowest;
}

function descendantsOf(node: PoolNode): Set<PoolNode> {
  const found = new Set<PoolNode>();
  const stack = [...node.children];
  while (stack.length > 0) {
    const child = stack.pop()!;
    if (found.has(child)) continue;
    found.add(child);
    for (const grandchild of child.children) stack.push(grandchild);
  }
  return found;
}

const bySequence = (a: MempoolEntry, b: MempoolEntry): number => a.sequence - b.sequence;

export class Mempool {
  readonly limits: Required<MempoolLimits>;
  readonly #entries = new Map<string, PoolNode>();
  /** Which pool transaction spends each outpoint. */
  readonly #spends = new Map<string, PoolNode>();
  #bytes = 0;
  #sequence = 0;
  /** The lowest eviction score, computed when a full pool needs it and forgotten on every change. */
  #lowestScore: number | undefined;

  constructor(limits: MempoolLimits = {}) {
    this.limits = { ...DEFAULT_MEMPOOL_LIMITS, ...limits };
    const { maxCount, maxBytes, minFeeRate, maxTxBytes, maxAncestors, maxDescendants } = this.limits;
    for (const [name, value] of Object.entries({ maxCount, maxBytes, maxTxBytes, maxAncestors, maxDescendants })) {
      if (!Number.isSafeInteger(value) || value < 1)
        throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
    if (minFeeRate < 0n) throw new RangeError(`minFeeRate must be >= 0, got ${minFeeRate}`);
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(txid: string): MempoolEntry | undefined {
    return this.#entries.get(txid);
  }

  has(txid: string): boolean {
    return this.#entries.has(txid);
  }

  /** Every entry in arrival order (parents before children). */
  entries(): IterableIterator<MempoolEntry> {
    return this.#entries.values();
  }

  /** The pool transaction spending an outpoint key (`<txid hex>:<index>`), if any. */
  spenderOf(key: string): MempoolEntry | undefined {
    return this.#spends.get(key);
  }

  /**
   * The checks that need no signature, against the ledger and the pool: what add() would
   * answer if the signatures verify. `pending` lets a transfer spend outputs of transfers
   * still waiting for verification (they are added first).
   */
  precheck(tx: Transaction, ledger: LedgerView, pending?: PendingLookup): PrecheckVerdict {
    const verdict = this.#evaluate(tx, ledger, { pending, ignoreFullness: false });
    return verdict.ok ? { ok: true, txid: verdict.txid, fee: verdict.fee, bytes: verdict.bytes } : verdict;
  }

  /** Adds a transfer after the cheap checks and then its signatures; says which entries it evicted. */
  add(tx: Transaction, ledger: LedgerView): AddVerdict {
    const verdict = this.#evaluate(tx, ledger, { pending: undefined, ignoreFullness: false });
    if (!verdict.ok) return verdict;
    const signatures = ledger.signatures.check(verdict.tx, verdict.txid, ledger.genesisHash);
    if (!signatures.ok) return refusal('bad-signature', signatures.reason);
    const victims = this.#planEviction(verdict);
    if (!victims) {
      return refusal('pool-full', `fee rate ${this.#rateText(verdict)} does not beat the entries it would evict`);
    }
    const evicted = this.#removeAll(victims);
    this.#insert(verdict);
    return { ok: true, txid: verdict.txid, evicted };
  }

  /** After `payload` was connected: its transfers leave the pool, and so does whatever conflicts with them. */
  onBlockConnected(payload: BlockPayload): PoolUpdate {
    const confirmed: string[] = [];
    const dropped: string[] = [];
    for (const tx of payload.transactions) {
      if (tx.kind !== 'transfer') continue;
      const id = bytesToHex(txid(tx));
      const node = this.#entries.get(id);
      if (node) {
        // Its pool ancestors were confirmed before it (the block spends parents first):
        // its children stay, now spending confirmed outputs.
        this.#remove(node);
        confirmed.push(id);
        continue;
      }
      for (const input of tx.inputs) {
        const spender = this.#spends.get(outpointKey(bytesToHex(input.txid), input.index));
        if (spender) dropped.push(...this.#removeAll(new Set([spender, ...descendantsOf(spender)])));
      }
    }
    return { confirmed, dropped, restored: 0 };
  }

  /**
   * After a reorganisation that disconnected blocks: the pool is rebuilt against the
   * ledger's new state, the returned transfers first (their signatures verified when their
   * block was checked), then the old entries in arrival order; whatever is no longer valid
   * is dropped, and the lowest fee rates go if the pool is over its limits.
   */
  onReorganized(returned: readonly TransferTx[], ledger: LedgerView): PoolUpdate {
    const old = [...this.#entries.values()];
    this.#entries.clear();
    this.#spends.clear();
    this.#bytes = 0;
    this.#lowestScore = undefined;
    const returnedIds = new Set<string>();
    for (const tx of returned) {
      const verdict = this.#evaluate(tx, ledger, { pending: undefined, ignoreFullness: true });
      if (verdict.ok) {
        this.#insert(verdict);
        returnedIds.add(verdict.txid);
      }
    }
    const dropped: string[] = [];
    for (const node of old) {
      const verdict = this.#evaluate(node.tx, ledger, { pending: undefined, ignoreFullness: true });
      if (verdict.ok) this.#insert(verdict);
      else dropped.push(node.txid);
    }
    dropped.push(...this.#trim());
    const restored = [...returnedIds].filter((id) => this.#entries.has(id)).length;
    return { confirmed: [], dropped, restored };
  }

  /** Follows a ledger change: the fast path when blocks were only connected, a rebuild otherwise. */
  follow(change: LedgerChange, ledger: LedgerView): PoolUpdate {
    if (change.disconnected.length === 0) {
      const update: PoolUpdate = { confirmed: [], dropped: [], restored: 0 };
      for (const payload of change.connected) {
        const step = this.onBlockConnected(payload);
        update.confirmed.push(...step.confirmed);
        update.dropped.push(...step.dropped);
      }
      return update;
    }
    const before = new Set(this.#entries.keys());
    const update = this.onReorganized(change.returned, ledger);
    // Coinbases are counted too: no pool transfer has a coinbase's txid.
    const inConnected = new Set<string>();
    for (const payload of change.connected) {
      for (const tx of payload.transactions) inConnected.add(bytesToHex(txid(tx)));
    }
    const confirmed = update.dropped.filter((id) => inConnected.has(id) && before.has(id));
    const dropped = update.dropped.filter((id) => !inConnected.has(id) || !before.has(id));
    return { confirmed, dropped, restored: update.restored };
  }

  /**
   * The transfers of a block template at `height` within `maxBytes`: repeatedly the entry
   * whose package (itself and its ancestors not yet chosen) pays the highest fee rate, the
   * package's members in arrival order, so parents come first. Entries whose inputs the
   * ledger no longer holds, or holds immature at `height`, are left out with their descendants.
   */
  select(maxBytes: number, ledger: LedgerView, height: number): Selection {
    const chosen = new Set<PoolNode>();
    type Candidate = { node: PoolNode; members: PoolNode[]; fee: bigint; bytes: number; rate: number };
    /** Each entry's newest candidate: an older one in the heap is stale. */
    const latest = new Map<PoolNode, Candidate>();
    const heap = new MaxHeap<Candidate>(
      (a, b) => a.rate > b.rate || (a.rate === b.rate && a.node.sequence < b.node.sequence),
    );
    const consider = (node: PoolNode): void => {
      const members = [...ancestorsOf(node.parents)].filter((ancestor) => !chosen.has(ancestor));
      members.push(node);
      let fee = 0n;
      let bytes = 0;
      for (const member of members) {
        fee += member.fee;
        bytes += member.bytes;
      }
      const candidate: Candidate = { node, members, fee, bytes, rate: Number(fee) / bytes };
      latest.set(node, candidate);
      heap.push(candidate);
    };
    for (const node of this.#entries.values()) consider(node);

    const transactions: TransferTx[] = [];
    let fees = 0n;
    let used = 0;
    while (heap.size > 0) {
      const candidate = heap.pop()!;
      const { node, members } = candidate;
      if (latest.get(node) !== candidate || chosen.has(node)) continue;
      if (used + candidate.bytes > maxBytes) continue;
      // A package with a member the ledger cannot spend at `height` is passed over; so is
      // every package of that member's descendants, since each holds the member too.
      if (!members.every((member) => this.#spendableAt(member, ledger, height))) continue;
      members.sort(bySequence);
      const affected = new Set<PoolNode>();
      for (const member of members) {
        chosen.add(member);
        transactions.push(member.tx);
        fees += member.fee;
        used += member.bytes;
        for (const descendant of descendantsOf(member)) affected.add(descendant);
      }
      // The members are among them: chosen now, their new candidates are skipped.
      for (const descendant of affected) consider(descendant);
    }
    return { transactions, fees, bytes: used };
  }

  /** True when every input of `node` that a pool parent does not provide is a coin mature at `height`. */
  #spendableAt(node: PoolNode, ledger: LedgerView, height: number): boolean {
    const parentIds = new Set([...node.parents].map((parent) => parent.txid));
    for (const input of node.tx.inputs) {
      const parentId = bytesToHex(input.txid);
      if (parentIds.has(parentId)) continue;
      const coin = ledger.coinAt(outpointKey(parentId, input.index));
      if (!coin || (coin.coinbase && height < coin.height + ledger.params.coinbaseMaturity)) return false;
    }
    return true;
  }

  #rateText(verdict: { fee: bigint; bytes: number }): string {
    return `${(Number(verdict.fee) / verdict.bytes).toFixed(3)}/byte`;
  }

  #evaluate(
    tx: Transaction,
    ledger: LedgerView,
    options: { pending: PendingLookup | undefined; ignoreFullness: boolean },
  ): Evaluated | MempoolRefusal {
    if (tx.kind !== 'transfer')
      return refusal('not-transfer', 'a coinbase is only valid as the first transaction of a block');
    const syntax = checkTxSyntax(tx);
    if (!syntax.ok) return refusal('malformed', syntax.reason);
    const bytes = encodeTx(tx).length;
    const maxTxBytes = Math.min(this.limits.maxTxBytes, transferBudget(ledger.params));
    if (bytes > maxTxBytes) return refusal('too-large', `transaction is ${bytes} bytes, at most ${maxTxBytes}`);
    const id = bytesToHex(txid(tx));
    if (this.#entries.has(id)) return refusal('already-known', `transaction ${id} is in the pool`);
    for (const index of tx.outputs.keys()) {
      if (ledger.coinAt(outpointKey(id, index))) {
        return refusal('already-confirmed', `transaction ${id} has unspent outputs in the chain`);
      }
    }

    const parents = new Set<PoolNode>();
    const nextHeight = ledger.height + 1;
    let inputs = 0n;
    for (const [i, input] of tx.inputs.entries()) {
      const parentId = bytesToHex(input.txid);
      const key = outpointKey(parentId, input.index);
      const spender = this.#spends.get(key);
      if (spender)
        return refusal('conflict', `input ${i} spends ${key}, already spent by pool transaction ${spender.txid}`);
      let owner: Uint8Array;
      let amount: bigint;
      const coin = ledger.coinAt(key);
      if (coin) {
        if (coin.coinbase && nextHeight < coin.height + ledger.params.coinbaseMaturity) {
          return refusal(
            'immature',
            `input ${i} spends the coinbase of height ${coin.height}, immature until height ${coin.height + ledger.params.coinbaseMaturity}`,
          );
        }
        owner = coin.keyHash;
        amount = coin.amount;
      } else {
        const parent = this.#entries.get(parentId);
        const output = (parent?.tx ?? options.pending?.(parentId))?.outputs[input.index];
        if (!output) return refusal('missing-inputs', `input ${i} spends ${key}, which is not an unspent output`);
        if (parent) parents.add(parent);
        owner = output.keyHash;
        amount = output.amount;
      }
      if (!equalBytes(keyHash(input.publicKey), owner)) {
        return refusal('wrong-key', `input ${i}: public key does not match the spent output's key hash`);
      }
      inputs += amount;
      if (inputs > MAX_MONEY) return refusal('malformed', `inputs add up to more than MAX_MONEY (${MAX_MONEY})`);
    }
    let outputs = 0n;
    for (const output of tx.outputs) outputs += output.amount;
    if (outputs > inputs) return refusal('outputs-exceed-inputs', `outputs (${outputs}) exceed inputs (${inputs})`);
    const fee = inputs - outputs;
    if (fee < this.limits.minFeeRate * BigInt(bytes)) {
      return refusal(
        'fee-too-low',
        `fee ${fee} for ${bytes} bytes is below the minimum of ${this.limits.minFeeRate} per byte (${this.limits.minFeeRate * BigInt(bytes)})`,
      );
    }

    const { maxAncestors, maxDescendants } = this.limits;
    const ancestors = ancestorsWithin(parents, maxAncestors - 1);
    if (!ancestors) {
      return refusal('too-long-chain', `more than ${maxAncestors - 1} unconfirmed ancestors`);
    }
    for (const ancestor of ancestors) {
      if (ancestor.descendantCount + 1 > maxDescendants) {
        return refusal(
          'too-long-chain',
          `pool transaction ${ancestor.txid} already has ${maxDescendants - 1} unconfirmed descendants`,
        );
      }
    }
    if (!options.ignoreFullness && this.#wouldOverflow(bytes)) {
      const lowest = this.#lowest();
      if (Number(fee) / bytes <= lowest) {
        return refusal(
          'pool-full',
          `fee rate ${this.#rateText({ fee, bytes })} does not beat the pool's lowest (${lowest.toFixed(3)}/byte)`,
        );
      }
    }
    return { ok: true, tx, txid: id, bytes, fee, parents, ancestors };
  }

  #wouldOverflow(extraBytes: number): boolean {
    return this.#entries.size + 1 > this.limits.maxCount || this.#bytes + extraBytes > this.limits.maxBytes;
  }

  #lowest(): number {
    return (this.#lowestScore ??= lowestScore(this.#entries.values()));
  }

  /**
   * The entries to evict so that `candidate` fits: lowest score first, each with its
   * descendants, never an ancestor of the candidate. Undefined when that would evict an
   * entry scoring at least the candidate's fee rate.
   */
  #planEviction(candidate: Evaluated): Set<PoolNode> | undefined {
    const victims = new Set<PoolNode>();
    const rate = Number(candidate.fee) / candidate.bytes;
    let count = this.#entries.size;
    let bytes = this.#bytes;
    while (count + 1 > this.limits.maxCount || bytes + candidate.bytes > this.limits.maxBytes) {
      let worst: PoolNode | undefined;
      let worstScore = Infinity;
      for (const node of this.#entries.values()) {
        if (victims.has(node) || candidate.ancestors.has(node)) continue;
        const score = evictionScore(node);
        // Entries come in arrival order: among equal scores the newest goes, the first seen stays.
        if (score <= worstScore) {
          worst = node;
          worstScore = score;
        }
      }
      if (!worst || worstScore >= rate) return undefined;
      for (const victim of [worst, ...descendantsOf(worst)]) {
        if (victims.has(victim)) continue;
        victims.add(victim);
        count--;
        bytes -= victim.bytes;
      }
    }
    return victims;
  }

  /** Evicts the lowest scores, each with its descendants, until the pool is within its limits. */
  #trim(): string[] {
    const over = (): boolean => this.#entries.size > this.limits.maxCount || this.#bytes > this.limits.maxBytes;
    const order = [...this.#entries.values()].sort(
      (a, b) => evictionScore(a) - evictionScore(b) || b.sequence - a.sequence,
    );
    const evicted: string[] = [];
    for (const node of order) {
      if (!over()) break;
      if (this.#entries.get(node.txid) !== node) continue;
      evicted.push(...this.#removeAll(new Set([node, ...descendantsOf(node)])));
    }
    return evicted;
  }

  #insert(verdict: Evaluated): void {
    const { tx, txid: id, bytes, fee, parents, ancestors } = verdict;
    const node: PoolNode = {
      tx,
      txid: id,
      bytes,
      fee,
      feeRate: Number(fee) / bytes,
      sequence: this.#sequence++,
      parents,
      children: new Set(),
      descendantFee: fee,
      descendantBytes: bytes,
      descendantCount: 1,
    };
    for (const parent of parents) parent.children.add(node);
    for (const ancestor of ancestors) {
      ancestor.descendantFee += fee;
      ancestor.descendantBytes += bytes;
      ancestor.descendantCount++;
    }
    for (const input of tx.inputs) this.#spends.set(outpointKey(bytesToHex(input.txid), input.index), node);
    this.#entries.set(id, node);
    this.#bytes += bytes;
    this.#lowestScore = undefined;
  }

  /** Removes entries, children before parents; answers their txids. */
  #removeAll(nodes: Set<PoolNode>): string[] {
    const ordered = [...nodes].sort((a, b) => b.sequence - a.sequence);
    for (const node of ordered) this.#remove(node);
    return ordered.map((node) => node.txid);
  }

  /** Removes one entry; its descendants, if any stay, no longer count it as a parent. */
  #remove(node: PoolNode): void {
    for (const ancestor of ancestorsOf(node.parents)) {
      ancestor.descendantFee -= node.fee;
      ancestor.descendantBytes -= node.bytes;
      ancestor.descendantCount--;
    }
    for (const parent of node.parents) parent.children.delete(node);
    for (const child of node.children) child.parents.delete(node);
    // Each input's outpoint is spent by this entry alone (a conflict is refused).
    for (const input of node.tx.inputs) this.#spends.delete(outpointKey(bytesToHex(input.txid), input.index));
    this.#entries.delete(node.txid);
    this.#bytes -= node.bytes;
    this.#lowestScore = undefined;
  }
}
