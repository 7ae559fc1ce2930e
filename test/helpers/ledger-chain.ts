/**
 * Test chains for the ledger and mempool tests: deterministic keys, signed transfers, and a
 * small block tree of BlockRefs (no proof of work: the ledger never looks at headers) that
 * computes the route from one block to another as the node's block tree would.
 */
import { createHash } from 'node:crypto';
import { bytesToHex } from '../../src/primitives/bytes.js';
import { keyHash } from '../../src/primitives/coin-address.js';
import { keyPairFromSeed, type KeyPair } from '../../src/primitives/keys.js';
import { MAX_TARGET } from '../../src/primitives/limits.js';
import { COIN, DEFAULT_PARAMS, subsidy, type NetworkParams } from '../../src/primitives/params.js';
import { PAYLOAD_VERSION, type BlockPayload } from '../../src/primitives/payload.js';
import {
  signTransfer,
  txid,
  type CoinbaseTx,
  type Transaction,
  type TransferTx,
  type TxOutput,
} from '../../src/primitives/tx.js';
import type { BlockRef, Route } from '../../src/consensus/ledger/ledger.js';

export const GENESIS_HASH = new Uint8Array(32).fill(0x42);
export const GENESIS_HEX = bytesToHex(GENESIS_HASH);
export const OTHER_GENESIS_HASH = new Uint8Array(32).fill(0x43);

/** Short maturity and halvings so that tests reach both quickly. */
export const TEST_PARAMS: NetworkParams = {
  ...DEFAULT_PARAMS,
  genesisTimeMs: 0,
  initialTarget: MAX_TARGET,
  subsidy: 50n * COIN,
  halvingInterval: 8,
  coinbaseMaturity: 3,
};

/** Deterministic key pairs: KEYS[i] comes from the seed filled with i + 1. */
export const KEYS: KeyPair[] = Array.from({ length: 8 }, (_, i) => keyPairFromSeed(new Uint8Array(32).fill(i + 1)));
export const MINER = KEYS[0]!;
export const hashOf = (key: KeyPair): Uint8Array => keyHash(key.publicKey);

export const hexTxid = (tx: Transaction): string => bytesToHex(txid(tx));

export interface Spend {
  /** The spent output's transaction (or its txid). */
  from: Transaction | Uint8Array;
  index: number;
  key: KeyPair;
}

/** A signed transfer spending `spends` into `outputs` ([amount, payee] pairs). */
export function transfer(
  spends: readonly Spend[],
  outputs: ReadonlyArray<readonly [bigint, KeyPair | Uint8Array]>,
  genesisHash: Uint8Array = GENESIS_HASH,
): TransferTx {
  return signTransfer(
    {
      kind: 'transfer',
      inputs: spends.map((spend) => ({
        txid: spend.from instanceof Uint8Array ? spend.from : txid(spend.from),
        index: spend.index,
        publicKey: spend.key.publicKey,
      })),
      outputs: outputs.map(([amount, payee]): TxOutput => ({
        amount,
        keyHash: payee instanceof Uint8Array ? payee : hashOf(payee),
      })),
    },
    spends.map((spend) => spend.key.privateKey),
    genesisHash,
  );
}

export function coinbase(height: number, amount: bigint, payee: KeyPair = MINER, tag = 'miner'): CoinbaseTx {
  return {
    kind: 'coinbase',
    height,
    tag: new TextEncoder().encode(tag),
    outputs: amount > 0n ? [{ amount, keyHash: hashOf(payee) }] : [],
  };
}

export interface BlockOptions {
  /** Fees the coinbase may claim besides the subsidy (default 0). */
  fees?: bigint;
  /** Extra amount the coinbase claims (to make it pay too much). */
  overpay?: bigint;
  /** Replaces the whole transaction list (the coinbase too). */
  transactions?: Transaction[];
  /** The coinbase's tag (default "miner"), to tell sibling blocks apart. */
  tag?: string;
}

/**
 * A tree of test blocks over one genesis. Hashes are made up (SHA-256 of the parent hash
 * and a counter): unique, and unrelated to the payload, which tests may build invalid.
 */
export class TestTree {
  readonly genesisHex: string;
  readonly #blocks = new Map<string, BlockRef>();
  #counter = 0;

  constructor(genesisHex = GENESIS_HEX) {
    this.genesisHex = genesisHex;
  }

  get(hash: string): BlockRef {
    const block = this.#blocks.get(hash);
    if (!block) throw new Error(`no test block ${hash}`);
    return block;
  }

  height(hash: string): number {
    return hash === this.genesisHex ? 0 : this.get(hash).height;
  }

  /** A child of `parentHash` holding a coinbase (subsidy + fees) and `transfers`. */
  block(parentHash: string, transfers: readonly TransferTx[] = [], options: BlockOptions = {}): BlockRef {
    const height = this.height(parentHash) + 1;
    const reward = subsidy(TEST_PARAMS, height) + (options.fees ?? 0n) + (options.overpay ?? 0n);
    const transactions = options.transactions ?? [coinbase(height, reward, MINER, options.tag), ...transfers];
    const payload: BlockPayload = {
      version: PAYLOAD_VERSION,
      height,
      time: height * 1000,
      target: MAX_TARGET,
      transactions,
    };
    const hash = createHash('sha256').update(`${parentHash}:${this.#counter++}`).digest('hex');
    const block: BlockRef = { hash, parentHash, height, payload };
    this.#blocks.set(hash, block);
    return block;
  }

  /** The blocks from the genesis (exclusive) to `hash`, oldest first. */
  chain(hash: string): BlockRef[] {
    const chain: BlockRef[] = [];
    for (let at = hash; at !== this.genesisHex; at = this.get(at).parentHash) chain.push(this.get(at));
    return chain.reverse();
  }

  /** The route from the block `from` (a ledger's tip) to the block `to`, through their fork point. */
  route(from: string, to: string): Route {
    const disconnect: BlockRef[] = [];
    const connect: BlockRef[] = [];
    let a = from;
    let b = to;
    while (a !== b) {
      if (this.height(a) >= this.height(b)) {
        const block = this.get(a);
        disconnect.push(block);
        a = block.parentHash;
      } else {
        const block = this.get(b);
        connect.push(block);
        b = block.parentHash;
      }
    }
    return { disconnect, connect: connect.reverse() };
  }
}
