/**
 * The ApiSource of a running miner node (docs/api.md): answers from the node's block tree
 * (its main-chain index, each block's facts and origin), its peer table and its events. What
 * neither keeps, this keeps, bounded: when recent blocks arrived (the seed network's blocks
 * carry no time), the last hashrate, and the most recent refusals. Created before
 * node.run(), it sees every event.
 */
import type { BlockTree, TreeEntry } from '../consensus/block-tree.js';
import type { PowchainRules } from '../consensus/rules/powchain.js';
import type { NodeEvent, NodeEventListener } from '../node/events.js';
import type { Peer } from '../net/peers.js';
import { difficultyOf, recentRate, targetHex } from './work.js';
import { MAX_MEMPOOL_TXIDS } from './limits.js';
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
import type { ChainState } from '../consensus/chain-state.js';
import { bytesToHex } from '../primitives/bytes.js';
import { decodeAddress, encodeAddress } from '../primitives/coin-address.js';
import { type Transaction, decodeTx, encodeTx, txid as txidOf } from '../primitives/tx.js';

/** The parts of a miner node this source reads (MinerNode has them). */
export interface ObservableNode {
  readonly tree: BlockTree | undefined;
  /** On a network with transactions, once the chain exists. */
  readonly chainState: ChainState | undefined;
  peerList(): readonly Peer[];
  isBanned(peer: Peer): boolean;
  onEvent(listener: NodeEventListener): void;
  submitTransaction(tx: Transaction): { ok: true; txid: string } | { ok: false; reason: string; detail?: string };
}

export interface NodeSourceOptions {
  /** Refusals kept (the most recent). */
  maxRefusals?: number;
  now?: () => number;
}

/** Main-chain blocks over which the recent interval and the network's hashrate are measured. */
const RECENT_BLOCKS = 20;
/** Arrival times kept, for networks whose blocks carry no time. */
const MAX_ARRIVALS = 1_000;
/** Side branches are searched for blocks at or above `since` from this far below it. */
const FORK_REACH = 128;

export class NodeSource implements ApiSource {
  readonly #node: ObservableNode;
  readonly #now: () => number;
  readonly #maxRefusals: number;
  readonly #listeners = new Set<(event: ApiEvent) => void>();
  readonly #arrivals = new Map<string, number>();
  #refusals: ApiRefusal[] = [];
  #hashrate = { total: 0, perThread: [] as number[] };
  #engine = 'none';
  #threads = 0;

  constructor(node: ObservableNode, options: NodeSourceOptions = {}) {
    this.#node = node;
    this.#now = options.now ?? Date.now;
    this.#maxRefusals = options.maxRefusals ?? 100;
    node.onEvent((event) => this.#onNodeEvent(event));
  }

  status(): ApiStatus | undefined {
    const tree = this.#node.tree;
    if (!tree) return undefined;
    const head = tree.head;
    const target = tree.rules.nextTarget(head);
    const powchain = tree.rules.network === 'powchain' ? (tree.rules as PowchainRules) : undefined;
    const rate = this.#recentRate(tree);
    return {
      network: tree.rules.network,
      name: powchain?.params.name ?? null,
      height: head.height,
      head: head.hash,
      root: tree.root.hash,
      target: targetHex(target),
      difficulty: difficultyOf(target),
      chainWork: head.chainWork.toString(),
      blockIntervalMs: { target: powchain?.params.blockIntervalMs ?? null, recent: rate?.intervalMs ?? null },
      hashrate: { total: this.#hashrate.total, perThread: [...this.#hashrate.perThread] },
      networkHashrate: rate?.hashesPerSecond ?? null,
      peers: this.#node.peerList().length,
      mempool: this.#node.chainState
        ? { count: this.#node.chainState.mempool.size, bytes: this.#node.chainState.mempool.bytes }
        : null,
      supply: this.#node.chainState
        ? {
            unspent: this.#node.chainState.ledger.supply().toString(),
            subsidies: this.#node.chainState.subsidiesPaid().toString(),
          }
        : null,
      engine: this.#engine,
      threads: this.#threads,
    };
  }

  block(hash: string): ApiBlock | undefined {
    const tree = this.#node.tree;
    const entry = tree?.get(hash);
    if (!tree || !entry) return undefined;
    return {
      hash: entry.hash,
      height: entry.height,
      parent: entry.parent?.hash ?? null,
      time: entry.facts.time ?? null,
      target: targetHex(entry.facts.target),
      work: entry.facts.work.toString(),
      chainWork: entry.chainWork.toString(),
      miner: this.#minerOf(tree, entry),
      relayedBy: entry.origin,
      main: tree.isMain(entry),
      size: entry.block.data.length + 40,
      transactions: this.#node.chainState ? this.#blockTransactions(entry) : null,
    };
  }

  blocks(limit: number, before?: number): ApiBlock[] {
    const tree = this.#node.tree;
    if (!tree) return [];
    const blocks: ApiBlock[] = [];
    const top = Math.min(tree.head.height, (before ?? tree.head.height + 1) - 1);
    for (let height = top; height >= 0 && blocks.length < limit; height--) {
      blocks.push(this.block(tree.mainAt(height)!.hash)!);
    }
    return blocks;
  }

  tree(since: number): ApiTree | undefined {
    const tree = this.#node.tree;
    if (!tree) return undefined;
    const from = Math.max(0, since);
    const blocks: ApiTreeBlock[] = [];
    // Main-chain blocks from `since`, and every side branch that reaches `since` or above.
    for (let height = Math.max(0, from - FORK_REACH); height <= tree.head.height; height++) {
      const entry = tree.mainAt(height)!;
      if (height >= from) blocks.push(this.#treeBlock(tree, entry));
      for (const child of entry.children) {
        if (tree.isMain(child)) continue;
        const stack = [child];
        while (stack.length > 0) {
          const side = stack.pop()!;
          if (side.height >= from) blocks.push(this.#treeBlock(tree, side));
          stack.push(...side.children);
        }
      }
    }
    blocks.sort((a, b) => a.height - b.height);
    return { root: tree.root.hash, head: tree.head.hash, since: from, blocks };
  }

  peers(): ApiPeer[] {
    return this.#node.peerList().map((peer) => ({
      address: peer.key,
      extended: peer.extended,
      validated: peer.validated,
      lastHeard: peer.lastHeard,
      banned: this.#node.isBanned(peer),
    }));
  }

  refusals(): ApiRefusal[] {
    return this.#refusals.map((refusal) => ({ ...refusal }));
  }

  /** The transaction routes, on a network with transactions (absent until its chain exists). */
  get transactions(): ApiTransactions | undefined {
    const state = this.#node.chainState;
    if (!state) return undefined;
    return {
      tx: (txid) => this.#tx(state, txid),
      address: (address) => this.#address(state, address),
      mempool: () => this.#mempool(state),
      submit: (encoded) => this.#submit(encoded),
    };
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
        this.#engine = event.engine ?? 'none (--no-mine)';
        this.#threads = event.threads;
        return;
      case 'block': {
        if (event.status === 'rejected') {
          // Duplicates are gossip's normal echo, not refusals worth a line.
          if (event.reason !== 'duplicate') {
            this.#refuse({ time: this.#now(), hash: event.hash, from: event.from, reason: event.reason ?? 'rejected' });
          }
          return;
        }
        const tree = this.#node.tree;
        const entry = tree?.get(event.hash);
        if (!tree || !entry) return;
        this.#arrivals.set(entry.hash, this.#now());
        if (this.#arrivals.size > MAX_ARRIVALS) this.#arrivals.delete(this.#arrivals.keys().next().value!);
        this.#emit({ type: 'block', block: this.#treeBlock(tree, entry) });
        return;
      }
      case 'head':
        this.#emit({ type: 'head', height: event.height, hash: event.hash });
        return;
      case 'hashrate': {
        const perThread = event.per_thread ?? [event.hashes_per_second];
        this.#hashrate = { total: event.hashes_per_second, perThread };
        const tree = this.#node.tree;
        const network = tree ? (this.#recentRate(tree)?.hashesPerSecond ?? null) : null;
        this.#emit({ type: 'hashrate', total: event.hashes_per_second, perThread: [...perThread], network });
        return;
      }
      case 'junk':
        this.#refuse({ time: this.#now(), hash: null, from: event.from, reason: event.reason });
        return;
      case 'tx':
        if (event.status === 'rejected') {
          this.#refuse({
            time: this.#now(),
            hash: event.txid || null,
            from: event.from,
            reason: `tx ${event.reason ?? ''}`.trim(),
          });
          return;
        }
        this.#emit({
          type: 'tx',
          txid: event.txid,
          block: event.status === 'confirmed' ? (this.#node.chainState?.confirmed(event.txid)?.block ?? null) : null,
        });
        return;
      default:
        return;
    }
  }

  /** The block times (or, where blocks carry none, the arrival times) of the recent main chain. */
  #recentRate(tree: BlockTree): { intervalMs: number; hashesPerSecond: number } | null {
    const times: number[] = [];
    let work = 0n;
    for (let height = Math.max(1, tree.head.height - RECENT_BLOCKS); height <= tree.head.height; height++) {
      const entry = tree.mainAt(height)!;
      const time = entry.facts.time ?? this.#arrivals.get(entry.hash);
      if (time === undefined) {
        times.length = 0;
        work = 0n;
        continue;
      }
      times.push(time);
      if (times.length > 1) work += entry.facts.work;
    }
    return recentRate(times, times.length > 1 ? work / BigInt(times.length - 1) : 0n);
  }

  #minerOf(tree: BlockTree, entry: TreeEntry): string | null {
    if (entry === tree.root)
      return tree.rules.network === 'seed' ? (tree.rules.minerTag(entry.block, entry.facts) ?? null) : null;
    return tree.rules.minerTag(entry.block, entry.facts) ?? null;
  }

  #apiTx(state: ChainState, tx: Transaction, block: string | null, height: number | null): ApiTx {
    const spent = tx.kind === 'coinbase' ? [] : tx.inputs.map((input) => state.output(input));
    // The fee is known when every output spent is (a coinbase pays none: it collects them).
    let fee: bigint | null = tx.kind === 'coinbase' ? null : 0n;
    for (const output of spent) fee = fee !== null && output ? fee + output.amount : null;
    for (const output of tx.outputs) if (fee !== null) fee -= output.amount;
    return {
      txid: bytesToHex(txidOf(tx)),
      block,
      height,
      size: encodeTx(tx).length,
      fee: fee === null ? null : fee.toString(),
      inputs:
        tx.kind === 'coinbase'
          ? []
          : tx.inputs.map((input, i) => ({
              txid: bytesToHex(input.txid),
              index: input.index,
              address: spent[i] ? encodeAddress(spent[i].keyHash) : null,
              amount: spent[i] ? spent[i].amount.toString() : null,
            })),
      outputs: tx.outputs.map((output) => ({
        address: encodeAddress(output.keyHash),
        amount: output.amount.toString(),
      })),
    };
  }

  #blockTransactions(entry: TreeEntry): ApiTx[] | null {
    const state = this.#node.chainState!;
    if (!entry.parent) return [];
    const payload = state.rules.payloadOf(entry.block);
    if (!payload.ok) return [];
    return payload.value.transactions.map((tx) => this.#apiTx(state, tx, entry.hash, entry.height));
  }

  #tx(state: ChainState, txid: string): ApiTx | undefined {
    const confirmed = state.confirmed(txid);
    if (confirmed) return this.#apiTx(state, confirmed.tx, confirmed.block, confirmed.height);
    const pending = state.mempool.get(txid);
    return pending ? this.#apiTx(state, pending.tx, null, null) : undefined;
  }

  #address(state: ChainState, address: string): { ok: true; address: ApiAddress } | { ok: false; reason: string } {
    const decoded = decodeAddress(address);
    if (!decoded.ok) return decoded;
    const unspent: ApiAddress['unspent'] = state.ledger.unspent(decoded.keyHash).map(({ outpoint, coin }) => {
      const spentInMempool = state.mempool.spenderOf(`${bytesToHex(outpoint.txid)}:${outpoint.index}`) !== undefined;
      return {
        txid: bytesToHex(outpoint.txid),
        index: outpoint.index,
        amount: coin.amount.toString(),
        height: coin.height,
        coinbase: coin.coinbase,
        spentInMempool,
        spendable: !spentInMempool && state.spendableAt(coin),
      };
    });
    // Transfers waiting in the mempool: what they would do to the balance (history, height null),
    // and their outputs to this address that nothing spends yet, which a wallet may spend in
    // turn (the mempool takes chains of unconfirmed transfers).
    const owner = bytesToHex(decoded.keyHash);
    const pending: ApiAddress['history'] = [];
    for (const entry of state.mempool.entries()) {
      let delta = 0n;
      let touches = false;
      for (const input of entry.tx.inputs) {
        const spent = state.output(input);
        if (spent && bytesToHex(spent.keyHash) === owner) {
          delta -= spent.amount;
          touches = true;
        }
      }
      entry.tx.outputs.forEach((output, index) => {
        if (bytesToHex(output.keyHash) !== owner) return;
        delta += output.amount;
        touches = true;
        if (state.mempool.spenderOf(`${entry.txid}:${index}`) !== undefined) return;
        unspent.push({
          txid: entry.txid,
          index,
          amount: output.amount.toString(),
          height: null,
          coinbase: false,
          spentInMempool: false,
          spendable: true,
        });
      });
      if (touches) pending.push({ txid: entry.txid, height: null, delta: delta.toString() });
    }
    return {
      ok: true,
      address: {
        address: encodeAddress(decoded.keyHash),
        balance: state.ledger.balance(decoded.keyHash).toString(),
        unspent,
        history: [
          ...pending.reverse(),
          ...state
            .history(decoded.keyHash)
            .map((event) => ({ txid: event.txid, height: event.height, delta: event.delta.toString() })),
        ],
      },
    };
  }

  #mempool(state: ChainState): ApiMempool {
    // The pool keeps insertion order: the newest are last.
    const txids = [...state.mempool.entries()].map((entry) => entry.txid);
    return { count: state.mempool.size, bytes: state.mempool.bytes, txids: txids.slice(-MAX_MEMPOOL_TXIDS).reverse() };
  }

  #submit(encoded: Uint8Array): SubmitVerdict {
    const decoded = decodeTx(encoded);
    if (!decoded.ok) return { ok: false, reason: `malformed: ${decoded.reason}` };
    const verdict = this.#node.submitTransaction(decoded.value);
    return verdict.ok
      ? verdict
      : { ok: false, reason: `${verdict.reason}${verdict.detail ? `: ${verdict.detail}` : ''}` };
  }

  #refuse(refusal: ApiRefusal): void {
    this.#refusals.unshift(refusal);
    if (this.#refusals.length > this.#maxRefusals) this.#refusals.pop();
  }

  #treeBlock(tree: BlockTree, entry: TreeEntry): ApiTreeBlock {
    return {
      hash: entry.hash,
      height: entry.height,
      parent: entry.parent?.hash ?? null,
      main: tree.isMain(entry),
      tip: entry.children.length === 0,
      time: entry.facts.time ?? null,
      miner: this.#minerOf(tree, entry),
    };
  }
}
