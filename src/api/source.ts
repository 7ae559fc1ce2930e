/**
 * What the HTTP API reads from a node: the ApiSource interface and the JSON shapes it
 * answers with (docs/api.md). The API server knows nothing else about a node, so the node
 * (or a fake, in tests) implements this and nothing more. Every integer that can pass
 * 2^53 (targets, work) is a string; heights, counts and times are plain numbers.
 */

/** A block as the API shows it. */
export interface ApiBlock {
  hash: string;
  height: number;
  /** null for the root (genesis) block. */
  parent: string | null;
  /** When the block was made, in ms since the epoch; null on the seed network (its blocks carry no time). */
  time: number | null;
  /** The proof-of-work target, 64 lowercase hex digits. */
  target: string;
  /** Expected hashes to find this block, decimal: floor(2^256 / (target + 1)). */
  work: string;
  /** Sum of `work` from the root to this block, decimal. */
  chainWork: string;
  /** The miner's tag, e.g. "127.0.0.1:5001:3" (the tutorial's payload), or null when the data is not one. */
  miner: string | null;
  /** Who gave this node the block: "self", "host:port" of a peer, or "disk" (restored at start). */
  relayedBy: string;
  /** True when the block is on this node's main chain. */
  main: boolean;
  /** Bytes of the block's encoding. */
  size: number;
  /** The block's transactions, or null on a network without transactions. */
  transactions: ApiTx[] | null;
}

/** A block of the tree: what the page needs to draw and fold it. */
export interface ApiTreeBlock {
  hash: string;
  height: number;
  parent: string | null;
  /** On this node's main chain. */
  main: boolean;
  /** No child: a head or a stale tip. */
  tip: boolean;
  time: number | null;
  miner: string | null;
}

export interface ApiTree {
  root: string;
  head: string;
  /** The lowest height included (the asked `since`, raised to keep the answer bounded). */
  since: number;
  /** Every block at height >= since, forks too, parents before children. */
  blocks: ApiTreeBlock[];
}

export interface ApiStatus {
  network: 'seed' | 'powchain';
  /** A name for the network, when it has one. */
  name: string | null;
  height: number;
  head: string;
  root: string;
  /** 64 lowercase hex digits. */
  target: string;
  /** (2^256 - 1) / target as a float: 1 at the easiest target, 2^21 at the tutorial's 2^235. */
  difficulty: number;
  chainWork: string;
  /** Mean time between blocks: what the network aims for (null when it aims for none) and over recent blocks. */
  blockIntervalMs: { target: number | null; recent: number | null };
  /** This node's hashes per second, in total and per worker thread. */
  hashrate: { total: number; perThread: number[] };
  /** The network's hashes per second, estimated from recent blocks' work and times; null when unknown. */
  networkHashrate: number | null;
  peers: number;
  /** null on a network without transactions. */
  mempool: { count: number; bytes: number } | null;
  /**
   * All unspent amounts together, in base units (decimal), and what the coinbases of the main
   * chain were allowed to create (the subsidies): equal unless a miner claimed less. null on a
   * network without transactions.
   */
  supply: { unspent: string; subsidies: string } | null;
  engine: string;
  threads: number;
}

export interface ApiPeer {
  /** "host:port". */
  address: string;
  /** Speaks the extended protocol (a powchain node) rather than only the tutorial's blocks. */
  extended: boolean;
  /** Has sent at least one block with valid proof of work. */
  validated: boolean;
  /** When this node last heard from it, ms since the epoch. */
  lastHeard: number;
  banned: boolean;
}

/** Something this node refused, with the stable reason it logs. */
export interface ApiRefusal {
  time: number;
  hash: string | null;
  from: string;
  reason: string;
}

/** A transaction (defined by the transactions issue; only what the API needs to route is fixed here). */
export interface ApiTx {
  txid: string;
  /** The block that confirms it and its height; null while it waits in the mempool. */
  block: string | null;
  height: number | null;
  size: number;
  /** Inputs minus outputs, base units, decimal; null for a coinbase (no inputs) or when an input's amount is unknown. */
  fee: string | null;
  /** Empty for a coinbase. `address` and `amount` of the output spent are null when this node does not know it. */
  inputs: Array<{ txid: string; index: number; address: string | null; amount: string | null }>;
  outputs: Array<{ address: string; amount: string }>;
}

export interface ApiAddress {
  address: string;
  /** Base units, decimal. */
  balance: string;
  unspent: Array<{
    txid: string;
    index: number;
    amount: string;
    height: number | null;
    /** Made by a coinbase (spendable only after the network's coinbase maturity). */
    coinbase: boolean;
    /** A transaction in the mempool spends it already. */
    spentInMempool: boolean;
    /** May be spent by a transaction in the next block: mature and not spent in the mempool. */
    spendable: boolean;
  }>;
  history: Array<{ txid: string; height: number | null; delta: string }>;
}

export interface ApiMempool {
  count: number;
  bytes: number;
  /** The newest transactions' txids (at most MAX_MEMPOOL_TXIDS of limits.ts), newest first. */
  txids: string[];
}

export type SubmitVerdict = { ok: true; txid: string } | { ok: false; reason: string };

/** The transactions issue's part: optional, since the seed network has no transactions. */
export interface ApiTransactions {
  tx(txid: string): ApiTx | undefined;
  /** `address` has the bech32m shape already; the source decodes it and may still refuse it. */
  address(address: string): { ok: true; address: ApiAddress } | { ok: false; reason: string };
  mempool(): ApiMempool;
  submit(encoded: Uint8Array): SubmitVerdict;
}

export type ApiEvent =
  | { type: 'head'; height: number; hash: string }
  | { type: 'block'; block: ApiTreeBlock }
  | { type: 'hashrate'; total: number; perThread: number[]; network: number | null }
  | { type: 'tx'; txid: string; block: string | null };

export interface ApiSource {
  /** undefined while the node waits for a genesis block. */
  status(): ApiStatus | undefined;
  block(hash: string): ApiBlock | undefined;
  /** Main chain, newest first: `limit` blocks below height `before` (default: from the head). */
  blocks(limit: number, before?: number): ApiBlock[];
  /** undefined while there is no chain. */
  tree(since: number): ApiTree | undefined;
  peers(): ApiPeer[];
  /** The most recent refusals, newest first (the source keeps a bounded list). */
  refusals(): ApiRefusal[];
  /** Calls `listener` for every event until the returned function is called. */
  subscribe(listener: (event: ApiEvent) => void): () => void;
  transactions?: ApiTransactions;
}
