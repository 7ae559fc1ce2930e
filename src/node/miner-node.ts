/**
 * The seed's `Miner.run` (SPEC 4), done properly: one transport, one block tree, one nonce
 * miner (the worker pool), wired together. No clocks of its own beyond the hashrate report,
 * no argv, no printing: everything it has to say is a NodeEvent.
 *
 *   1. The genesis miner mines `Genesis` on the all-zero parent and broadcasts it; every
 *      other node takes the first valid block it receives as its genesis.
 *   2. Mine on the head with the payload `host:port:i`, i = own blocks accepted so far.
 *   3. A block mined here and accepted is broadcast to every peer but this node.
 *      A received block that is accepted and moves the head preempts the search at once;
 *      mining restarts on the new head. A refused block is reported with its reason.
 */
import { Block } from '../primitives/block.js';
import { DEFAULT_TARGET, formatTarget } from '../primitives/target.js';
import { decodeBlock } from '../primitives/wire.js';
import { BlockTree, type TieBreak, type TreeEntry } from '../consensus/block-tree.js';
import { renderTree } from '../consensus/tree-view.js';
import { type PeerAddress, formatAddress, sameAddress } from '../net/address.js';
import type { Transport } from '../net/transport.js';
import type { NodeEvent, NodeEventListener } from './events.js';

/** The part of the worker pool a node needs (MinerPool implements it; tests may fake it). */
export interface NonceMiner {
  mine(job: { prefix: Uint8Array; target: bigint }): Promise<
    { status: 'found'; nonce: bigint; hashes: number } | { status: 'preempted' | 'exhausted'; hashes: number }
  >;
  cancel(): void;
  hashrate(): { hashesPerSecond: number };
  close(): Promise<void>;
  readonly engine: string;
  readonly threads: number;
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
}

export class MinerNode {
  readonly transport: Transport;
  readonly target: bigint;
  readonly peers: PeerAddress[];
  readonly #options: MinerNodeOptions;
  readonly #miner: NonceMiner;
  readonly #listeners: NodeEventListener[] = [];
  #tree: BlockTree | undefined;
  #ownBlocks = 0;
  #miningOn: TreeEntry | undefined;
  #junk = 0;
  #stopped = false;
  #resolveRun: ((reason: string) => void) | undefined;
  #hashrateTimer: NodeJS.Timeout | undefined;
  readonly #pendingSends = new Set<Promise<void>>();

  constructor(options: MinerNodeOptions) {
    this.#options = options;
    this.transport = options.transport;
    this.#miner = options.miner;
    this.target = options.target ?? DEFAULT_TARGET;
    const self = options.transport.address;
    this.peers = options.peers.filter((peer) => !sameAddress(peer, self));
  }

  get tree(): BlockTree | undefined {
    return this.#tree;
  }

  get name(): string {
    return formatAddress(this.transport.address);
  }

  /** Datagrams that were not blocks, or were blocks that did not decode. */
  get junkCount(): number {
    return this.#junk;
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
    const interval = this.#options.hashrateIntervalMs ?? 2_000;
    if (interval > 0) {
      this.#hashrateTimer = setInterval(
        () => this.#emit({ event: 'hashrate', hashes_per_second: Math.round(this.#miner.hashrate().hashesPerSecond) }),
        interval,
      );
    }
    this.#emit({
      event: 'listening',
      address: this.name,
      engine: this.#miner.engine,
      threads: this.#miner.threads,
      target: formatTarget(this.target),
      genesis: this.#options.genesis,
    });
    if (this.#options.genesis) void this.#mineGenesis();
    return finished;
  }

  /** Stops mining and closes the transport; sends already started are let out first. */
  async stop(reason = 'stopped'): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#hashrateTimer);
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
    const outcome = await this.#miner.mine({ prefix: template.prefix(), target: this.target });
    if (outcome.status !== 'found' || this.#stopped || this.#tree) return;
    const genesis = template.withNonce(outcome.nonce);
    this.#startChain(genesis, 'self');
    this.#broadcast(genesis);
  }

  #startChain(genesis: Block, from: string): void {
    this.#tree = new BlockTree(genesis, { target: this.target, tieBreak: this.#options.tieBreak ?? 'random' });
    const root = this.#tree.root;
    this.#emit({ event: 'genesis', hash: root.hash, from });
    this.#emit({ event: 'block', hash: root.hash, height: 0, from, status: 'accepted' });
    this.#emit({ event: 'head', height: 0, hash: root.hash });
    this.#mineOnHead();
  }

  #receive(payload: Uint8Array, from: PeerAddress): void {
    if (this.#stopped) return;
    const sender = formatAddress(from);
    const decoded = decodeBlock(payload);
    if (!decoded.ok) {
      this.#junk++;
      this.#emit({ event: 'junk', from: sender, reason: decoded.reason, count: this.#junk });
      return;
    }
    const block = decoded.value;
    if (!this.#tree) {
      // The seed takes the first block it receives as genesis, unchecked; this node at least
      // insists on valid work so that junk cannot become its root.
      if (!block.verifyProofOfWork(this.target)) {
        this.#emit({ event: 'block', hash: block.hashHex(), from: sender, status: 'rejected', reason: 'bad-pow' });
        return;
      }
      this.#startChain(block, sender);
      return;
    }
    this.#accept(block, sender);
  }

  /** Appends a block to the tree and reacts; true when it was accepted. */
  #accept(block: Block, from: string): boolean {
    const tree = this.#tree!;
    const verdict = tree.append(block);
    if (!verdict.ok) {
      this.#emit({ event: 'block', hash: verdict.hash, from, status: 'rejected', reason: verdict.reason });
      return false;
    }
    const { entry } = verdict;
    this.#emit({ event: 'block', hash: entry.hash, height: entry.height, from, status: 'accepted' });
    if (verdict.headChanged) {
      this.#emit({ event: 'head', height: entry.height, hash: entry.hash });
      const stopAt = this.#options.stopAtHeight;
      if (stopAt !== undefined && tree.head.height >= stopAt) {
        void this.stop(`reached height ${tree.head.height}`);
        return true;
      }
      this.#mineOnHead();
    }
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
    void this.#miner.mine({ prefix: template.prefix(), target: this.target }).then((outcome) => {
      if (this.#stopped || outcome.status !== 'found') return;
      if (this.#miningOn === parent) this.#miningOn = undefined;
      const block = template.withNonce(outcome.nonce);
      // Broadcast first, so --stop-at-height on this block still lets it go out.
      const accepted = tree.check(block).ok;
      if (accepted) {
        this.#ownBlocks++;
        this.#broadcast(block);
      }
      this.#accept(block, 'self');
      this.#mineOnHead();
    });
  }

  #broadcast(block: Block): void {
    const payload = new TextEncoder().encode(block.encode());
    for (const peer of this.peers) {
      const sent = this.transport.send(peer, payload);
      this.#pendingSends.add(sent);
      void sent.finally(() => this.#pendingSends.delete(sent));
    }
  }
}
