/**
 * A small reader and writer for the powchain network's big-endian binary records (the
 * parameters record, the block payload, transactions: docs/powchain-network.md,
 * docs/transactions.md). Every integer has a fixed width, so every value has exactly one
 * encoding; there are no variable-length integers to spell in more than one way.
 *
 * The reader throws a RefusalError when the bytes are malformed. Decoders run it inside
 * `decodeRecord`, which turns that error into a `{ok: false, reason}` verdict: nothing a
 * peer sends can throw past a decoder.
 */
import { bigIntToBytes, bytesToBigInt } from './bytes.js';

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Malformed input found while decoding; caught by `decodeRecord` and never seen outside it. */
export class RefusalError extends Error {
  override readonly name = 'RefusalError';
}

/** Refuses the record being decoded (only inside a `decodeRecord` callback). */
export function refuse(reason: string): never {
  throw new RefusalError(reason);
}

/**
 * Runs `read` over `bytes`, refuses trailing bytes, and answers a verdict. Any other
 * exception is a programming error and propagates.
 */
export function decodeRecord<T>(bytes: Uint8Array, read: (reader: ByteReader) => T): Decoded<T> {
  try {
    const reader = new ByteReader(bytes);
    const value = read(reader);
    if (reader.remaining !== 0) refuse(`trailing bytes after the record (${reader.remaining})`);
    return { ok: true, value };
  } catch (error) {
    if (error instanceof RefusalError) return { ok: false, reason: error.message };
    throw error;
  }
}

/** Reads fixed-width big-endian fields; every read checks the length left before copying. */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #offset = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get offset(): number {
    return this.#offset;
  }

  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  #take(length: number, field: string): number {
    if (length > this.remaining) {
      refuse(`${field}: needs ${length} bytes, only ${this.remaining} left`);
    }
    const start = this.#offset;
    this.#offset += length;
    return start;
  }

  u8(field: string): number {
    return this.#view.getUint8(this.#take(1, field));
  }

  u16(field: string): number {
    return this.#view.getUint16(this.#take(2, field));
  }

  u32(field: string): number {
    return this.#view.getUint32(this.#take(4, field));
  }

  u64(field: string): bigint {
    return this.#view.getBigUint64(this.#take(8, field));
  }

  /** An unsigned big-endian integer of `length` bytes (the 256-bit targets). */
  uint(length: number, field: string): bigint {
    const start = this.#take(length, field);
    return bytesToBigInt(this.#bytes.subarray(start, start + length));
  }

  /** A copy of the next `length` bytes (the copy lets the caller keep it after the input is reused). */
  bytes(length: number, field: string): Uint8Array {
    const start = this.#take(length, field);
    return this.#bytes.slice(start, start + length);
  }
}

/** Appends fixed-width big-endian fields; values out of range are programming errors (RangeError). */
export class ByteWriter {
  #chunks: Uint8Array[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  #push(chunk: Uint8Array): this {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    return this;
  }

  #fixed(width: number, value: number, field: string): this {
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** (8 * width)) {
      throw new RangeError(`${field} must be an unsigned ${8 * width}-bit integer, got ${value}`);
    }
    const chunk = new Uint8Array(width);
    const view = new DataView(chunk.buffer);
    if (width === 1) view.setUint8(0, value);
    else if (width === 2) view.setUint16(0, value);
    else view.setUint32(0, value);
    return this.#push(chunk);
  }

  u8(value: number, field = 'u8'): this {
    return this.#fixed(1, value, field);
  }

  u16(value: number, field = 'u16'): this {
    return this.#fixed(2, value, field);
  }

  u32(value: number, field = 'u32'): this {
    return this.#fixed(4, value, field);
  }

  u64(value: bigint, field = 'u64'): this {
    return this.uint(value, 8, field);
  }

  uint(value: bigint, length: number, field = 'uint'): this {
    if (value < 0n || value >= 1n << BigInt(8 * length)) {
      throw new RangeError(`${field} must be an unsigned ${8 * length}-bit integer, got ${value}`);
    }
    return this.#push(bigIntToBytes(value, length));
  }

  /** Raw bytes; `length`, when given, is the exact length required. */
  bytes(value: Uint8Array, field = 'bytes', length?: number): this {
    if (length !== undefined && value.length !== length) {
      throw new RangeError(`${field} must be ${length} bytes, got ${value.length}`);
    }
    return this.#push(value);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let offset = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}
