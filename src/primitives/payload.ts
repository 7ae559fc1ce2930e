/**
 * The block payload: the `data` of every powchain block but the genesis (version, height,
 * time, target, transactions with the coinbase first). Canonical and strict; refusal
 * reasons are the `<detail>` of the node's `bad-payload: <detail>`. Byte layout:
 * docs/powchain-network.md. Also the coinbase-tag padding that gives the miner's hashing
 * kernel its fast layout.
 */
import { ByteReader, ByteWriter, RefusalError, decodeRecord, refuse, type Decoded } from './codec.js';
import { HASH_BYTES, MAX_DATA_BYTES, MAX_TARGET } from './limits.js';
import { MAX_COINBASE_TAG_BYTES, readTransaction, writeTransaction, type CoinbaseTx, type Transaction } from './tx.js';

export const PAYLOAD_VERSION = 1;
export const MAX_PAYLOAD_HEIGHT = 0xffff_ffff;
export const MAX_PAYLOAD_TIME_MS = Number.MAX_SAFE_INTEGER;
const TARGET_BYTES = 32;
/** version, height, time, target, transaction count. */
export const PAYLOAD_HEADER_BYTES = 1 + 4 + 8 + TARGET_BYTES + 2;
/** The shortest transaction: a coinbase with an empty tag and no outputs. */
const MIN_TX_BYTES = 1 + 4 + 1 + 2;

export interface BlockPayload {
  version: typeof PAYLOAD_VERSION;
  /** >= 1: height 0 is the genesis, whose data is the parameters record. */
  height: number;
  /** Block time, ms since the Unix epoch. */
  time: number;
  /** Full 256-bit target this block's hash must meet. */
  target: bigint;
  /** The coinbase first, and no other coinbase. */
  transactions: Transaction[];
}

export type PayloadVerdict = { ok: true } | { ok: false; reason: string };

/** The payload rules beyond each transaction's own syntax. */
export function checkPayload(payload: BlockPayload): PayloadVerdict {
  if (payload.version !== PAYLOAD_VERSION) return { ok: false, reason: `unknown payload version ${payload.version}` };
  if (!Number.isInteger(payload.height) || payload.height < 1 || payload.height > MAX_PAYLOAD_HEIGHT) {
    return { ok: false, reason: `height must be 1 to ${MAX_PAYLOAD_HEIGHT}, got ${payload.height}` };
  }
  if (!Number.isSafeInteger(payload.time) || payload.time < 0) {
    return { ok: false, reason: `time must be 0 to ${MAX_PAYLOAD_TIME_MS} ms, got ${payload.time}` };
  }
  if (payload.target < 1n || payload.target > MAX_TARGET) {
    return { ok: false, reason: 'target must be between 1 and 2^256-1' };
  }
  const [coinbase, ...others] = payload.transactions;
  if (coinbase === undefined) return { ok: false, reason: 'no transactions (the coinbase is required)' };
  if (coinbase.kind !== 'coinbase') return { ok: false, reason: 'first transaction is not a coinbase' };
  const second = others.findIndex((tx) => tx.kind === 'coinbase');
  if (second >= 0) return { ok: false, reason: `transaction ${second + 1} is a second coinbase` };
  if (coinbase.height !== payload.height) {
    return { ok: false, reason: `coinbase height ${coinbase.height} is not the block height ${payload.height}` };
  }
  return { ok: true };
}

/** The canonical payload; an invalid payload is a programming error (RangeError). */
export function encodePayload(payload: BlockPayload): Uint8Array {
  const verdict = checkPayload(payload);
  if (!verdict.ok) throw new RangeError(`invalid payload: ${verdict.reason}`);
  // checkPayload has bounded every header field but the transaction count, so only that
  // one can be out of its field's range here, and only it needs a name in the error.
  const writer = new ByteWriter()
    .u8(payload.version)
    .u32(payload.height)
    .u64(BigInt(payload.time))
    .uint(payload.target, TARGET_BYTES)
    .u16(payload.transactions.length, 'transaction count');
  for (const tx of payload.transactions) writeTransaction(writer, tx);
  return writer.finish();
}

function readPayload(reader: ByteReader): BlockPayload {
  const version = reader.u8('payload version');
  if (version !== PAYLOAD_VERSION) refuse(`unknown payload version ${version}`);
  const height = reader.u32('height');
  const time = reader.u64('time');
  if (time > BigInt(MAX_PAYLOAD_TIME_MS)) refuse(`time must be 0 to ${MAX_PAYLOAD_TIME_MS} ms, got ${time}`);
  const target = reader.uint(TARGET_BYTES, 'target');
  const count = reader.u16('transaction count');
  // Checked before allocating: every transaction takes at least MIN_TX_BYTES.
  if (count * MIN_TX_BYTES > reader.remaining) {
    refuse(`transaction count ${count} needs at least ${count * MIN_TX_BYTES} bytes, only ${reader.remaining} left`);
  }
  const transactions: Transaction[] = [];
  for (let i = 0; i < count; i++) {
    const start = reader.offset;
    try {
      transactions.push(readTransaction(reader));
    } catch (error) {
      if (error instanceof RefusalError) {
        refuse(`transaction ${i} (at byte ${start}): ${error.message}`);
      }
      throw error;
    }
  }
  const payload: BlockPayload = { version: PAYLOAD_VERSION, height, time: Number(time), target, transactions };
  const verdict = checkPayload(payload);
  if (!verdict.ok) refuse(verdict.reason);
  return payload;
}

/** Decodes a block's `data`; `maxBytes` is the network's max block bytes (<= MAX_DATA_BYTES). */
export function decodePayload(bytes: Uint8Array, maxBytes: number): Decoded<BlockPayload> {
  if (!Number.isInteger(maxBytes) || maxBytes < 0 || maxBytes > MAX_DATA_BYTES) {
    throw new RangeError(`maxBytes must be 0 to ${MAX_DATA_BYTES}, got ${maxBytes}`);
  }
  if (bytes.length > maxBytes) return { ok: false, reason: `payload is ${bytes.length} bytes, at most ${maxBytes}` };
  return decodeRecord(bytes, readPayload);
}

/**
 * The hashing kernel is fastest when (payload length + 32) mod 64 == 48: the block's
 * SHA-256 input is data || previous_hash (32) || nonce (8), so the nonce then fills bytes
 * 48..55 of the last 64-byte chunk, as in the tutorial's 56-byte message. Everything before
 * that chunk is hashed once (the midstate), and the padding chunk that follows is the same
 * for every nonce, so its schedule is precomputed: the kernel's specialised path
 * (docs/hashing.md).
 */
export const FAST_LAYOUT_CHUNK = 64;
export const FAST_LAYOUT_OFFSET = 48;
/** The longest miner tag that still leaves room for the largest padding (63 bytes). */
export const MAX_MINER_TAG_BYTES = MAX_COINBASE_TAG_BYTES - (FAST_LAYOUT_CHUNK - 1);

/** The payload length mod 64 of the fast layout: the 32-byte previous hash brings it to 48. */
const FAST_LAYOUT_PAYLOAD_REMAINDER = FAST_LAYOUT_OFFSET - HASH_BYTES;

/** Bytes to add to a payload of `payloadLength` bytes to reach the fast layout (0 .. 63). */
export function fastLayoutPadding(payloadLength: number): number {
  const remainder = payloadLength % FAST_LAYOUT_CHUNK;
  return (FAST_LAYOUT_PAYLOAD_REMAINDER - remainder + FAST_LAYOUT_CHUNK) % FAST_LAYOUT_CHUNK;
}

/**
 * The same payload with zero bytes appended to the coinbase tag so that its encoding has
 * the fast layout. The tag's length is a fixed-width field, so each added byte adds one byte
 * to the payload. The block template must leave 63 bytes of its size budget for this.
 */
export function padForFastLayout(payload: BlockPayload): BlockPayload {
  const padding = fastLayoutPadding(encodePayload(payload).length);
  const [coinbase, ...others] = payload.transactions as [CoinbaseTx, ...Transaction[]];
  if (coinbase.tag.length + padding > MAX_COINBASE_TAG_BYTES) {
    throw new RangeError(
      `coinbase tag of ${coinbase.tag.length} bytes cannot take ${padding} bytes of padding (at most ${MAX_COINBASE_TAG_BYTES})`,
    );
  }
  const tag = new Uint8Array(coinbase.tag.length + padding);
  tag.set(coinbase.tag);
  return { ...payload, transactions: [{ ...coinbase, tag }, ...others] };
}
