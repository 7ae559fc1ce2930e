/**
 * A block (docs/protocol.md): data, the parent's hash and an 8-byte nonce.
 * hash = SHA-256(data || previous_hash || p_o_w). The height is not part of a block:
 * the block tree assigns it.
 *
 * A node keeps every block it has accepted, so a block is small: ONE buffer laid out as
 *
 *   data | previous_hash (32) | p_o_w (8, big-endian) | hash (32, filled when first asked for)
 *
 * `preimage` is the first three (the SHA-256 input); data, previousHash, proofOfWork and
 * hash() are views into it, the nonce is read from it, and the hash and its hex are computed
 * together, once. Blocks read together from a log share larger buffers (BlockArena) instead of one each.
 */
import * as crypto from 'node:crypto';
import { readUint64, writeUint64 } from './bytes.js';
import { HASH_BYTES, MAX_DATAGRAM_BYTES, MAX_DATA_BYTES, NONCE_BYTES, NONCE_LIMIT } from './limits.js';
import { hashAtMeetsTarget } from './pow.js';
import { DEFAULT_TARGET } from './target.js';

/** The parent of a genesis block: 32 zero bytes. */
export const GENESIS_PREVIOUS_HASH: Uint8Array = new Uint8Array(HASH_BYTES);

/** previous_hash and p_o_w: the bytes of a preimage after the data. */
const FIXED_PREIMAGE_BYTES = HASH_BYTES + NONCE_BYTES;
/** A block's buffer beyond its data: previous_hash, p_o_w and the hash. */
const FIXED_BUFFER_BYTES = FIXED_PREIMAGE_BYTES + HASH_BYTES;

/** A RangeError, so that every decoder at the edge that refuses RangeErrors refuses this too. */
export class BlockTooLargeError extends RangeError {
  override readonly name = 'BlockTooLargeError';
}

export type BlockParent = Block | Uint8Array;

// crypto.hash (one call, no Hash object) arrived in Node 20.12; older 20.x builds use createHash.
// Hex out: a string is what hashHex() keeps anyway, and unlike a Buffer it mallocs nothing.
const sha256Hex: (bytes: Uint8Array) => string =
  typeof crypto.hash === 'function'
    ? (bytes) => crypto.hash('sha256', bytes, 'hex')
    : (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

/** Writes the 32 bytes that 64 hex digits (lower case, from sha256Hex) spell into `out` at `offset`. */
function writeHashHex(out: Uint8Array, offset: number, hex: string): void {
  for (let i = 0; i < HASH_BYTES; i++)
    out[offset + i] = (hexValue(hex.charCodeAt(2 * i)) << 4) | hexValue(hex.charCodeAt(2 * i + 1));
}

function hexValue(code: number): number {
  // '0'..'9' are 48..57, 'a'..'f' 97..102.
  return code <= 57 ? code - 48 : code - 87;
}

function checkDataLength(length: number): void {
  if (length > MAX_DATA_BYTES) {
    throw new BlockTooLargeError(
      `block data is ${length} bytes; at most ${MAX_DATA_BYTES} fit in one ${MAX_DATAGRAM_BYTES}-byte datagram`,
    );
  }
}

const ADOPT: unique symbol = Symbol('adopt a block buffer');

export class Block {
  /**
   * data || previous_hash || p_o_w: the SHA-256 input, a view into the block's buffer. Its one
   * own field, so that two blocks compare equal (deep equality) exactly when their bytes do.
   */
  readonly preimage: Uint8Array;
  #hashHex: string | undefined;

  /**
   * `data` as bytes, or a string (UTF-8 encoded first); `previous` a block or its 32-byte
   * hash (default: the genesis parent); `nonce` an unsigned 64-bit integer (default 0).
   */
  constructor(data: Uint8Array | string, previous?: BlockParent, nonce?: bigint);
  /** BlockArena's form: adopts `preimage`, which must have 32 spare bytes after it in its buffer. */
  constructor(adopt: typeof ADOPT, preimage: Uint8Array);
  constructor(data: Uint8Array | string | typeof ADOPT, previous: BlockParent = GENESIS_PREVIOUS_HASH, nonce = 0n) {
    if (data === ADOPT) {
      this.preimage = previous as Uint8Array;
      return;
    }
    // The size is checked before anything is allocated for it.
    checkDataLength(typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length);
    const previousHash = previous instanceof Block ? previous.hash() : previous;
    if (previousHash.length !== HASH_BYTES) {
      throw new RangeError(`previous_hash must be ${HASH_BYTES} bytes, got ${previousHash.length}`);
    }
    if (nonce < 0n || nonce >= NONCE_LIMIT)
      throw new RangeError(`nonce must be an unsigned 64-bit integer, got ${nonce}`);
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    const buffer = new Uint8Array(bytes.length + FIXED_BUFFER_BYTES);
    buffer.set(bytes, 0);
    buffer.set(previousHash, bytes.length);
    writeUint64(buffer, bytes.length + HASH_BYTES, NONCE_BYTES, nonce);
    this.preimage = buffer.subarray(0, bytes.length + FIXED_PREIMAGE_BYTES);
  }

  get #dataLength(): number {
    return this.preimage.length - FIXED_PREIMAGE_BYTES;
  }

  /** The block's data: a view into its buffer (copy it before transferring it to a worker). */
  get data(): Uint8Array {
    return this.preimage.subarray(0, this.#dataLength);
  }

  /** The parent's hash: a view into the block's buffer. */
  get previousHash(): Uint8Array {
    return this.preimage.subarray(this.#dataLength, this.#dataLength + HASH_BYTES);
  }

  /** The nonce as an unsigned integer (read from the 8 bytes of p_o_w). */
  get nonce(): bigint {
    return readUint64(this.preimage, this.#dataLength + HASH_BYTES, NONCE_BYTES);
  }

  get isGenesis(): boolean {
    const start = this.#dataLength;
    for (let i = start; i < start + HASH_BYTES; i++) if (this.preimage[i] !== 0) return false;
    return true;
  }

  /** The 8-byte big-endian nonce, the tutorial's `p_o_w`: a view into the block's buffer. */
  get proofOfWork(): Uint8Array {
    return this.preimage.subarray(this.#dataLength + HASH_BYTES);
  }

  /** data || previous_hash: what the nonce search absorbs once (the midstate). A copy. */
  prefix(): Uint8Array {
    return this.preimage.slice(0, this.#dataLength + HASH_BYTES);
  }

  /** SHA-256 of the preimage, computed once: a view into the block's buffer. */
  hash(): Uint8Array {
    const hash = this.#hashView();
    if (this.#hashHex === undefined) this.#computeHash(hash);
    return hash;
  }

  /** The hash as 64 lower-case hex digits, computed once. */
  hashHex(): string {
    return this.#hashHex ?? this.#computeHash(this.#hashView());
  }

  /** The 32 bytes after the preimage in the block's buffer, where the hash is kept. */
  #hashView(): Uint8Array {
    const { buffer, byteOffset, length } = this.preimage;
    return new Uint8Array(buffer, byteOffset + length, HASH_BYTES);
  }

  /** Hashes the preimage into `into` and keeps the hex; answers the hex. */
  #computeHash(into: Uint8Array): string {
    const hex = sha256Hex(this.preimage);
    writeHashHex(into, 0, hex);
    this.#hashHex = hex;
    return hex;
  }

  /** The same block with another nonce. */
  withNonce(nonce: bigint): Block {
    return new Block(this.data, this.previousHash, nonce);
  }

  /** True when the hash, as an unsigned big-endian integer, is <= target. */
  verifyProofOfWork(target: bigint = DEFAULT_TARGET): boolean {
    return hashAtMeetsTarget(this.hash(), 0, target);
  }
}

/**
 * Makes blocks whose buffers are slices of shared chunks: one ArrayBuffer per chunk instead
 * of one per block. For blocks that live as long as each other (a log read at start, kept
 * for the node's life); a chunk stays in memory while any block in it does.
 */
export class BlockArena {
  readonly #chunkBytes: number;
  #chunk = new Uint8Array(0);
  #used = 0;

  constructor(chunkBytes = 64 * 1024) {
    this.#chunkBytes = chunkBytes;
  }

  /** A block made of copies of its three fields (e.g. views into a record being read). */
  block(data: Uint8Array, previousHash: Uint8Array, proofOfWork: Uint8Array): Block {
    checkDataLength(data.length);
    if (previousHash.length !== HASH_BYTES) {
      throw new RangeError(`previous_hash must be ${HASH_BYTES} bytes, got ${previousHash.length}`);
    }
    if (proofOfWork.length !== NONCE_BYTES) {
      throw new RangeError(`p_o_w must be ${NONCE_BYTES} bytes, got ${proofOfWork.length}`);
    }
    const size = data.length + FIXED_BUFFER_BYTES;
    let buffer: Uint8Array;
    if (size > this.#chunkBytes / 4) {
      // A big block gets a buffer of its own rather than wasting most of a chunk's tail.
      buffer = new Uint8Array(size);
    } else {
      if (this.#used + size > this.#chunk.length) {
        this.#chunk = new Uint8Array(this.#chunkBytes);
        this.#used = 0;
      }
      buffer = this.#chunk.subarray(this.#used, this.#used + size);
      this.#used += size;
    }
    buffer.set(data, 0);
    buffer.set(previousHash, data.length);
    buffer.set(proofOfWork, data.length + HASH_BYTES);
    return new Block(ADOPT, buffer.subarray(0, data.length + FIXED_PREIMAGE_BYTES));
  }
}
