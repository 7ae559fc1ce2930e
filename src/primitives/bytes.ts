/**
 * Strict hex and base64 codecs for data that comes from outside (datagrams, files, argv).
 * Each returns bytes or throws a FormatError whose message says what was wrong, so that
 * callers at the edge can turn it into a refusal reason.
 */

export class FormatError extends Error {
  override readonly name = 'FormatError';
}

const HEX_PATTERN = /^[0-9a-fA-F]*$/;
// Standard alphabet, padded to a multiple of 4, '=' only at the end (what Python's b64encode writes).
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes hex of either case; `bytes`, when given, is the exact length required. */
export function hexToBytes(hex: string, field = 'hex', bytes?: number): Uint8Array {
  if (!HEX_PATTERN.test(hex)) throw new FormatError(`${field} is not hex`);
  if (hex.length % 2 !== 0) throw new FormatError(`${field} has an odd number of hex digits (${hex.length})`);
  const length = hex.length / 2;
  if (bytes !== undefined && length !== bytes) {
    throw new FormatError(`${field} must be ${bytes} bytes, got ${length}`);
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function base64ToBytes(text: string, field = 'base64'): Uint8Array {
  if (!BASE64_PATTERN.test(text)) {
    throw new FormatError(`${field} is not padded standard base64`);
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}

export function bytesToBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Unsigned big-endian integer of any width. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  // Up to 8 bytes (a nonce) as two 32-bit halves: no hex string in between.
  if (bytes.length <= 8) return readUint64(bytes, 0, bytes.length);
  return BigInt('0x' + bytesToHex(bytes));
}

/** Writes `value` as an unsigned big-endian integer of exactly `length` bytes. */
export function bigIntToBytes(value: bigint, length: number): Uint8Array {
  if (value < 0n || value >= 1n << BigInt(8 * length)) {
    throw new RangeError(`${value} does not fit in ${length} unsigned bytes`);
  }
  if (length <= 8) {
    const out = new Uint8Array(length);
    writeUint64(out, 0, length, value);
    return out;
  }
  return hexToBytes(value.toString(16).padStart(2 * length, '0'));
}

/**
 * Writes `value` big-endian into `out[offset .. offset + length)`, `length` <= 8, without a
 * hex string in between. The caller has checked that `value` fits in `length` bytes.
 */
export function writeUint64(out: Uint8Array, offset: number, length: number, value: bigint): void {
  let low = Number(value & 0xffffffffn);
  let high = Number(value >> 32n);
  for (let i = offset + length - 1; i >= offset; i--) {
    out[i] = low & 0xff;
    // Shift the 64-bit pair right by one byte.
    low = (low >>> 8) | ((high & 0xff) << 24);
    high >>>= 8;
  }
}

/** Reads `length` (<= 8) big-endian bytes of `bytes` at `offset` as an unsigned integer. */
export function readUint64(bytes: Uint8Array, offset: number, length: number): bigint {
  let high = 0;
  let low = 0;
  for (let i = offset; i < offset + length; i++) {
    high = ((high << 8) | (low >>> 24)) >>> 0;
    low = ((low << 8) | bytes[i]!) >>> 0;
  }
  return (BigInt(high) << 32n) | BigInt(low);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
