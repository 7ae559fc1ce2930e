/**
 * A deterministic ApiSource for tests and for looking at the page without mining: a block
 * tree the caller grows by hand (extend the head, fork anywhere), with the same longest-chain
 * rule as the node (first seen wins a tie), settable peers, refusals and hashrate, and
 * optionally a toy transactions capability. No clock and no randomness: block times are
 * `startTime + height * blockIntervalMs` unless given, and hashes are SHA-256 of a counter.
 */
import { createHash } from 'node:crypto';
import { DEFAULT_TARGET } from '../primitives/target.js';
import type {
  ApiAddress,
  ApiBlock,
  ApiEvent,
  ApiMempool,
  ApiPeer,
  ApiRefusal,
  ApiSource,
  ApiStatus,
  ApiTransactions,
  ApiTree,
  ApiTreeBlock,
  ApiTx,
  SubmitVerdict,
} from './source.js';
import { workForTarget } from '../primitives/target.js';
import { difficultyOf, recentRate, targetHex } from './work.js';

export interface FakeSourceOptions {
  network?: 'seed' | 'powchain';
  name?: string | null;
  target?: bigint;
  /** Time of the genesis block, ms (powchain network only). */
  startTime?: number;
  blockIntervalMs?: number;
  /** Start with a genesis block (default true); false: the node is waiting for one. */
  genesis?: boolean;
  /** Give the source the toy transactions capability. */
  transactions?: boolean;
  /** Refusals kept (the most recent). */
  maxRefusals?: number;
  /** Mixed into every hash: give each fake node of one network its own. */
  seed?: string;
}

export interface FakeEntry {
  readonly hash: string;
  readonly parent: FakeEntry | undefined;
  readonly height: number;
  readonly time: number | null;
  readonly miner: string | null;
  readonly relayedBy: string;
  readonly size: number;
  readonly chainWork: bigint;
  readonly children: FakeEntry[];
}

export interface FakeBlockOptions {
  miner?: string;
  relayedBy?: string;
  time?: number;
}

/** Blocks looked at to estimate the recent interval and the network hashrate. */
const RECENT_BLOCKS = 10;

export class FakeSource implements ApiSource {
  readonly network: 'seed' | 'powchain';
  readonly target: bigint;
  readonly blockIntervalMs: number;
  readonly transactions: ApiTransactions | undefined;
  readonly #name: string | null;
  readonly #startTime: number;
  readonly #work: bigint;
  readonly #entries = new Map<string, FakeEntry>();
  /** Every block by height, forks included: the tree endpoint reads heights >= since. */
  readonly #byHeight: FakeEntry[][] = [];
  /** The main chain by height, kept up to date on every head change (a reorg rewrites its top). */
  readonly #main: FakeEntry[] = [];
  readonly #listeners = new Set<(event: ApiEvent) => void>();
  readonly #maxRefusals: number;
  #refusals: ApiRefusal[] = [];
  #peers: ApiPeer[] = [];
  #hashrate = { total: 0, perThread: [0] };
  #root: FakeEntry | undefined;
  #head: FakeEntry | undefined;
  #counter = 0;
  readonly #seed: string;

  constructor(options: FakeSourceOptions = {}) {
    this.network = options.network ?? 'powchain';
    this.#name = options.name ?? (this.network === 'powchain' ? 'fakenet' : null);
    this.target = options.target ?? DEFAULT_TARGET;
    this.#work = workForTarget(this.target);
    this.#startTime = options.startTime ?? Date.UTC(2025, 0, 1);
    this.blockIntervalMs = options.blockIntervalMs ?? 10_000;
    this.#maxRefusals = options.maxRefusals ?? 100;
    // Two fakes of one network must not mint the same hash for different blocks.
    this.#seed = options.seed ?? '';
    this.transactions = options.transactions ? new FakeTransactions(this) : undefined;
    if (options.genesis ?? true) this.genesis();
  }

  get head(): FakeEntry | undefined {
    return this.#head;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The main-chain block at `height`. */
  mainAt(height: number): string | undefined {
    return this.#main[height]?.hash;
  }

  /** Mines the genesis block (once). */
  genesis(options: FakeBlockOptions = {}): string {
    if (this.#root) throw new Error('the fake chain has a genesis block already');
    return this.#add(undefined, options).hash;
  }

  /** Appends `count` blocks on the head; returns the hash of the last. */
  extend(count = 1, options: FakeBlockOptions = {}): string {
    let hash = this.#requireHead().hash;
    for (let i = 0; i < count; i++) hash = this.mine(hash, options);
    return hash;
  }

  /** Appends one block on `parent` (any block: a fork when it is not the head); returns its hash. */
  mine(parent: string, options: FakeBlockOptions = {}): string {
    const entry = this.#entries.get(parent);
    if (!entry) throw new Error(`no block ${parent} in the fake chain`);
    return this.#add(entry, options).hash;
  }

  /**
   * Takes a block another fake node made (same hash, parent, time and miner): fakes of the
   * nodes of one network share blocks this way. A block known already is ignored.
   */
  receive(
    block: { hash: string; parent: string | null; time: number | null; miner: string | null },
    from: string,
  ): void {
    if (this.#entries.has(block.hash)) return;
    const parent = block.parent === null ? undefined : this.#entries.get(block.parent);
    if (block.parent !== null && !parent) throw new Error(`no parent ${block.parent} in the fake chain`);
    if (!parent && this.#root) throw new Error('the fake chain has a genesis block already');
    this.#add(parent, {
      relayedBy: from,
      ...(block.miner === null ? {} : { miner: block.miner }),
      ...(block.time === null ? {} : { time: block.time }),
      hash: block.hash,
    });
  }

  setHashrate(total: number, perThread: number[]): void {
    this.#hashrate = { total, perThread: [...perThread] };
    this.#emit({ type: 'hashrate', total, perThread: [...perThread], network: this.#networkHashrate() });
  }

  setPeers(peers: ApiPeer[]): void {
    this.#peers = peers.map((peer) => ({ ...peer }));
  }

  refuse(refusal: ApiRefusal): void {
    this.#refusals = [{ ...refusal }, ...this.#refusals].slice(0, this.#maxRefusals);
  }

  /** Sends an event as is (tests of the event stream). */
  emit(event: ApiEvent): void {
    this.#emit(event);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  status(): ApiStatus | undefined {
    const head = this.#head;
    const root = this.#root;
    if (!head || !root) return undefined;
    const rate = this.#recentRate();
    return {
      network: this.network,
      name: this.#name,
      height: head.height,
      head: head.hash,
      root: root.hash,
      target: targetHex(this.target),
      difficulty: difficultyOf(this.target),
      chainWork: head.chainWork.toString(),
      blockIntervalMs: {
        target: this.network === 'powchain' ? this.blockIntervalMs : null,
        recent: rate ? rate.intervalMs : null,
      },
      hashrate: { total: this.#hashrate.total, perThread: [...this.#hashrate.perThread] },
      networkHashrate: rate ? rate.hashesPerSecond : null,
      peers: this.#peers.length,
      mempool: this.#mempoolSize(),
      supply: null,
      engine: 'fake',
      threads: this.#hashrate.perThread.length,
    };
  }

  block(hash: string): ApiBlock | undefined {
    const entry = this.#entries.get(hash);
    return entry ? this.#apiBlock(entry) : undefined;
  }

  blocks(limit: number, before?: number): ApiBlock[] {
    const head = this.#head;
    if (!head) return [];
    const top = Math.min(head.height, (before ?? head.height + 1) - 1);
    const blocks: ApiBlock[] = [];
    for (let height = top; height >= 0 && blocks.length < limit; height--) {
      blocks.push(this.#apiBlock(this.#main[height]!));
    }
    return blocks;
  }

  tree(since: number): ApiTree | undefined {
    const head = this.#head;
    const root = this.#root;
    if (!head || !root) return undefined;
    const blocks: ApiTreeBlock[] = [];
    for (let height = Math.max(0, since); height < this.#byHeight.length; height++) {
      for (const entry of this.#byHeight[height]!) blocks.push(this.#treeBlock(entry));
    }
    return { root: root.hash, head: head.hash, since: Math.max(0, since), blocks };
  }

  peers(): ApiPeer[] {
    return this.#peers.map((peer) => ({ ...peer }));
  }

  refusals(): ApiRefusal[] {
    return this.#refusals.map((refusal) => ({ ...refusal }));
  }

  subscribe(listener: (event: ApiEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: ApiEvent): void {
    for (const listener of [...this.#listeners]) listener(event);
  }

  #requireHead(): FakeEntry {
    if (!this.#head) throw new Error('the fake chain has no genesis block yet');
    return this.#head;
  }

  #add(parent: FakeEntry | undefined, options: FakeBlockOptions & { hash?: string }): FakeEntry {
    const height = parent ? parent.height + 1 : 0;
    const miner = options.miner ?? (parent ? `127.0.0.1:5000:${height}` : 'Genesis');
    const hash =
      options.hash ??
      createHash('sha256')
        .update(`${this.#seed}|${parent?.hash ?? ''}|${miner}|${this.#counter++}`)
        .digest('hex');
    const entry: FakeEntry = {
      hash,
      parent,
      height,
      time: this.network === 'powchain' ? (options.time ?? this.#startTime + height * this.blockIntervalMs) : null,
      miner,
      relayedBy: options.relayedBy ?? 'self',
      size: 120 + miner.length,
      chainWork: (parent?.chainWork ?? 0n) + this.#work,
      children: [],
    };
    parent?.children.push(entry);
    this.#entries.set(hash, entry);
    (this.#byHeight[height] ??= []).push(entry);
    this.#root ??= entry;
    const previousHead = this.#head;
    // First seen wins a tie, as with --tie-break first-seen.
    if (!previousHead || height > previousHead.height) this.#setHead(entry);
    this.#emit({ type: 'block', block: this.#treeBlock(entry) });
    if (this.#head !== previousHead) this.#emit({ type: 'head', height: entry.height, hash: entry.hash });
    return entry;
  }

  #setHead(head: FakeEntry): void {
    this.#head = head;
    this.#main.length = head.height + 1;
    // Walk down only as far as the old main chain differs: a reorg costs its depth.
    for (let entry: FakeEntry | undefined = head; entry && this.#main[entry.height] !== entry; entry = entry.parent) {
      this.#main[entry.height] = entry;
    }
  }

  #mempoolSize(): { count: number; bytes: number } | null {
    if (!this.transactions) return null;
    const { count, bytes } = this.transactions.mempool();
    return { count, bytes };
  }

  #isMain(entry: FakeEntry): boolean {
    return this.#main[entry.height] === entry;
  }

  #recentRate(): { intervalMs: number; hashesPerSecond: number } | null {
    const head = this.#head;
    if (!head || this.network !== 'powchain') return null;
    const times: number[] = [];
    for (let height = Math.max(0, head.height - RECENT_BLOCKS); height <= head.height; height++) {
      times.push(this.#main[height]!.time!);
    }
    return recentRate(times, this.#work);
  }

  #networkHashrate(): number | null {
    return this.#recentRate()?.hashesPerSecond ?? null;
  }

  #treeBlock(entry: FakeEntry): ApiTreeBlock {
    return {
      hash: entry.hash,
      height: entry.height,
      parent: entry.parent?.hash ?? null,
      main: this.#isMain(entry),
      tip: entry.children.length === 0,
      time: entry.time,
      miner: entry.miner,
    };
  }

  #apiBlock(entry: FakeEntry): ApiBlock {
    return {
      hash: entry.hash,
      height: entry.height,
      parent: entry.parent?.hash ?? null,
      time: entry.time,
      target: targetHex(this.target),
      work: this.#work.toString(),
      chainWork: entry.chainWork.toString(),
      miner: entry.miner,
      relayedBy: entry.relayedBy,
      main: this.#isMain(entry),
      size: entry.size,
      transactions: this.transactions ? [] : null,
    };
  }
}

/**
 * A toy transactions capability: an "encoding" is any bytes that start with 0x01 (its txid
 * the SHA-256 of the bytes); it enters the mempool and is never confirmed. Enough to test
 * the routes, nothing like the real format.
 */
class FakeTransactions implements ApiTransactions {
  readonly #mempool = new Map<string, ApiTx>();
  readonly #source: FakeSource;

  constructor(source: FakeSource) {
    this.#source = source;
  }

  tx(txid: string): ApiTx | undefined {
    const tx = this.#mempool.get(txid);
    return tx ? { ...tx } : undefined;
  }

  address(address: string): { ok: true; address: ApiAddress } | { ok: false; reason: string } {
    if (address.length > 90) return { ok: false, reason: 'address is too long' };
    return { ok: true, address: { address, balance: '0', unspent: [], history: [] } };
  }

  mempool(): ApiMempool {
    let bytes = 0;
    for (const tx of this.#mempool.values()) bytes += tx.size;
    return { count: this.#mempool.size, bytes, txids: [...this.#mempool.keys()].reverse() };
  }

  submit(encoded: Uint8Array): SubmitVerdict {
    if (encoded[0] !== 0x01) return { ok: false, reason: 'unknown transaction version' };
    const txid = createHash('sha256').update(encoded).digest('hex');
    if (this.#mempool.has(txid)) return { ok: false, reason: 'already in the mempool' };
    this.#mempool.set(txid, {
      txid,
      block: null,
      height: null,
      size: encoded.length,
      fee: null,
      inputs: [],
      outputs: [],
    });
    this.#source.emit({ type: 'tx', txid, block: null });
    return { ok: true, txid };
  }
}
