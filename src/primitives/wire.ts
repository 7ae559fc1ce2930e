/**
 * The tutorial's wire encoding of a block (docs/protocol.md), owned here and nowhere else:
 *
 *   {"data": "<standard base64, padded>", "previous_hash": "<64 hex>", "p_o_w": "<16 hex>"}
 *
 * UTF-8 JSON, one datagram per block, written with Python's `json.dumps` separators so the
 * bytes match the tutorial's. Decoding accepts any JSON spelling, hex of either case, extra
 * fields (ignored here; the network layer reads its own), and a missing `p_o_w` (zero).
 * Everything else is refused with a reason, never thrown past `decodeBlock`.
 */
import { Block } from './block.js';
import { HASH_BYTES, MAX_DATAGRAM_BYTES, MAX_DATA_BYTES, NONCE_BYTES } from './limits.js';
import { FormatError, base64ToBytes, bytesToBase64, bytesToBigInt, bytesToHex, hexToBytes } from './bytes.js';

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

export class BlockDecodeError extends Error {
  override readonly name = 'BlockDecodeError';
  constructor(readonly reason: string) {
    super(`malformed block: ${reason}`);
  }
}

export function encodeBlock(block: Block): string {
  return (
    `{"data": "${bytesToBase64(block.data)}", ` +
    `"previous_hash": "${bytesToHex(block.previousHash)}", ` +
    `"p_o_w": "${bytesToHex(block.proofOfWork)}"}`
  );
}

/** Parses a datagram as JSON: the datagram or a reason. Size is checked before parsing. */
export function parseJsonDatagram(wire: Uint8Array | string): Decoded<unknown> {
  // UTF-8 bytes of a string, the length of bytes.
  const size = Buffer.byteLength(wire);
  if (size > MAX_DATAGRAM_BYTES) return { ok: false, reason: `datagram is ${size} bytes, over ${MAX_DATAGRAM_BYTES}` };
  if (size === 0) return { ok: false, reason: 'empty datagram' };
  let text: string;
  try {
    text = typeof wire === 'string' ? wire : new TextDecoder('utf-8', { fatal: true }).decode(wire);
  } catch {
    return { ok: false, reason: 'not UTF-8' };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
}

/** True for a parsed JSON object: not null, an array or a primitive. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a block from an already-parsed JSON value. */
export function blockFromJson(value: unknown): Decoded<Block> {
  if (!isJsonObject(value)) return { ok: false, reason: 'not a JSON object' };
  const fields = value;
  const { data, previous_hash: previousHash, p_o_w: proofOfWork } = fields;
  if (!('data' in fields)) return { ok: false, reason: 'missing data' };
  if (!('previous_hash' in fields)) return { ok: false, reason: 'missing previous_hash' };
  if (typeof data !== 'string') return { ok: false, reason: 'data must be a base64 string' };
  if (typeof previousHash !== 'string') return { ok: false, reason: 'previous_hash must be a hex string' };
  if (proofOfWork !== undefined && typeof proofOfWork !== 'string') {
    return { ok: false, reason: 'p_o_w must be a hex string' };
  }
  // Checked on the text, before decoding: the largest data a datagram can carry in this encoding.
  const dataLength = base64Length(data);
  if (dataLength > MAX_DATA_BYTES) {
    return { ok: false, reason: `data is ${dataLength} bytes, over the ${MAX_DATA_BYTES} that fit in a datagram` };
  }
  try {
    const dataBytes = base64ToBytes(data, 'data');
    const parent = hexToBytes(previousHash, 'previous_hash', HASH_BYTES);
    const nonce = proofOfWork === undefined ? 0n : bytesToBigInt(hexToBytes(proofOfWork, 'p_o_w', NONCE_BYTES));
    return { ok: true, value: new Block(dataBytes, parent, nonce) };
  } catch (error) {
    if (error instanceof FormatError || error instanceof RangeError) return { ok: false, reason: error.message };
    throw error;
  }
}

/** The byte length that padded base64 `text` decodes to (its alphabet is checked when it is decoded). */
function base64Length(text: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return Math.floor(text.length / 4) * 3 - padding;
}

/** Decodes one datagram into a block, or a reason. Never throws on bad input. */
export function decodeBlock(wire: Uint8Array | string): Decoded<Block> {
  const parsed = parseJsonDatagram(wire);
  return parsed.ok ? blockFromJson(parsed.value) : parsed;
}

/** Like decodeBlock, for callers that prefer an exception: throws BlockDecodeError. */
export function decodeBlockOrThrow(wire: Uint8Array | string): Block {
  const decoded = decodeBlock(wire);
  if (!decoded.ok) throw new BlockDecodeError(decoded.reason);
  return decoded.value;
}
