/**
 * The ledger snapshot: the unspent-output set and the undo records in one binary record,
 * so that a node can save its ledger and restart from it instead of replaying the chain.
 * Canonical (coins sorted by outpoint, fixed-width fields) and checked end to end: a
 * SHA-256 trailer catches a torn or damaged file, and every field is validated with a
 * reason before the ledger is rebuilt. Byte layout: docs/ledger.md "Snapshot".
 */
import { createHash } from 'node:crypto';
import { bytesToHex, equalBytes } from '../../primitives/bytes.js';
import { ByteReader, decodeRecord, refuse, type Decoded } from '../../primitives/codec.js';
import { KEY_HASH_BYTES } from '../../primitives/coin-address.js';
import { HASH_BYTES } from '../../primitives/limits.js';
import { MAX_MONEY, type NetworkParams } from '../../primitives/params.js';
import { MAX_TX_OUTPUTS, TXID_BYTES } from '../../primitives/tx.js';
import { outpointKey, type Coin } from './coins.js';
import type { SpentCoin, UndoRecord } from './connect.js';
import { Ledger, MAX_UNDO_DEPTH, type LedgerOptions } from './ledger.js';

/** ASCII "powchain ledger" then a zero byte. */
export const SNAPSHOT_MAGIC: Uint8Array = new Uint8Array([...new TextEncoder().encode('powchain ledger'), 0x00]);
export const SNAPSHOT_VERSION = 1;
/** txid, index, amount, key hash, height, flags. */
export const COIN_RECORD_BYTES = TXID_BYTES + 2 + 8 + KEY_HASH_BYTES + 4 + 1;
// Offsets of a coin record's fields after its txid.
const INDEX_AT = TXID_BYTES;
const AMOUNT_AT = INDEX_AT + 2;
const KEY_HASH_AT = AMOUNT_AT + 8;
const HEIGHT_AT = KEY_HASH_AT + KEY_HASH_BYTES;
const FLAGS_AT = HEIGHT_AT + 4;
/** magic, version, genesis hash, tip hash, tip height, coin count. */
const HEADER_BYTES = SNAPSHOT_MAGIC.length + 1 + HASH_BYTES + HASH_BYTES + 4 + 4;
// Offsets of the header's fields after the magic.
const VERSION_AT = SNAPSHOT_MAGIC.length;
const GENESIS_AT = VERSION_AT + 1;
const TIP_AT = GENESIS_AT + HASH_BYTES;
const TIP_HEIGHT_AT = TIP_AT + HASH_BYTES;
const COUNT_AT = TIP_HEIGHT_AT + 4;
/** hash, parent hash, height, spent count. */
const UNDO_HEADER_BYTES = HASH_BYTES + HASH_BYTES + 4 + 4;
const CHECKSUM_BYTES = 32;
const FLAG_COINBASE = 1;

export interface SnapshotLimits {
  /** Longest snapshot accepted (default 1 GiB). */
  maxBytes?: number;
  /** Most coins accepted (default 10,000,000). */
  maxCoins?: number;
}

export const DEFAULT_SNAPSHOT_LIMITS: Required<SnapshotLimits> = {
  maxBytes: 1024 * 1024 * 1024,
  maxCoins: 10_000_000,
};

/** Writes fixed-width big-endian fields into a buffer of known size (faster than ByteWriter for millions of fields). */
class FixedWriter {
  readonly buffer: Buffer;
  #offset = 0;

  constructor(length: number) {
    this.buffer = Buffer.alloc(length);
  }

  get offset(): number {
    return this.#offset;
  }

  bytes(value: Uint8Array): void {
    this.buffer.set(value, this.#offset);
    this.#offset += value.length;
  }

  hex(value: string, length: number): void {
    if (this.buffer.write(value, this.#offset, length, 'hex') !== length) throw new RangeError(`bad hex ${value}`);
    this.#offset += length;
  }

  u8(value: number): void {
    this.#offset = this.buffer.writeUInt8(value, this.#offset);
  }

  u16(value: number): void {
    this.#offset = this.buffer.writeUInt16BE(value, this.#offset);
  }

  u32(value: number): void {
    this.#offset = this.buffer.writeUInt32BE(value, this.#offset);
  }

  u64(value: bigint): void {
    this.#offset = this.buffer.writeBigUInt64BE(value, this.#offset);
  }
}

/** The txid (hex) and the output index of an outpoint key `<txid hex>:<index>`. */
const txidHexOf = (key: string): string => key.slice(0, 2 * TXID_BYTES);
const indexOf = (key: string): number => Number(key.slice(2 * TXID_BYTES + 1));

function writeCoin(writer: FixedWriter, key: string, coin: Coin): void {
  writer.hex(txidHexOf(key), TXID_BYTES);
  writer.u16(indexOf(key));
  writer.u64(coin.amount);
  writer.bytes(coin.keyHash);
  writer.u32(coin.height);
  writer.u8(coin.coinbase ? FLAG_COINBASE : 0);
}

/** Outpoint keys in byte order of (txid, index): txid hex is fixed-width lower case. */
function compareKeys(a: string, b: string): number {
  const ta = txidHexOf(a);
  const tb = txidHexOf(b);
  if (ta < tb) return -1;
  if (ta > tb) return 1;
  return indexOf(a) - indexOf(b);
}

/** The canonical snapshot of `ledger`'s state. */
export function encodeSnapshot(ledger: Ledger): Uint8Array {
  const state = ledger.state();
  const coins = [...state.coins].sort((a, b) => compareKeys(a[0], b[0]));
  let length = HEADER_BYTES + coins.length * COIN_RECORD_BYTES + 2 + CHECKSUM_BYTES;
  for (const record of state.undo) length += UNDO_HEADER_BYTES + record.spent.length * COIN_RECORD_BYTES;
  const writer = new FixedWriter(length);
  writer.bytes(SNAPSHOT_MAGIC);
  writer.u8(SNAPSHOT_VERSION);
  writer.bytes(ledger.genesisHash);
  writer.hex(state.tip, HASH_BYTES);
  writer.u32(state.height);
  writer.u32(coins.length);
  for (const [key, coin] of coins) writeCoin(writer, key, coin);
  writer.u16(state.undo.length);
  for (const record of state.undo) {
    writer.hex(record.hash, HASH_BYTES);
    writer.hex(record.parentHash, HASH_BYTES);
    writer.u32(record.height);
    writer.u32(record.spent.length);
    for (const { key, coin } of record.spent) writeCoin(writer, key, coin);
  }
  const body = writer.buffer.subarray(0, writer.offset);
  writer.bytes(createHash('sha256').update(body).digest());
  return new Uint8Array(writer.buffer.buffer, writer.buffer.byteOffset, writer.buffer.length);
}

/**
 * Reads one coin record, whole (its count was checked against the bytes left); `maxHeight`
 * is the highest block it may come from.
 */
function readCoin(
  reader: ByteReader,
  maxHeight: number,
  what: string,
): { txid: Uint8Array; index: number; key: string; coin: Coin } {
  const record = reader.bytes(COIN_RECORD_BYTES, what);
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const txid = record.subarray(0, TXID_BYTES);
  const index = view.getUint16(INDEX_AT);
  if (index >= MAX_TX_OUTPUTS) refuse(`${what}: output index must be 0 to ${MAX_TX_OUTPUTS - 1}, got ${index}`);
  const amount = view.getBigUint64(AMOUNT_AT);
  if (amount < 1n || amount > MAX_MONEY) refuse(`${what}: amount must be 1 to ${MAX_MONEY}, got ${amount}`);
  const keyHash = record.slice(KEY_HASH_AT, HEIGHT_AT);
  const height = view.getUint32(HEIGHT_AT);
  if (height < 1 || height > maxHeight) refuse(`${what}: height must be 1 to ${maxHeight}, got ${height}`);
  const flags = view.getUint8(FLAGS_AT);
  if (flags !== 0 && flags !== FLAG_COINBASE) refuse(`${what}: unknown flags ${flags}`);
  const coin: Coin = { amount, keyHash, height, coinbase: flags === FLAG_COINBASE };
  return { txid, index, key: outpointKey(bytesToHex(txid), index), coin };
}

/** Byte order of two outpoints: negative, zero or positive. */
function compareOutpoints(txidA: Uint8Array, indexA: number, txidB: Uint8Array, indexB: number): number {
  const order = Buffer.compare(txidA, txidB);
  return order !== 0 ? order : indexA - indexB;
}

interface DecodedState {
  tip: string;
  height: number;
  coins: [string, Coin][];
  undo: UndoRecord[];
}

/** Reads the state from its fixed-size `header` and `reader` over the bytes after it. */
function readState(
  header: Uint8Array,
  reader: ByteReader,
  genesisHash: Uint8Array,
  limits: Required<SnapshotLimits>,
): DecodedState {
  const fields = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (!equalBytes(header.subarray(0, VERSION_AT), SNAPSHOT_MAGIC)) refuse('not a ledger snapshot (bad magic)');
  const version = fields.getUint8(VERSION_AT);
  if (version !== SNAPSHOT_VERSION) refuse(`unknown snapshot version ${version}`);
  const genesis = header.subarray(GENESIS_AT, TIP_AT);
  if (!equalBytes(genesis, genesisHash)) refuse(`snapshot is of another network (genesis ${bytesToHex(genesis)})`);
  const tip = bytesToHex(header.subarray(TIP_AT, TIP_HEIGHT_AT));
  const height = fields.getUint32(TIP_HEIGHT_AT);
  if (height === 0 && tip !== bytesToHex(genesisHash)) refuse('a snapshot at height 0 must be at the genesis');

  const count = fields.getUint32(COUNT_AT);
  if (count > limits.maxCoins) refuse(`${count} coins, at most ${limits.maxCoins}`);
  // Checked before allocating: a count the bytes left cannot hold is refused at once.
  if (count * COIN_RECORD_BYTES > reader.remaining) {
    refuse(`coin count ${count} needs ${count * COIN_RECORD_BYTES} bytes, only ${reader.remaining} left`);
  }
  const coins: [string, Coin][] = [];
  let total = 0n;
  let previous: { txid: Uint8Array; index: number } | undefined;
  for (let i = 0; i < count; i++) {
    const { txid, index, key, coin } = readCoin(reader, height, `coin ${i}`);
    if (previous && compareOutpoints(previous.txid, previous.index, txid, index) >= 0) {
      refuse(`coin ${i} is not after coin ${i - 1} in outpoint order`);
    }
    previous = { txid, index };
    total += coin.amount;
    if (total > MAX_MONEY) refuse(`coins add up to more than MAX_MONEY (${MAX_MONEY})`);
    coins.push([key, coin]);
  }

  const records = reader.u16('undo record count');
  if (records > Math.min(height, MAX_UNDO_DEPTH)) {
    refuse(`${records} undo records, at most ${Math.min(height, MAX_UNDO_DEPTH)} at height ${height}`);
  }
  const undo: UndoRecord[] = [];
  for (let r = 0; r < records; r++) {
    const what = `undo record ${r}`;
    const hash = bytesToHex(reader.bytes(HASH_BYTES, `${what} hash`));
    const parentHash = bytesToHex(reader.bytes(HASH_BYTES, `${what} parent hash`));
    const recordHeight = reader.u32(`${what} height`);
    const expected = height - records + 1 + r;
    if (recordHeight !== expected) refuse(`${what}: height must be ${expected}, got ${recordHeight}`);
    const parent = undo[r - 1];
    if (parent && parentHash !== parent.hash) refuse(`${what}: parent is not the block of undo record ${r - 1}`);
    if (r === records - 1 && hash !== tip) refuse(`${what}: the last undo record must be the tip's`);
    const spentCount = reader.u32(`${what} spent count`);
    if (spentCount * COIN_RECORD_BYTES > reader.remaining) {
      refuse(
        `${what}: spent count ${spentCount} needs ${spentCount * COIN_RECORD_BYTES} bytes, only ${reader.remaining} left`,
      );
    }
    const spent: SpentCoin[] = [];
    for (let i = 0; i < spentCount; i++) {
      const { key, coin } = readCoin(reader, recordHeight, `${what} coin ${i}`);
      spent.push({ key, coin });
    }
    undo.push({ hash, parentHash, height: recordHeight, spent });
  }
  return { tip, height, coins, undo };
}

/**
 * Rebuilds a ledger from a snapshot of this network (`genesisHash`); refuses, with a reason,
 * anything encodeSnapshot would not have written. `options` are the new ledger's.
 */
export function decodeSnapshot(
  bytes: Uint8Array,
  params: NetworkParams,
  genesisHash: Uint8Array,
  options: LedgerOptions & SnapshotLimits = {},
): Decoded<Ledger> {
  const limits = { ...DEFAULT_SNAPSHOT_LIMITS, ...options };
  if (bytes.length > limits.maxBytes) {
    return { ok: false, reason: `snapshot is ${bytes.length} bytes, at most ${limits.maxBytes}` };
  }
  if (bytes.length < HEADER_BYTES + 2 + CHECKSUM_BYTES) {
    return { ok: false, reason: `snapshot is ${bytes.length} bytes, too short to be one` };
  }
  const body = bytes.subarray(0, bytes.length - CHECKSUM_BYTES);
  const checksum = createHash('sha256').update(body).digest();
  if (!equalBytes(checksum, bytes.subarray(body.length))) {
    return { ok: false, reason: 'snapshot checksum does not match (truncated or damaged)' };
  }
  // The length check made room for the header: it is read from its fixed offsets.
  const header = body.subarray(0, HEADER_BYTES);
  const decoded = decodeRecord(body.subarray(HEADER_BYTES), (reader) => readState(header, reader, genesisHash, limits));
  if (!decoded.ok) return decoded;
  return { ok: true, value: Ledger.fromState(params, genesisHash, decoded.value, options) };
}
