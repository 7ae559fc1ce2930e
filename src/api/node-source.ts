/**
 * An ApiSource over a miner node as it is today (node/miner-node.ts): it reads the node's
 * block tree and follows the node's events (the `--log json` events), keeping what the
 * tree does not: who relayed each block, when it arrived, the main chain by height, the
 * blocks by height, recent refusals, and the last hashrate. Created before node.run(), it
 * sees every event. What the node does not expose yet (its peer table), a caller may pass
 * in; without it peers are what the events showed.
 */
import type { BlockTree, TreeEntry } from '../consensus/block-tree.js';
import { formatAddress, type PeerAddress } from '../net/address.js';
import type { NodeEvent, NodeEventListener } from '../node/events.js';
import { encodeBlock } from '../primitives/wire.js';
import type { ApiBlock, ApiEvent, ApiPeer, ApiRefusal, ApiSource, ApiStatus, ApiTree, ApiTreeBlock } from './source.js';
import { difficultyOf, recentRate, targetHex, workForTarget } from './work.js';

/** The parts of a miner node this source reads (MinerNode has them). */
export interface ObservableNode {
  readonly tree: BlockTree | undefined;
  readonly target: bigint;
  readonly peers: readonly PeerAddress[];
  onEvent(listener: NodeEventListener): void;
}

export interface NodeSourceOptions {
  /** The node's peers as its peer table knows them; default: what the node's events showed. */
  peers?: () => ApiPeer[];
  /** Refusals kept (the most recent). */
  maxRefusals?: number;
  now?: () => number;
}

/** Main-chain blocks whose arrival times estimate the recent interval (the seed's blocks carry no time). */
const RECENT_BLOCKS = 10;
const MINER_TAG = /^[\x20-\x7e]{1,100}$/;

interface Arrival {
  relayedBy: string;
  time: number | null;
}

export class NodeSource implements ApiSource {
  readonly #node: ObservableNode;
  readonly #options: NodeSourceOptions;
  readonly #now: () => number;
  readonly #work: bigint;
  readonly #listeners = new Set<(event: ApiEvent) => void>();
  readonly #arrivals = new Map<string, Arrival>();
  readonly #byHeight: string[][] = [];
  readonly #main: string[] = [];
  readonly #heard = new Map<string, ApiPeer>();
  #refusals: ApiRefusal[] = [];
  #hashrate = { total: 0, perThread: [] as number[] };
  #engine = 'unknown';
  #threads = 0;
  #indexedTree: BlockTree | undefined;

  constructor(node: ObservableNode, options: NodeSourceOptions = {}) {
    this.#node = node;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#work = workForTarget(node.target);
    // A tree present now was restored from disk.
    this.#index('disk', null);
    node.onEvent((event) => this.#onNodeEvent(event));
  }

  status(): ApiStatus | undefined {
    const tree = this.#node.tree;
    if (!tree) return undefined;
    this.#index('disk', null);
    const rate = this.#recentRate(tree);
    return {
      network: 'seed',
      name: null,
      height: tree.head.height,
      head: tree.head.hash,
      root: tree.root.hash,
      target: targetHex(this.#node.target),
      difficulty: difficultyOf(this.#node.target),
      chainWork: ((BigInt(tree.head.height) + 1n) * this.#work).toString(),
      blockIntervalMs: { target: null, recent: rate?.intervalMs ?? null },
      hashrate: { total: this.#hashrate.total, perThread: [...this.#hashrate.perThread] },
      networkHashrate: rate?.hashesPerSecond ?? null,
      peers: this.peers().length,
      mempool: null,
      engine: this.#engine,
      threads: this.#threads,
    };
  }

  block(hash: string): ApiBlock | undefined {
    const entry = this.#node.tree?.get(hash);
    if (!entry) return undefined;
    return {
      hash: entry.hash,
      height: entry.height,
      parent: entry.parent?.hash ?? null,
      time: null,
      target: targetHex(this.#node.target),
      work: this.#work.toString(),
      chainWork: ((BigInt(entry.height) + 1n) * this.#work).toString(),
      miner: minerTag(entry),
      relayedBy: this.#arrivals.get(entry.hash)?.relayedBy ?? 'disk',
      main: this.#isMain(entry),
      size: Buffer.byteLength(encodeBlock(entry.block)),
      transactions: null,
    };
  }

  blocks(limit: number, before?: number): ApiBlock[] {
    const tree = this.#node.tree;
    if (!tree) return [];
    this.#index('disk', null);
    const blocks: ApiBlock[] = [];
    const top = Math.min(tree.head.height, (before ?? tree.head.height + 1) - 1);
    for (let height = top; height >= 0 && blocks.length < limit; height--) {
      const block = this.block(this.#main[height]!);
      if (block) blocks.push(block);
    }
    return blocks;
  }

  tree(since: number): ApiTree | undefined {
    const tree = this.#node.tree;
    if (!tree) return undefined;
    this.#index('disk', null);
    const blocks: ApiTreeBlock[] = [];
    for (let height = Math.max(0, since); height < this.#byHeight.length; height++) {
      for (const hash of this.#byHeight[height] ?? []) {
        const entry = tree.get(hash);
        if (entry) blocks.push(this.#treeBlock(entry));
      }
    }
    return { root: tree.root.hash, head: tree.head.hash, since: Math.max(0, since), blocks };
  }

  peers(): ApiPeer[] {
    if (this.#options.peers) return this.#options.peers();
    const peers = new Map<string, ApiPeer>();
    for (const address of this.#node.peers) {
      const key = formatAddress(address);
      peers.set(key, { address: key, extended: false, validated: false, lastHeard: 0, banned: false });
    }
    for (const [key, peer] of this.#heard) peers.set(key, { ...peer });
    return [...peers.values()];
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

  #onNodeEvent(event: NodeEvent): void {
    switch (event.event) {
      case 'listening':
        this.#engine = event.engine;
        this.#threads = event.threads;
        return;
      case 'genesis':
        // A chain the node starts now: its root's block event follows and indexes it.
        this.#indexedTree = this.#node.tree;
        return;
      case 'block': {
        if (event.from !== 'self') this.#hear(event.from, event.status === 'accepted' || event.reason !== 'bad-pow');
        if (event.status === 'rejected') {
          this.#refuse({ time: this.#now(), hash: event.hash, from: event.from, reason: event.reason ?? 'rejected' });
          return;
        }
        const entry = this.#node.tree?.get(event.hash);
        if (!entry) return;
        this.#index('disk', null);
        if (!this.#arrivals.has(entry.hash)) (this.#byHeight[entry.height] ??= []).push(entry.hash);
        this.#arrivals.set(entry.hash, { relayedBy: event.from, time: this.#now() });
        this.#emit({ type: 'block', block: this.#treeBlock(entry) });
        return;
      }
      case 'head': {
        const entry = this.#node.tree?.get(event.hash);
        if (entry) this.#followHead(entry);
        this.#emit({ type: 'head', height: event.height, hash: event.hash });
        return;
      }
      case 'hashrate': {
        const perThread = event.per_thread ?? [event.hashes_per_second];
        this.#hashrate = { total: event.hashes_per_second, perThread };
        const tree = this.#node.tree;
        const network = tree ? (this.#recentRate(tree)?.hashesPerSecond ?? null) : null;
        this.#emit({ type: 'hashrate', total: event.hashes_per_second, perThread: [...perThread], network });
        return;
      }
      case 'junk':
        this.#hear(event.from, false);
        this.#refuse({ time: this.#now(), hash: null, from: event.from, reason: event.reason });
        return;
      default:
        return;
    }
  }

  /** Indexes a tree seen for the first time (restored, or about to get its genesis' event). */
  #index(relayedBy: string, time: number | null): void {
    const tree = this.#node.tree;
    if (!tree || tree === this.#indexedTree) return;
    this.#indexedTree = tree;
    for (const entry of tree.entries()) {
      if (this.#arrivals.has(entry.hash)) continue;
      this.#arrivals.set(entry.hash, { relayedBy, time });
      (this.#byHeight[entry.height] ??= []).push(entry.hash);
    }
    this.#followHead(tree.head);
  }

  #followHead(head: TreeEntry): void {
    this.#main.length = head.height + 1;
    for (
      let entry: TreeEntry | undefined = head;
      entry && this.#main[entry.height] !== entry.hash;
      entry = entry.parent
    ) {
      this.#main[entry.height] = entry.hash;
    }
  }

  #isMain(entry: TreeEntry): boolean {
    return this.#main[entry.height] === entry.hash;
  }

  /** From when this node received the recent main-chain blocks: only blocks it saw arrive count. */
  #recentRate(tree: BlockTree): { intervalMs: number; hashesPerSecond: number } | null {
    const times: number[] = [];
    for (let height = Math.max(0, tree.head.height - RECENT_BLOCKS); height <= tree.head.height; height++) {
      const time = this.#arrivals.get(this.#main[height] ?? '')?.time;
      if (time === null || time === undefined) {
        times.length = 0;
        continue;
      }
      times.push(time);
    }
    return recentRate(times, this.#work);
  }

  #hear(from: string, validBlock: boolean): void {
    const known = this.#heard.get(from);
    if (!known && this.#heard.size >= 1_024) return;
    this.#heard.set(from, {
      address: from,
      extended: known?.extended ?? false,
      validated: (known?.validated ?? false) || validBlock,
      lastHeard: this.#now(),
      banned: false,
    });
  }

  #refuse(refusal: ApiRefusal): void {
    this.#refusals.unshift(refusal);
    if (this.#refusals.length > (this.#options.maxRefusals ?? 100)) this.#refusals.pop();
  }

  #treeBlock(entry: TreeEntry): ApiTreeBlock {
    return {
      hash: entry.hash,
      height: entry.height,
      parent: entry.parent?.hash ?? null,
      main: this.#isMain(entry),
      tip: entry.children.length === 0,
      time: null,
      miner: minerTag(entry),
    };
  }
}

/** The block's data when it is a short printable text (the seed's `host:port:i` payload, or "Genesis"). */
function minerTag(entry: TreeEntry): string | null {
  const text = Buffer.from(entry.block.data).toString('latin1');
  return MINER_TAG.test(text) ? text : null;
}
