/**
 * A miner node (docs/protocol.md): one transport, one block tree under its network's rules,
 * one nonce miner (the worker pool; none with --no-mine), an optional block store, wired
 * together. No argv, no printing: everything it has to say is a NodeEvent.
 *
 * The tutorial's flow: the genesis miner mines the genesis block and broadcasts it; every
 * other node takes the first genesis it receives, which also tells it the network's rules.
 * Then mine on the head, tagged `host:port:i` (i = own blocks accepted so far, the genesis
 * not counted); broadcast each own block to every peer; a received block that moves the
 * head preempts the search; a refused block is reported with its reason.
 *
 * Every block, however it arrives (mined here, gossiped, synced, waiting for its parent
 * or for its time), goes through one door, #connect: the tree checks and appends it, the
 * store gets it (one durable write per batch), and nothing is sent about it until it is
 * on disk.
 *
 * Beyond the tutorial, spoken only to peers that have shown they speak it (the tutorial's
 * listener dies on anything but a block): hellos, getblocks with a locator and getdata
 * (sync.ts), so late joiners, lossy links and healed partitions converge; address
 * validation tokens and the 3x anti-amplification limit; per-peer and per-host budgets and
 * bans (net/peers.ts); bounded orphans, early blocks and side branches.
 */
import { Block } from '../primitives/block.js';
import { DEFAULT_TARGET, formatTarget } from '../primitives/target.js';
import { type AppendVerdict, BlockTree, type TreeEntry, type TreeLimits } from '../consensus/block-tree.js';
import { blocksAfterLocator, buildLocator } from '../consensus/locator.js';
import { OrphanPool, type OrphanPoolLimits } from '../consensus/orphan-pool.js';
import { type NetworkConfig, rulesForGenesis } from '../consensus/rules/index.js';
import type { NetworkRules, RefusalReason } from '../consensus/rules/rules.js';
import { WaitingRoom } from '../consensus/waiting-room.js';
import type { ChainState } from '../consensus/chain-state.js';
import { type Ledger, encodeSnapshot } from '../consensus/ledger/index.js';
import { bytesToHex } from '../primitives/bytes.js';
import { type Transaction, decodeTx, encodeTx, txid as txidOf } from '../primitives/tx.js';
import { type PeerAddress, formatAddress, sameAddress } from '../net/address.js';
import { AddressTokens } from '../net/address-token.js';
import {
  type Auth,
  type Message,
  decodeMessage,
  encodeBlockMessage,
  encodeGetBlocks,
  encodeGetData,
  encodeHello,
  encodeTxMessage,
} from '../net/messages.js';
import { type Peer, type PeerLimits, PeerTable } from '../net/peers.js';
import type { Transport } from '../net/transport.js';
import type { NodeEvent, NodeEventListener } from './events.js';
import { type BlockStore, BlockSaver } from './block-saver.js';
import { MAX_REPLY_BYTES, SYNC_BATCH, SyncState } from './sync.js';

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

export type { BlockStore } from './block-saver.js';

export interface MinerNodeOptions {
  transport: Transport;
  /** The nonce miner; without one the node follows the chain without mining (--no-mine). */
  miner?: NonceMiner;
  /** The tutorial's `others`: every peer to broadcast to (this node's own address is skipped). */
  peers: PeerAddress[];
  /** Mine the genesis block: its data and target come from `genesisTemplate`. */
  genesis: boolean;
  /** What the genesis block this node mines holds (default: the tutorial's `Genesis` at the seed network's target). */
  genesisTemplate?: (now: number) => { data: Uint8Array; target: bigint };
  /** How a genesis picks the network's rules. */
  network: NetworkConfig;
  treeLimits?: TreeLimits;
  /** Drop side branches forking more than this many blocks below the head ('off': keep them; default: the network's). */
  pruneDepth?: number | 'off';
  /** Stop (resolve run()) once the head reaches this height. */
  stopAtHeight?: number;
  /** How often a hashrate event is emitted, in ms (0: never). */
  hashrateIntervalMs?: number;
  /** How often to say hello to extended peers, in ms (0: never). */
  helloIntervalMs?: number;
  /** How often to look for stalled syncs and early blocks whose time has come, in ms (0: never). */
  tickIntervalMs?: number;
  /** How often to offer the genesis to configured peers not heard from yet, in ms (0: never). */
  beaconIntervalMs?: number;
  /** A tree restored from disk: the node resumes on its head instead of waiting for a genesis. */
  tree?: BlockTree;
  /** Every block accepted is stored here before anything is sent about it. */
  store?: BlockStore;
  peerLimits?: PeerLimits;
  orphanLimits?: OrphanPoolLimits;
  now?: () => number;
  tokens?: AddressTokens;
  /**
   * On a network with transactions: the key hash this node's blocks pay (asked for when the
   * chain starts; undefined: they pay no one).
   */
  payTo?: () => Uint8Array | undefined;
  /** A ledger restored from a snapshot, for a restored tree (its tip must be in the tree). */
  ledger?: Ledger;
  /** Peers' transfers whose signatures are checked a second, at most (default DEFAULT_VERIFICATIONS_PER_SECOND). */
  verificationsPerSecond?: number;
}

/**
 * Signature checks of peers' transfers a second, whoever sends them (docs/reliability.md): a
 * flood of forged transfers from many addresses costs the main thread about 0.1 ms each, so
 * this bounds it near a fifth of a core; the rest wait in the verification queue, and once it
 * is full they are refused as `busy` (a cheap refusal). Twelve times what full 1 s blocks hold.
 */
export const DEFAULT_VERIFICATIONS_PER_SECOND = 2_000;

export interface NodeStats {
  junk: number;
  dropped: number;
  throttled: number;
  orphans: number;
  orphanBytes: number;
  waiting: number;
  peers: number;
  extendedPeers: number;
  sideBlocks: number;
  sideBytes: number;
}

/** A configured peer not heard from gets the genesis this often at first, then less and less. */
const BEACON_BACKOFF_AFTER = 12;
const MAX_BEACON_GAP_MS = 5 * 60_000;
/** Relays of a new head, and hellos, go to at most this many extended peers. */
const MAX_RELAY_PEERS = 16;
const MAX_HELLO_PEERS = 64;
/** Refusals that count against the sender (junk that cost work to check). Others are honest races. */
const PENALIZED: ReadonlySet<RefusalReason> = new Set<RefusalReason>([
  'bad-genesis',
  'bad-pow',
  'bad-payload',
  'bad-height',
  'time-too-old',
  'bad-target',
  'bad-tx',
  'bad-coinbase',
  'second-genesis',
]);

export class MinerNode {
  readonly transport: Transport;
  readonly peers: PeerAddress[];
  readonly #options: MinerNodeOptions;
  readonly #miner: NonceMiner | undefined;
  readonly #listeners: NodeEventListener[] = [];
  readonly #peerTable: PeerTable;
  readonly #orphans: OrphanPool;
  readonly #waiting = new WaitingRoom();
  readonly #sync = new SyncState();
  readonly #tokens: AddressTokens;
  readonly #now: () => number;
  readonly #beacons = new Map<string, { attempts: number; next: number }>();
  #tree: BlockTree | undefined;
  #ownBlocks = 0;
  #mining: { parent: TreeEntry; startedAt: number } | undefined;
  #junk = 0;
  #dropped = 0;
  #throttled = 0;
  #stopped = false;
  #resolveRun: ((reason: string) => void) | undefined;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #pendingSends = new Set<Promise<void>>();
  readonly #saver: BlockSaver;
  #chainState: ChainState | undefined;
  /**
   * Who sent each copy of a transaction waiting for its signatures to be checked (for relay
   * and blame), by txid, oldest first: copies with other signature bytes queue separately and
   * are verified in the order they came. One entry per queued copy, so bounded by the queue.
   */
  readonly #txSources = new Map<string, string[]>();
  #verifyScheduled = false;
  readonly #verificationsPerSecond: number;
  /** Checks the budget allows now, refilled at verificationsPerSecond up to one second's worth. */
  #verifyTokens: number;
  #verifyRefilled: number;

  constructor(options: MinerNodeOptions) {
    this.#options = options;
    this.transport = options.transport;
    this.#miner = options.miner;
    this.#now = options.now ?? Date.now;
    const perSecond = options.verificationsPerSecond ?? DEFAULT_VERIFICATIONS_PER_SECOND;
    if (!(perSecond >= 1)) throw new RangeError(`verificationsPerSecond must be at least 1, got ${perSecond}`);
    this.#verificationsPerSecond = perSecond;
    this.#verifyTokens = perSecond;
    this.#verifyRefilled = this.#now();
    this.#peerTable = new PeerTable(options.peerLimits, this.#now);
    this.#orphans = new OrphanPool(options.orphanLimits);
    this.#tokens = options.tokens ?? new AddressTokens();
    this.#saver = new BlockSaver(options.store, {
      liveBlocks: () => [...this.#tree!.entries()].map((entry) => entry.block),
      snapshot: () => (this.#chainState ? encodeSnapshot(this.#chainState.ledger) : undefined),
      compacted: (blocks, deadBytes) => this.#emit({ event: 'compacted', blocks, dead_bytes: deadBytes }),
      failed: (error) => this.#storeFailed(error),
      now: this.#now,
    });
    const self = options.transport.address;
    this.peers = options.peers.filter((peer) => !sameAddress(peer, self));
    this.#tree = options.tree;
    if (this.#tree) {
      // Resume the tag counter where this node left off.
      const mine = `${this.name}:`;
      for (const entry of this.#tree.entries()) {
        if (this.#tree.rules.minerTag(entry.block, entry.facts)?.startsWith(mine)) this.#ownBlocks++;
        this.#saver.stored(entry.block);
      }
      // The chain state of a restored chain: from its snapshot, or replayed from the genesis.
      this.#startChainState(this.#tree, options.ledger);
    }
  }

  /** The chain state (ledger, mempool) on a network with transactions, once a chain exists. */
  get chainState(): ChainState | undefined {
    return this.#chainState;
  }

  /**
   * A transfer from this node's own API: checked fully now (signatures too); relayed to the
   * extended peers and reported when the mempool takes it.
   */
  submitTransaction(tx: Transaction): { ok: true; txid: string } | { ok: false; reason: string; detail?: string } {
    const state = this.#chainState;
    if (!state) return { ok: false, reason: 'no-transactions', detail: "this node's network has no transactions" };
    const verdict = state.add(tx);
    if (!verdict.ok) return { ok: false, reason: verdict.reason, detail: verdict.detail };
    this.#emit({ event: 'tx', txid: verdict.txid, from: 'self', status: 'accepted' });
    this.#relayTransaction(tx, 'self');
    return { ok: true, txid: verdict.txid };
  }

  #startChainState(tree: BlockTree, ledger?: Ledger): void {
    if (!tree.rules.chainState) return;
    const payTo = this.#options.payTo?.();
    this.#chainState = tree.rules.chainState(tree, { payTo, ...(ledger ? { ledger } : {}) });
    if (!this.#chainState || !ledger) {
      this.#chainState?.followHead();
      return;
    }
    try {
      this.#chainState.followHead();
    } catch (error) {
      // The snapshot does not fit the stored chain: replay it from the genesis instead.
      this.#emit({
        event: 'warning',
        message: `the chain-state snapshot was not usable (${(error as Error).message}); replaying from the genesis`,
      });
      this.#chainState = tree.rules.chainState?.(tree, { payTo });
      this.#chainState?.followHead();
    }
  }

  get tree(): BlockTree | undefined {
    return this.#tree;
  }

  get name(): string {
    return formatAddress(this.transport.address);
  }

  get mining(): boolean {
    return this.#miner !== undefined;
  }

  /** Datagrams that were not blocks or messages, or did not decode. */
  get junkCount(): number {
    return this.#junk;
  }

  stats(): NodeStats {
    return {
      junk: this.#junk,
      dropped: this.#dropped,
      throttled: this.#throttled,
      orphans: this.#orphans.size,
      orphanBytes: this.#orphans.bytes,
      waiting: this.#waiting.size,
      peers: this.#peerTable.size,
      extendedPeers: this.#peerTable.extendedPeers().length,
      sideBlocks: this.#tree?.side.blocks ?? 0,
      sideBytes: this.#tree?.side.bytes ?? 0,
    };
  }

  /** The peers this node has heard from, most recent first (for the API and the view). */
  peerList(): readonly Peer[] {
    return this.#peerTable.list();
  }

  isBanned(peer: Peer): boolean {
    return this.#peerTable.isBanned(peer);
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
    const every = (ms: number | undefined, fallback: number, action: () => void): void => {
      const interval = ms ?? fallback;
      if (interval > 0) this.#timers.push(setInterval(action, interval));
    };
    if (this.#miner) every(this.#options.hashrateIntervalMs, 2_000, () => this.#reportHashrate());
    every(this.#options.helloIntervalMs, 2_000, () => this.#sayHello());
    every(this.#options.tickIntervalMs, 250, () => this.#tick());
    every(this.#options.beaconIntervalMs, 5_000, () => this.#beacon());
    const tree = this.#tree;
    this.#emit({
      event: 'listening',
      address: this.name,
      engine: this.#miner?.engine ?? null,
      threads: this.#miner?.threads ?? 0,
      target: formatTarget(
        tree ? tree.rules.nextTarget(tree.head) : (this.#options.network.seed.target ?? DEFAULT_TARGET),
      ),
      genesis: this.#options.genesis && !tree,
      resuming: tree !== undefined,
      mining: this.#miner !== undefined,
    });
    if (tree) {
      this.#emitHead(tree.head);
      if (!this.#reachedStopHeight()) this.#mineOnHead();
    } else if (this.#options.genesis) {
      void this.#mineGenesis();
    }
    return finished;
  }

  /** Stops mining and closes the transport; what was accepted is stored, and sends already started are let out. */
  async stop(reason = 'stopped'): Promise<void> {
    if (this.#stopped) return;
    this.#saver.save();
    // Saving may have failed and stopped the node already.
    if (this.#stopped) return;
    this.#stopped = true;
    this.#saver.close();
    for (const timer of this.#timers) clearInterval(timer);
    this.#miner?.cancel();
    await Promise.all(this.#pendingSends);
    await this.transport.close();
    await this.#miner?.close();
    const tree = this.#tree;
    const head = tree?.head;
    this.#emit({
      event: 'exit',
      height: head?.height ?? -1,
      hash: head?.hash ?? '',
      chain: tree ? tree.mainChain().map((entry) => entry.hash) : [],
      reason,
    });
    this.#resolveRun?.(reason);
  }

  #emit(event: NodeEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  #emitHead(head: TreeEntry): void {
    const network = this.#tree!.rules.network;
    this.#emit({
      event: 'head',
      height: head.height,
      hash: head.hash,
      ...(network === 'powchain' ? { time: head.facts.time, target: '0x' + head.facts.target.toString(16) } : {}),
    });
  }

  #reportHashrate(): void {
    const { hashesPerSecond, perWorker } = this.#miner!.hashrate();
    this.#emit({
      event: 'hashrate',
      hashes_per_second: Math.round(hashesPerSecond),
      ...(perWorker ? { per_thread: perWorker.map(Math.round) } : {}),
    });
  }

  // ---------------------------------------------------------------------------------------
  // Receiving

  #receive(payload: Uint8Array, from: PeerAddress): void {
    if (this.#stopped) return;
    const admission = this.#peerTable.admit(from, payload.length);
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
    this.#authenticate(peer, decoded.message.auth);
    this.#handle(decoded.message, peer);
  }

  /** Keeps the token a peer gave us, and validates a peer that echoed ours. */
  #authenticate(peer: Peer, auth: Auth): void {
    if (auth.token) peer.echo = auth.token;
    if (auth.echo && !peer.validated && this.#tokens.verify(peer.key, auth.echo)) this.#peerTable.validate(peer);
  }

  #handle(message: Message, peer: Peer): void {
    if (message.type !== 'block' && !peer.extended) {
      this.#introduce(peer);
      return;
    }
    switch (message.type) {
      case 'block':
        this.#onBlock(message.block, message.extended, peer);
        return;
      case 'hello':
        this.#onHello(message, peer);
        return;
      case 'getblocks':
        this.#onGetBlocks(message.locator, message.limit, peer);
        return;
      case 'getdata':
        this.#onGetData(message.hash, peer);
        return;
      case 'tx':
        this.#onTransaction(message.tx, peer);
        return;
    }
  }

  #onBlock(block: Block, extended: boolean, peer: Peer): void {
    const tree = this.#tree;
    if (!tree) {
      this.#onBlockWithoutChain(block, extended, peer);
      return;
    }
    const work = tree.rules.checkWork(block);
    if (!work.ok) {
      this.#refused(block.hashHex(), peer.key, work.reason, work.detail);
      this.#penalizeFor(peer, work.reason);
      return;
    }
    // Only a block with valid work marks its sender as speaking the extended protocol: a
    // cheap spoofed message claiming a tutorial miner's address must never make this node
    // send that miner something its listener would die on.
    if (extended) peer.extended = true;
    else peer.plain = true;
    this.#offer(block, peer);
  }

  /**
   * A block offered by a peer to a node that has a chain: accepted, kept for later, or
   * refused. `retry`: it comes back from the waiting room, whose refusal was reported already.
   */
  #offer(block: Block, peer: Peer, retry = false): void {
    const previousHead = this.#tree!.head;
    const checked = this.#connect(block, peer.key);
    if (checked.ok) {
      this.#connectOrphans(checked.entry);
      this.#afterAppend(previousHead, peer.key);
      // The datagram's size, near enough: base64 data and the fixed fields.
      const bytes = Math.ceil((block.data.length * 4) / 3) + 200;
      if (peer.extended && this.#sync.noteBlock(peer.key, this.#now(), bytes)) this.#requestSync(peer);
      return;
    }
    switch (checked.reason) {
      case 'unknown-parent': {
        const kept = this.#orphans.add(block, peer.key);
        this.#emit({
          event: 'block',
          hash: block.hashHex(),
          from: peer.key,
          status: 'rejected',
          reason: kept.ok ? 'unknown-parent' : kept.reason,
          ...(kept.ok ? { orphan: true } : {}),
        });
        const source = peer.extended ? peer : this.#peerTable.extendedPeers()[0];
        if (source) {
          const missing = this.#orphans.missingAncestor(block.hashHex());
          if (missing) this.#sendAnswer(source, encodeGetData(missing, this.#auth(source)));
          this.#requestSync(source);
        }
        return;
      }
      case 'time-too-new':
        this.#waiting.add(block, peer.key);
        if (!retry) this.#refused(block.hashHex(), peer.key, checked.reason, checked.detail);
        return;
      default:
        this.#refused(block.hashHex(), peer.key, checked.reason, checked.detail);
        if (PENALIZED.has(checked.reason)) this.#penalizeFor(peer, checked.reason);
    }
  }

  /** Without a chain yet: a genesis starts it; any other block waits while the chain is asked for. */
  #onBlockWithoutChain(block: Block, extended: boolean, peer: Peer): void {
    const extendedPeer = extended ? peer : this.#peerTable.extendedPeers()[0];
    if (!block.isGenesis && extendedPeer) {
      // Its work cannot be judged before the genesis tells the rules: the orphan pool's
      // bounds (per sender too) are what keeps this cheap.
      if (extended) peer.extended = true;
      this.#orphans.add(block, peer.key);
      this.#requestSync(extendedPeer);
      return;
    }
    // A genesis (or, as the tutorial's miner does, the first block when nobody can tell us
    // more) starts the chain, if this node accepts it: it decides the network's rules.
    const chosen = rulesForGenesis(block, this.#options.network);
    if (!chosen.ok) {
      this.#refused(block.hashHex(), peer.key, chosen.reason, chosen.detail);
      this.#penalizeFor(peer, chosen.reason);
      return;
    }
    if (extended) peer.extended = true;
    else peer.plain = true;
    this.#startChain(block, chosen.rules, peer.key);
  }

  /**
   * A message of the extended protocol from an address that has not shown it speaks it
   * (no valid block, no echoed token): it may be spoofed, even carry a tutorial miner's
   * address, so it gets nothing but the genesis (a block, which a tutorial miner refuses or
   * takes as the genesis it waits for) with a token to echo, within the amplification limit.
   */
  #introduce(peer: Peer): void {
    const tree = this.#tree;
    if (tree) this.#sendAnswer(peer, encodeBlockMessage(tree.root.block, 0, this.#auth(peer)));
  }

  #onHello(hello: Extract<Message, { type: 'hello' }>, peer: Peer): void {
    const tree = this.#tree;
    if (!tree) {
      this.#requestSync(peer);
      return;
    }
    this.#sync.noteClaim(peer.key, { height: hello.height, head: hello.head, work: hello.work }, this.#now());
    if (this.#sync.isAhead(peer.key, tree, this.#now())) this.#requestSync(peer);
  }

  #onGetBlocks(locator: readonly string[], limit: number, peer: Peer): void {
    const tree = this.#tree;
    if (!tree || !this.#peerTable.allowRequest(peer)) return;
    // An address not yet validated gets a hello with a token first, so its next request can
    // prove the address (and get a full answer).
    if (!peer.validated) this.#sendAnswer(peer, this.#hello(peer));
    this.#sendEntries(blocksAfterLocator(tree, locator, limit), peer);
  }

  #onGetData(hash: string, peer: Peer): void {
    const entry = this.#tree?.get(hash);
    if (!entry || !this.#peerTable.allowRequest(peer)) return;
    this.#sendEntries([entry], peer);
  }

  // ---------------------------------------------------------------------------------------
  // Accepting: the one door every block goes through

  #startChain(root: Block, rules: NetworkRules, from: string): void {
    const tree = new BlockTree(root, rules, this.#options.treeLimits, from);
    this.#tree = tree;
    this.#startChainState(tree);
    try {
      this.#options.store?.begin(root, rules);
    } catch (error) {
      this.#storeFailed(error);
      return;
    }
    this.#saver.stored(root);
    this.#emit({ event: 'genesis', hash: tree.root.hash, from, network: rules.network });
    this.#emit({ event: 'block', hash: tree.root.hash, height: 0, from, status: 'accepted' });
    this.#emitHead(tree.root);
    this.#connectOrphans(tree.root);
    this.#afterAppend(tree.root, from);
  }

  /**
   * The door: the tree checks the block (once) and appends it, the store gets it in the
   * next batch, and the acceptance is reported. A refusal is the caller's to report.
   */
  #connect(block: Block, from: string): AppendVerdict {
    const verdict = this.#tree!.append(block, this.#now(), { origin: from });
    if (!verdict.ok) return verdict;
    this.#saver.add(block);
    const { entry } = verdict;
    this.#emit({ event: 'block', hash: entry.hash, height: entry.height, from, status: 'accepted' });
    this.#dropEntries(verdict.evicted, 'side-budget');
    return verdict;
  }

  /** Connects, breadth first and without recursion, every orphan that descends from `entry`. */
  #connectOrphans(entry: TreeEntry): void {
    const waiting = [entry.hash];
    while (waiting.length > 0) {
      for (const { block, sender } of this.#orphans.takeChildren(waiting.pop()!)) {
        const connected = this.#connect(block, sender);
        if (connected.ok) waiting.push(connected.entry.hash);
        else this.#refused(connected.hash, sender, connected.reason, connected.detail);
      }
    }
  }

  /**
   * After blocks were appended: reports a new head and, once the blocks are stored, relays
   * it to extended peers (never a block of this node's: those were broadcast already); then
   * stops at --stop-at-height, or makes sure the search runs on the head.
   */
  #afterAppend(previousHead: TreeEntry, from: string): void {
    const tree = this.#tree!;
    const head = tree.head;
    if (head !== previousHead) {
      this.#followHead();
      this.#emitHead(head);
      const depth = this.#pruneDepth();
      if (depth !== undefined) this.#dropEntries(tree.prune(depth), 'pruned');
      if (from !== 'self') {
        this.#saver.afterSave(() => {
          // A tutorial miner must get each block at most once, from its miner: relays go to extended peers only.
          for (const peer of this.#peerTable.extendedPeers().slice(0, MAX_RELAY_PEERS)) {
            if (peer.key !== from && tree.head === head) {
              this.#sendAnswer(peer, encodeBlockMessage(head.block, head.height, this.#auth(peer)));
            }
          }
        });
      }
    }
    if (!this.#reachedStopHeight()) this.#mineOnHead();
  }

  #pruneDepth(): number | undefined {
    const chosen = this.#options.pruneDepth;
    return chosen === 'off' ? undefined : (chosen ?? this.#tree?.rules.defaultPruneDepth);
  }

  #dropEntries(entries: readonly TreeEntry[], why: 'pruned' | 'side-budget'): void {
    if (entries.length === 0) return;
    const bytes = this.#saver.dropped(entries.map((entry) => entry.block));
    this.#emit({ event: 'dropped', why, blocks: entries.length, bytes });
  }

  #refused(hash: string, from: string, reason: string, detail?: string): void {
    this.#emit({ event: 'block', hash, from, status: 'rejected', reason, ...(detail ? { detail } : {}) });
  }

  // ---------------------------------------------------------------------------------------
  // Transactions (a network with a chain state)

  /** The ledger follows the head; transactions of blocks that left the main chain return to the mempool. */
  #followHead(): void {
    const state = this.#chainState;
    if (!state) return;
    const update = state.followHead();
    this.#saver.connected(update.connected);
    for (const txid of update.confirmed) this.#emit({ event: 'tx', txid, from: 'self', status: 'confirmed' });
  }

  /** A transfer from a peer: the cheap checks now, its signatures in the next batch. */
  #onTransaction(bytes: Uint8Array, peer: Peer): void {
    const state = this.#chainState;
    if (!state || !this.#peerTable.allowTransaction(peer)) return;
    const decoded = decodeTx(bytes);
    if (!decoded.ok) {
      this.#emit({
        event: 'tx',
        txid: '',
        from: peer.key,
        status: 'rejected',
        reason: 'malformed',
        detail: decoded.reason,
      });
      this.#penalize(peer, 'malformed transactions');
      return;
    }
    const verdict = state.submit(decoded.value);
    if (!verdict.ok) {
      // Races (already known, a conflict, a full pool) are nobody's fault; junk is.
      if (verdict.reason === 'malformed' || verdict.reason === 'bad-signature' || verdict.reason === 'not-transfer') {
        this.#penalize(peer, `transactions refused as ${verdict.reason}`);
      }
      if (verdict.reason !== 'already-known') {
        const txid = bytesToHex(txidOf(decoded.value));
        this.#emit({
          event: 'tx',
          txid,
          from: peer.key,
          status: 'rejected',
          reason: verdict.reason,
          detail: verdict.detail,
        });
      }
      return;
    }
    const senders = this.#txSources.get(verdict.txid);
    if (senders) senders.push(peer.key);
    else this.#txSources.set(verdict.txid, [peer.key]);
    this.#scheduleVerification();
  }

  #scheduleVerification(delayMs = 0): void {
    if (this.#verifyScheduled) return;
    this.#verifyScheduled = true;
    if (delayMs === 0) setImmediate(() => this.#verifyBatch());
    else setTimeout(() => this.#verifyBatch(), delayMs).unref();
  }

  /**
   * One batch of signatures, within the budget; the next batch waits for the event loop's
   * next turn, or for the budget to refill.
   */
  #verifyBatch(): void {
    this.#verifyScheduled = false;
    const state = this.#chainState;
    if (!state || this.#stopped) return;
    const perSecond = this.#verificationsPerSecond;
    const now = this.#now();
    this.#verifyTokens = Math.min(
      perSecond,
      this.#verifyTokens + (Math.max(0, now - this.#verifyRefilled) / 1000) * perSecond,
    );
    this.#verifyRefilled = now;
    if (this.#verifyTokens < 1) {
      this.#scheduleVerification(Math.ceil(((1 - this.#verifyTokens) * 1000) / perSecond));
      return;
    }
    const results = state.runBatch(Math.floor(this.#verifyTokens));
    this.#verifyTokens -= results.length;
    for (const { txid, verdict } of results) {
      const senders = this.#txSources.get(txid);
      const from = senders?.shift() ?? 'unknown';
      if (senders?.length === 0) this.#txSources.delete(txid);
      if (verdict.ok) {
        this.#emit({ event: 'tx', txid, from, status: 'accepted' });
        const entry = state.mempool.get(txid);
        if (entry) this.#relayTransaction(entry.tx, from);
        continue;
      }
      this.#emit({ event: 'tx', txid, from, status: 'rejected', reason: verdict.reason, detail: verdict.detail });
      const peer = this.#peerTable.byKey(from);
      if (peer && verdict.reason === 'bad-signature') this.#penalize(peer, 'transactions with invalid signatures');
    }
    if (state.queue.pending > 0) this.#scheduleVerification();
  }

  /** A transaction the mempool took goes to the extended peers (not back to its sender). */
  #relayTransaction(tx: Transaction, from: string): void {
    const bytes = encodeTx(tx);
    for (const peer of this.#peerTable.extendedPeers().slice(0, MAX_RELAY_PEERS)) {
      if (peer.key !== from) this.#sendAnswer(peer, encodeTxMessage(bytes, this.#auth(peer)));
    }
  }

  /** A block could not be stored: the node must not announce it, so it stops. */
  #storeFailed(error: unknown): void {
    this.#emit({ event: 'warning', message: `cannot store blocks: ${(error as Error).message ?? String(error)}` });
    void this.stop('store failed');
  }

  // ---------------------------------------------------------------------------------------
  // Mining

  async #mineGenesis(): Promise<void> {
    const miner = this.#miner;
    if (!miner) return;
    const { data, target } = (this.#options.genesisTemplate ?? seedGenesisTemplate(this.#options.network))(this.#now());
    const template = new Block(data);
    let outcome: Awaited<ReturnType<NonceMiner['mine']>>;
    try {
      outcome = await miner.mine({ prefix: template.prefix(), target });
    } catch (error) {
      this.#minerFailed(error);
      return;
    }
    if (outcome.status !== 'found' || this.#stopped || this.#tree) return;
    const genesis = template.withNonce(outcome.nonce);
    const chosen = rulesForGenesis(genesis, this.#options.network);
    if (!chosen.ok) {
      this.#emit({ event: 'warning', message: `the genesis mined here is not valid: ${chosen.reason}` });
      void this.stop('bad genesis');
      return;
    }
    this.#startChain(genesis, chosen.rules, 'self');
    this.#saver.save();
    this.#broadcast(genesis, 0);
  }

  #reachedStopHeight(): boolean {
    const stopAt = this.#options.stopAtHeight;
    const height = this.#tree?.head.height ?? -1;
    if (stopAt === undefined || height < stopAt) return false;
    // Stored, then the last broadcasts let out (stop() waits for them), then stopped.
    setImmediate(() => void this.stop(`reached height ${height}`));
    return true;
  }

  /** Starts (or restarts, preempting the running search) mining on the current head. */
  #mineOnHead(refresh = false): void {
    const tree = this.#tree;
    const miner = this.#miner;
    if (!tree || !miner || this.#stopped) return;
    if (!refresh && this.#mining?.parent === tree.head) return;
    if (this.#sync.catchingUp(tree, this.#now())) {
      // A peer has a better chain and its blocks are coming in: mining here now would be wasted.
      if (this.#mining) miner.cancel();
      this.#mining = undefined;
      return;
    }
    const parent = tree.head;
    const now = this.#now();
    this.#mining = { parent, startedAt: now };
    const { data } = tree.rules.template(parent, now, `${this.name}:${this.#ownBlocks}`);
    const template = new Block(data, parent.block);
    // Starting a new job preempts the old one: its promise resolves 'preempted'.
    miner.mine({ prefix: template.prefix(), target: tree.rules.nextTarget(parent) }).then(
      (outcome) => {
        if (this.#stopped || outcome.status !== 'found') return;
        if (this.#mining?.parent === parent) this.#mining = undefined;
        this.#minedBlock(template.withNonce(outcome.nonce));
      },
      (error: unknown) => this.#minerFailed(error),
    );
  }

  #minedBlock(block: Block): void {
    const previousHead = this.#tree!.head;
    const connected = this.#connect(block, 'self');
    if (connected.ok) {
      this.#ownBlocks++;
      // On disk, then announced.
      this.#saver.save();
      if (this.#stopped) return;
      this.#broadcast(block, connected.entry.height);
      this.#connectOrphans(connected.entry);
    } else {
      // A block mined on a head that has just moved on (a duplicate of nothing, a stale fork).
      this.#refused(connected.hash, 'self', connected.reason, connected.detail);
    }
    this.#afterAppend(previousHead, 'self');
  }

  /** The miner itself broke (a worker died): nothing to mine with, so the node stops and says why. */
  #minerFailed(error: unknown): void {
    this.#emit({ event: 'warning', message: `the miner failed: ${(error as Error).message ?? String(error)}` });
    void this.stop('miner failed');
  }

  // ---------------------------------------------------------------------------------------
  // Timers

  #tick(): void {
    const tree = this.#tree;
    if (!tree || this.#stopped) return;
    const now = this.#now();
    // Early blocks: offered again; those still too early come back to the waiting room.
    for (const { block, sender } of this.#waiting.takeAll()) {
      const peer = this.#peerTable.byKey(sender);
      if (peer) this.#offer(block, peer, true);
    }
    // Stalled syncs, and a peer ahead that nobody asked yet.
    for (const key of this.#sync.peersAhead(tree, now)) {
      const peer = this.#peerTable.byKey(key);
      if (peer?.extended && !this.#peerTable.isBanned(peer) && this.#sync.mayRequest(key, now)) this.#requestSync(peer);
    }
    // A template that carries a time is renewed while it is mined; a pause for sync ends.
    const lifetime = tree.rules.templateLifetimeMs;
    if (this.#mining && lifetime !== undefined && now - this.#mining.startedAt >= lifetime) this.#mineOnHead(true);
    else if (!this.#mining && !this.#reachedStopHeight()) this.#mineOnHead();
  }

  #sayHello(): void {
    if (!this.#tree || this.#stopped) return;
    for (const peer of this.#peerTable.extendedPeers().slice(0, MAX_HELLO_PEERS))
      this.#sendAnswer(peer, this.#hello(peer));
  }

  /**
   * Offers the genesis to configured peers that have not shown what they speak: a late
   * joiner learns the chain this way without anyone sending a tutorial miner anything but a
   * block (which it refuses, or takes as the genesis it is waiting for).
   */
  #beacon(): void {
    const tree = this.#tree;
    if (!tree || this.#stopped) return;
    const now = this.#now();
    for (const address of this.peers) {
      const key = formatAddress(address);
      const known = this.#peerTable.get(address);
      if (known?.extended || known?.plain) {
        this.#beacons.delete(key);
        continue;
      }
      const schedule = this.#beacons.get(key) ?? { attempts: 0, next: now };
      if (now < schedule.next) continue;
      const interval = this.#options.beaconIntervalMs ?? 5_000;
      const gap =
        schedule.attempts < BEACON_BACKOFF_AFTER
          ? interval
          : Math.min(MAX_BEACON_GAP_MS, interval * 2 ** (schedule.attempts - BEACON_BACKOFF_AFTER + 1));
      this.#beacons.set(key, { attempts: schedule.attempts + 1, next: now + gap });
      this.#send(address, encodeBlockMessage(tree.root.block, 0, { token: this.#tokens.tokenFor(key) }));
    }
  }

  // ---------------------------------------------------------------------------------------
  // Sending

  #auth(peer: Peer): Auth {
    return { token: this.#tokens.tokenFor(peer.key), ...(peer.echo ? { echo: peer.echo } : {}) };
  }

  #hello(peer: Peer): string {
    const tree = this.#tree!;
    return encodeHello(tree.head.height, tree.head.hash, tree.root.hash, tree.head.chainWork, this.#auth(peer));
  }

  /** Asks `peer` for its main chain after our locator (from the start when we have no chain). */
  #requestSync(peer: Peer): void {
    const now = this.#now();
    if (!this.#sync.mayRequest(peer.key, now)) return;
    this.#sync.noteRequest(peer.key, now);
    const tree = this.#tree;
    this.#sendAnswer(peer, encodeGetBlocks(tree ? buildLocator(tree) : [], SYNC_BATCH, this.#auth(peer)));
    const claim = this.#sync.claimOf(peer.key);
    if (tree && claim)
      this.#emit({ event: 'sync', from: peer.key, height: tree.head.height, their_height: claim.height });
  }

  /** Sends a block this node mined to every configured peer but itself. */
  #broadcast(block: Block, height: number): void {
    for (const address of this.peers) {
      const known = this.#peerTable.get(address);
      const auth = known ? this.#auth(known) : { token: this.#tokens.tokenFor(formatAddress(address)) };
      this.#send(address, encodeBlockMessage(block, height, auth));
    }
  }

  #sendEntries(entries: readonly TreeEntry[], peer: Peer): void {
    let bytes = 0;
    for (const entry of entries) {
      const payload = encodeBlockMessage(entry.block, entry.height, this.#auth(peer));
      bytes += payload.length;
      if (bytes > MAX_REPLY_BYTES || !this.#sendAnswer(peer, payload)) break;
    }
  }

  /** Sends something a peer's datagrams led to, within its amplification limit; false when over it. */
  #sendAnswer(peer: Peer, text: string): boolean {
    if (!this.#peerTable.allowSend(peer, text.length)) {
      this.#throttled++;
      return false;
    }
    this.#send(peer.address, text);
    return true;
  }

  #send(peer: PeerAddress, text: string): void {
    if (this.#stopped) return;
    const sent = this.transport.send(peer, Buffer.from(text, 'utf8'));
    this.#pendingSends.add(sent);
    void sent.finally(() => this.#pendingSends.delete(sent));
  }

  #penalizeFor(peer: Peer, reason: RefusalReason): void {
    const what =
      reason === 'bad-pow'
        ? 'blocks with invalid proof of work'
        : reason === 'bad-genesis'
          ? 'blocks of another chain'
          : `blocks refused as ${reason}`;
    this.#penalize(peer, what);
  }

  #penalize(peer: Peer, what: string): void {
    const banned = this.#peerTable.penalize(peer);
    if (banned === 'peer') {
      this.#sync.forget(peer.key);
      this.#emit({ event: 'warning', message: `banned ${peer.key} for a while: it kept sending ${what}` });
    } else if (banned === 'host') {
      this.#emit({
        event: 'warning',
        message: `banned the unvalidated ports of ${peer.address.host} for a while: they kept sending ${what}`,
      });
    }
  }
}

/** The tutorial's genesis: `Genesis` at the seed network's target. */
function seedGenesisTemplate(network: NetworkConfig): (now: number) => { data: Uint8Array; target: bigint } {
  const data = new TextEncoder().encode('Genesis');
  return () => ({ data, target: network.seed.target ?? DEFAULT_TARGET });
}
