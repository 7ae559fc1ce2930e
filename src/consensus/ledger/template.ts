/**
 * Block templates: the transactions of the next block on the ledger's tip, a coinbase that
 * pays subsidy + fees to the miner followed by the mempool's best transfers (parents
 * first), sized so that the payload still fits the network's max block bytes after the
 * coinbase tag gets its fast-layout padding (docs/ledger.md "Templates").
 */
import { KEY_HASH_BYTES } from '../../primitives/coin-address.js';
import { subsidy, type NetworkParams } from '../../primitives/params.js';
import { FAST_LAYOUT_CHUNK, MAX_MINER_TAG_BYTES, PAYLOAD_HEADER_BYTES } from '../../primitives/payload.js';
import { encodeTx, type CoinbaseTx, type Transaction } from '../../primitives/tx.js';
import type { Ledger } from './ledger.js';
import type { Mempool } from './mempool.js';

/** Encoded size of a coinbase with a `tagBytes`-byte tag and one output. */
export function coinbaseBytes(tagBytes: number): number {
  const probe: CoinbaseTx = {
    kind: 'coinbase',
    height: 0,
    tag: new Uint8Array(tagBytes),
    outputs: [{ amount: 1n, keyHash: new Uint8Array(KEY_HASH_BYTES) }],
  };
  return encodeTx(probe).length;
}

/**
 * Bytes left for transfers in a block whose coinbase has a `tagBytes`-byte miner tag: the
 * max block bytes less the payload header, the coinbase and the largest fast-layout
 * padding (63 bytes).
 */
export function templateBudget(params: Pick<NetworkParams, 'maxBlockBytes'>, tagBytes: number): number {
  return params.maxBlockBytes - PAYLOAD_HEADER_BYTES - coinbaseBytes(tagBytes) - (FAST_LAYOUT_CHUNK - 1);
}

/** The most transfer bytes any template can hold (the longest miner tag): larger transfers can never be mined. */
export function transferBudget(params: Pick<NetworkParams, 'maxBlockBytes'>): number {
  return templateBudget(params, MAX_MINER_TAG_BYTES);
}

export interface TemplateRequest {
  /** The miner's tag (`host:port:i`), at most MAX_MINER_TAG_BYTES; padding is added later. */
  tag: Uint8Array;
  /** Key hash the coinbase pays. */
  payTo: Uint8Array;
}

export interface Template {
  height: number;
  /** The coinbase, then the transfers in an order that spends parents before children. */
  transactions: Transaction[];
  fees: bigint;
}

/** The transactions of a block to mine on `ledger`'s tip. */
export function templateTransactions(ledger: Ledger, mempool: Mempool, request: TemplateRequest): Template {
  if (request.tag.length > MAX_MINER_TAG_BYTES) {
    throw new RangeError(`miner tag is ${request.tag.length} bytes, at most ${MAX_MINER_TAG_BYTES}`);
  }
  if (request.payTo.length !== KEY_HASH_BYTES) throw new RangeError(`payTo must be ${KEY_HASH_BYTES} bytes`);
  const height = ledger.height + 1;
  const selection = mempool.select(templateBudget(ledger.params, request.tag.length), ledger, height);
  const reward = subsidy(ledger.params, height) + selection.fees;
  const coinbase: CoinbaseTx = {
    kind: 'coinbase',
    height,
    tag: request.tag,
    // An output must be worth at least 1: after the last halving an empty block pays nothing.
    outputs: reward > 0n ? [{ amount: reward, keyHash: request.payTo }] : [],
  };
  return { height, transactions: [coinbase, ...selection.transactions], fees: selection.fees };
}
