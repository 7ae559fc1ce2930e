/**
 * The seed's `Miner.run` (SPEC 4), done properly: one transport, one block tree, one nonce
 * miner (the worker pool), wired together. No argv, no printing: everything it has to say
 * is a NodeEvent.
 *
 *   1. The genesis miner mines `Genesis` on the all-zero parent and broadcasts it; every
 *      other node takes the first valid block it receives as its genesis.
 *   2. Mine on the head with the payload `host:port:i`, i = own blocks accepted so far.
 *   3. A block mined here and accepted is stored (when a block log is given), then
 *      broadcast to every peer but this node. A received block that is accepted and moves
 *      the head preempts the search at once; mining restarts on the new head. A refused
 *      block is reported with its reason.
 *
 * Beyond the seed (the extended protocol of net/messages.ts, spoken only to peers that have
 * shown they speak it): a valid block whose parent is unknown waits in a bounded orphan
 * pool while the chain it needs is requested; every few seconds the node says hello (height
 * and head) to extended peers, and a peer that is behind asks for what it lacks with a
 * block locator, so late joiners and healed partitions catch up and lost datagrams are
 * made good. Every peer has a datagram and request budget, and peers that keep sending
 * invalid data are banned for a while.
 */
import { Block } from '../primitives/block.js';
import { DEFAULT_TARGET, formatTarget } from '../primitives/target.js';
import { BlockTree, type TieBreak, type TreeEntry } from '../consensus/block-tree.js';
import { OrphanPool, type OrphanPoolLimits } from '../consensus/orphan-pool.js';
import { blocksAfterLocator, buildLocator } from '../consensus/locator.js';
import { renderTree } from '../consensus/tree-view.js';
import { type PeerAddress, formatAddress, sameAddress } from '../net/address.js';
import {
  type Message,
  decodeMessage,
  encodeExtendedBlock,
  encodeGetBlocks,
  encodeGetData,
  encodeHello,
} from '../net/messages.js';
import { type Peer, type PeerLimits, PeerTable } from '../net/peers.js';
import type { Transport } from '../net/transport.js';
import type { NodeEvent, NodeEventListener } from './events.js';

/** The part of the worker pool a node needs (MinerPool implements it; tests may fake it). */
export interface NonceMiner {
  mine(job: {
    prefix: Uint8Array;
    target: bigint;
  }): Promise<
    { status: 'found'; nonce: bigint; hashes: number } | { status: 'preempted' | 'exhausted'; hashes: number }
  >;
  cancel(): void;
  hashrate(): { hashesPerSecond: number; perWorker?: number[] };
  close(): Promise<void>;
  readonly engine: string;
  readonly threads: number;
}

/** Where accepted blocks go before they are announced (store/block-log.ts implements it). */
export interface BlockSink {
  append(block: Block): void;
}

export interface MinerNodeOptions {
  transport: Transport;
  miner: NonceMiner;
  /** The seed's `others`: every peer to broadcast to (this node's own address is skipped). */
  peers: PeerAddress[];
  genesis: boolean;
  target?: bigint;
  tieBreak?: TieBreak;
  /** Stop (resolve run()) once the head reaches this height. */
  stopAtHeight?: number;
  /** How often a hashrate event is emitted, in ms (0: never). */
  hashrateIntervalMs?: number;
  /** How often to say hello to extended peers, in ms (0: never). */
  syncIntervalMs?: number;
  /** A tree restored from disk: the node resumes on its head instead of waiting for a genesis. */
  tree?: BlockTree;
  /** Every block accepted is appended here before anything is sent about it. */
  store?: BlockSink;
  peerLimits?: PeerLimits;
  orphanLimits?: OrphanPoolLimits;
  now?: () => number;
}

/** Blocks asked for in one getblocks, and the bytes one answer may take at most. */
const SYNC_BATCH = 250;
const MAX_REPLY_BYTES = 1024 * 1024;
/** A node does not ask the same peer to sync more often than this. */
const SYNC_REQUEST_GAP_MS = 500;

export interface NodeStats {
  junk: number;
  dropped: number;
  orphans: number;
  orphanBytes: number;
  peers: number;
  extendedPeers: number;
}

export class MinerNode {
  readonly transport: Transport;
  readonly target: bigint;
  readonly peers: PeerAddress[];
  readonly #options: MinerNodeOptions;
  readonly #miner: NonceMiner;
  readonly #listeners: NodeEventListener[] = [];
  readonly #peerTable: PeerTable;
  readonly #orphans: OrphanPool;
  readonly #now: () => number;
  readonly #lastSyncRequest = new Map<string, number>();
  #tree: BlockTree | undefined;
  #ownBlocks = 0;
  #miningOn: TreeEntry | undefined;
  #junk = 0;
  #dropped = 0;
  #stopped = false;
  #resolveRun: ((reason: string) => void) | undefined;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #pendingSends = new Set<Promise<void>>();

  constructor(options: MinerNodeOptions) {
    this.#options = options;
    this.transport = options.transport;
    this.#miner = options.miner;
    this.target = options.target ?? DEFAULT_TARGET;
    this.#now = options.now ?? Date.now;
    this.#peerTable = new PeerTable(options.peerLimits, this.#now);
    this.#orphans = new OrphanPool(options.orphanLimits);
    const self = options.transport.address;
    this.peers = options.peers.filter((peer) => !sameAddress(peer, self));
    this.#tree = options.tree;
    if (this.#tree) {
      // Resume the payload counter where this node left off.
      const mine = new TextEncoder().encode(`${this.name}:`);
      for (const entry of this.#tree.entries()) if (startsWith(entry.block.data, mine)) this.#ownBlocks++;
    }
  }

  get tree(): BlockTree | undefined {
    return this.#tree;
  }

  get name(): string {
    return formatAddress(this.transport.address);
  }

  /** Datagrams that were not blocks or messages, or did not decode. */
  get junkCount(): number {
    return this.#junk;
  }

  stats(): NodeStats {
    return {
      junk: this.#junk,
      dropped: this.#dropped,
      orphans: this.#orphans.size,
      orphanBytes: this.#orphans.bytes,
      peers: this.#peerTable.size,
      extendedPeers: this.#peerTable.extendedPeers().length,
    };
  }

  onEvent(listener: NodeEventListener): void {
    this.#listeners.push(listener);
  }

  /** Runs until stop() or --stop-at-height; resolves with the reason it stopped. */
  run(): Promise<string> {
    const finished = new Promise<string>((resolve) => (this.#resolveRun = resolve));
    this.transport.onDatagram((payload, from) => this.#receive(payload, from));
    this.transport.onSendError((peer, message) =>
      this.#emit({ event: 'warning', message: `send to ${formatAddress(peer)} failed: ${message}` }),
    );
    const hashrateEvery = this.#options.hashrateIntervalMs ?? 2_000;
    if (hashrateEvery > 0) {
      this.#timers.push(
        setInterval(() => {
          const { hashesPerSecond, perWorker } = this.#miner.hashrate();
          this.#emit({
            event: 'hashrate',
            hashes_per_second: Math.round(hashesPerSecond),
            ...(perWorker ? { per_thread: perWorker.map(Math.round) } : {}),
          });
        }, hashrateEvery),
      );
    }
    const syncEvery = this.#options.syncIntervalMs ?? 2_000;
    if (syncEvery > 0) this.#timers.push(setInterval(() => this.#sayHello(), syncEvery));
    this.#emit({
      event: 'listening',
      address: this.name,
      engine: this.#miner.engine,
      threads: this.#miner.threads,
      target: formatTarget(this.target),
      genesis: this.#options.genesis && !this.#tree,
    });
    if (this.#tree) {
      const head = this.#tree.head;
      this.#emit({ event: 'head', height: head.height, hash: head.hash });
      if (!this.#reachedStopHeight()) this.#mineOnHead();
    } else if (this.#options.genesis) {
      void this.#mineGenesis();
    }
    return finished;
  }

  /** Stops mining and closes the transport; sends already started are let out first. */
  async stop(reason = 'stopped'): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#miner.cancel();
    await Promise.all(this.#pendingSends);
    await this.transport.close();
    await this.#miner.close();
    const tree = this.#tree;
    const head = tree?.head;
    this.#emit({
      event: 'exit',
      height: head?.height ?? -1,
      hash: head?.hash ?? '',
      chain: tree ? tree.mainChain().map((entry) => entry.hash) : [],
      reason,
      ...(tree ? { tree: renderTree(tree, { foldAfter: 30 }) } : {}),
    });
    this.#resolveRun?.(reason);
  }

  #emit(event: NodeEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  async #mineGenesis(): Promise<void> {
    const template = new Block('Genesis');
    let outcome: Awaited<ReturnType<NonceMiner['mine']>>;
    try {
      outcome = await this.#miner.mine({ prefix: template.prefix(), target: this.target });
    } catch (error) {
      this.#minerFailed(error);
      return;
    }
    if (outcome.status !== 'found' || this.#stopped || this.#tree) return;
    const genesis = template.withNonce(outcome.nonce);
    this.#options.store?.append(genesis);
    this.#startChain(genesis, 'self');
    this.#ownBlocks++;
    this.#broadcast(genesis, 0);
  }

  #startChain(root: Block, from: string): void {
    this.#tree = new BlockTree(root, { target: this.target, tieBreak: this.#options.tieBreak ?? 'random' });
    const entry = this.#tree.root;
    this.#emit({ event: 'genesis', hash: entry.hash, from });
    this.#emit({ event: 'block', hash: entry.hash, height: 0, from, status: 'accepted' });
    this.#emit({ event: 'head', height: 0, hash: entry.hash });
    this.#connectOrphans(entry);
    this.#afterAppend(entry, from);
  }

  #receive(payload: Uint8Array, from: PeerAddress): void {
    if (this.#stopped) return;
    const admission = this.#peerTable.admit(from);
    if (!admission.ok) {
      this.#dropped++;
      return;
    }
    const { peer } = admission;
    const decoded = decodeMessage(payload);
    if (!decoded.ok) {
      this.#junk++;
      this.#emit({ event: 'junk', from: peer.key, reason: decoded.reason, count: this.#junk });
      this.#penalize(peer, 'malformed datagrams');
      return;
    }
    this.#handle(decoded.message, peer);
  }

  #handle(message: Message, peer: Peer): void {
    switch (message.type) {
      case 'block':
        this.#onBlock(message.block, message.extended, peer);
        return;
      case 'hello':
        this.#onHello(message.height, message.head, peer);
        return;
      case 'getblocks':
        if (this.#tree && this.#peerTable.allowRequest(peer)) {
          this.#sendEntries(blocksAfterLocator(this.#tree, message.locator, message.limit), peer.address);
        }
        return;
      case 'getdata': {
        const entry = this.#tree?.get(message.hash);
        if (entry && this.#peerTable.allowRequest(peer)) this.#sendEntries([entry], peer.address);
        return;
      }
    }
  }

  #onBlock(block: Block, extended: boolean, peer: Peer): void {
    const sender = peer.key;
    const tree = this.#tree;
    if (!block.verifyProofOfWork(this.target)) {
      this.#emit({ event: 'block', hash: block.hashHex(), from: sender, status: 'rejected', reason: 'bad-pow' });
      this.#penalize(peer, 'blocks with invalid proof of work');
      return;
    }
    // Only a block with valid work marks its sender as speaking the extended protocol: a
    // cheap spoofed hello claiming a seed peer's address must never make this node send
    // that peer a message its listener would die on.
    if (extended) peer.extended = true;
    if (!tree) {
      // Without a chain yet. A genesis block starts it. Any other block starts it too when
      // nobody can tell us more (the seed takes the first block it receives, unchecked);
      // when a peer speaks the extended protocol, the block waits and the chain is asked for.
      const extendedPeer = peer.extended ? peer.address : this.#peerTable.extendedPeers()[0];
      if (block.isGenesis || !extendedPeer) {
        this.#startChain(block, sender);
      } else {
        this.#keepOrphan(block, peer);
        this.#requestSync(extendedPeer, []);
      }
      return;
    }
    const checked = tree.check(block);
    if (checked.ok) {
      this.#accept(block, sender);
      return;
    }
    if (checked.reason === 'unknown-parent') {
      this.#keepOrphan(block, peer);
      const source = peer.extended ? peer.address : this.#peerTable.extendedPeers()[0];
      if (source) this.#requestSync(source, buildLocator(tree), this.#orphans.missingAncestor(block.hashHex()));
      return;
    }
    this.#emit({ event: 'block', hash: block.hashHex(), from: sender, status: 'rejected', reason: checked.reason });
    if (checked.reason === 'second-genesis') this.#penalize(peer, 'blocks of another chain');
  }

  #keepOrphan(block: Block, peer: Peer): void {
    const kept = this.#orphans.add(block, peer.key);
    this.#emit({
      event: 'block',
      hash: block.hashHex(),
      from: peer.key,
      status: 'rejected',
      reason: kept.ok ? 'unknown-parent' : kept.reason,
      ...(kept.ok ? { orphan: true } : {}),
    });
  }

  #onHello(height: number, head: string, peer: Peer): void {
    if (!peer.extended) return;
    const tree = this.#tree;
    if (!tree) {
      this.#requestSync(peer.address, []);
      return;
    }
    // A head we lack, at least as high as ours: ask for the chain that leads to it.
    if (height >= tree.head.height && !tree.has(head)) this.#requestSync(peer.address, buildLocator(tree));
  }

  /** Asks `peer` for its main chain after our locator (and for one missing block, if named). */
  #requestSync(peer: PeerAddress, locator: string[], missing?: string): void {
    const key = formatAddress(peer);
    const now = this.#now();
    if (now - (this.#lastSyncRequest.get(key) ?? -Infinity) < SYNC_REQUEST_GAP_MS) return;
    this.#lastSyncRequest.set(key, now);
    if (this.#lastSyncRequest.size > 4_096) this.#lastSyncRequest.clear();
    this.#send(peer, encodeGetBlocks(locator, SYNC_BATCH));
    if (missing) this.#send(peer, encodeGetData(missing));
  }

  #sayHello(): void {
    const tree = this.#tree;
    if (!tree || this.#stopped) return;
    const hello = encodeHello(tree.head.height, tree.head.hash, tree.root.hash);
    for (const peer of this.#peerTable.extendedPeers().slice(0, 64)) this.#send(peer, hello);
  }

  /** Appends a block (stored first) and connects the orphans waiting for it. */
  #accept(block: Block, from: string): void {
    const tree = this.#tree!;
    const previousHead = tree.head;
    this.#options.store?.append(block);
    const verdict = tree.append(block);
    if (!verdict.ok) {
      this.#emit({ event: 'block', hash: verdict.hash, from, status: 'rejected', reason: verdict.reason });
      return;
    }
    this.#emit({ event: 'block', hash: verdict.entry.hash, height: verdict.entry.height, from, status: 'accepted' });
    this.#connectOrphans(verdict.entry);
    this.#afterAppend(previousHead, from);
  }

  /**
   * After blocks were appended: reports a new head and relays it to extended peers (never
   * a block of this node's: those were broadcast already); then stops at --stop-at-height,
   * or makes sure the search runs on the head (preempting a search on an older one).
   */
  #afterAppend(previousHead: TreeEntry, from: string): void {
    const head = this.#tree!.head;
    if (head !== previousHead) {
      this.#emit({ event: 'head', height: head.height, hash: head.hash });
      // A seed peer must get each block at most once, from its miner: relays go to extended peers only.
      if (from !== 'self') {
        for (const peer of this.#peerTable.extendedPeers().slice(0, 16)) {
          if (formatAddress(peer) !== from) this.#send(peer, encodeExtendedBlock(head.block, head.height));
        }
      }
    }
    // A no-op while the search already runs on the head.
    if (!this.#reachedStopHeight()) this.#mineOnHead();
  }

  /** Connects, breadth first and without recursion, every orphan that descends from `entry`. */
  #connectOrphans(entry: TreeEntry): void {
    const tree = this.#tree!;
    const waiting = [entry.hash];
    while (waiting.length > 0) {
      for (const { block, sender } of this.#orphans.takeChildren(waiting.pop()!)) {
        if (!tree.check(block).ok) continue;
        this.#options.store?.append(block);
        const verdict = tree.append(block);
        if (!verdict.ok) continue;
        this.#emit({
          event: 'block',
          hash: verdict.entry.hash,
          height: verdict.entry.height,
          from: sender,
          status: 'accepted',
        });
        waiting.push(verdict.entry.hash);
      }
    }
  }

  #reachedStopHeight(): boolean {
    const stopAt = this.#options.stopAtHeight;
    const height = this.#tree?.head.height ?? -1;
    if (stopAt === undefined || height < stopAt) return false;
    void this.stop(`reached height ${height}`);
    return true;
  }

  /** Starts (or restarts, preempting the running search) mining on the current head. */
  #mineOnHead(): void {
    const tree = this.#tree;
    if (!tree || this.#stopped || this.#miningOn === tree.head) return;
    const parent = tree.head;
    this.#miningOn = parent;
    const template = new Block(`${this.name}:${this.#ownBlocks}`, parent.block);
    // Starting a new job preempts the old one: its promise resolves 'preempted'.
    this.#miner.mine({ prefix: template.prefix(), target: this.target }).then(
      (outcome) => {
        if (this.#stopped || outcome.status !== 'found') return;
        if (this.#miningOn === parent) this.#miningOn = undefined;
        const block = template.withNonce(outcome.nonce);
        const previousHead = tree.head;
        if (tree.check(block).ok) {
          this.#ownBlocks++;
          // On disk, then announced, then (possibly) the height at which the node stops.
          this.#options.store?.append(block);
          const verdict = tree.append(block);
          if (verdict.ok) {
            this.#broadcast(block, verdict.entry.height);
            const { hash, height } = verdict.entry;
            this.#emit({ event: 'block', hash, height, from: 'self', status: 'accepted' });
            this.#connectOrphans(verdict.entry);
          }
        }
        this.#afterAppend(previousHead, 'self');
      },
      (error: unknown) => this.#minerFailed(error),
    );
  }

  /** The miner itself broke (a worker died): nothing to mine with, so the node stops and says why. */
  #minerFailed(error: unknown): void {
    this.#emit({ event: 'warning', message: `the miner failed: ${(error as Error).message ?? String(error)}` });
    void this.stop('miner failed');
  }

  /** Sends a block this node mined to every peer but itself. */
  #broadcast(block: Block, height: number): void {
    const payload = encodeExtendedBlock(block, height);
    for (const peer of this.peers) this.#send(peer, payload);
  }

  #sendEntries(entries: TreeEntry[], to: PeerAddress): void {
    let bytes = 0;
    for (const entry of entries) {
      const payload = encodeExtendedBlock(entry.block, entry.height);
      bytes += payload.length;
      if (bytes > MAX_REPLY_BYTES) break;
      this.#send(to, payload);
    }
  }

  #send(peer: PeerAddress, text: string): void {
    if (this.#stopped) return;
    const sent = this.transport.send(peer, Buffer.from(text, 'utf8'));
    this.#pendingSends.add(sent);
    void sent.finally(() => this.#pendingSends.delete(sent));
  }

  #penalize(peer: Peer, what: string): void {
    if (this.#peerTable.penalize(peer)) {
      this.#emit({ event: 'warning', message: `banned ${peer.key} for a while: it kept sending ${what}` });
    }
  }
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}
