/**
 * A block of the seed's chain (SPEC 1): data, the parent's hash and an 8-byte nonce.
 * hash = SHA-256(data || previous_hash || p_o_w). The height is not part of a block:
 * the block tree assigns it.
 */
import { createHash } from 'node:crypto';
import { bigIntToBytes, bytesToHex, concatBytes, equalBytes } from './bytes.js';
import { DEFAULT_TARGET, hashMeetsTarget } from './target.js';
// wire.ts imports Block too; the cycle is safe because neither module uses the other at load time.
import { decodeBlockOrThrow, encodeBlock } from './wire.js';

export const HASH_BYTES = 32;
export const NONCE_BYTES = 8;
/** Largest UDP payload over IPv4; a block whose wire encoding is longer cannot be sent. */
export const MAX_DATAGRAM_BYTES = 65_507;
/** The parent of a genesis block: 32 zero bytes. */
export const GENESIS_PREVIOUS_HASH: Uint8Array = new Uint8Array(HASH_BYTES);
export const MAX_NONCE = (1n << 64n) - 1n;

// Length of the seed's encoding without the base64 text:
// {"data": "", "previous_hash": "<64>", "p_o_w": "<16>"}
const ENCODING_OVERHEAD = '{"data": "", "previous_hash": "", "p_o_w": ""}'.length + 2 * HASH_BYTES + 2 * NONCE_BYTES;
/** Largest `data` whose block still fits in one datagram (49,035 bytes). */
export const MAX_DATA_BYTES = Math.floor((MAX_DATAGRAM_BYTES - ENCODING_OVERHEAD) / 4) * 3;

export class BlockTooLargeError extends Error {
  override readonly name = 'BlockTooLargeError';
}

export type BlockParent = Block | Uint8Array;

export class Block {
  readonly data: Uint8Array;
  readonly previousHash: Uint8Array;
  readonly nonce: bigint;
  #hash: Uint8Array | undefined;

  /**
   * `data` as bytes, or a string (UTF-8 encoded first); `previous` a block or its 32-byte
   * hash (default: the genesis parent); `nonce` an unsigned 64-bit integer (default 0).
   */
  constructor(data: Uint8Array | string, previous: BlockParent = GENESIS_PREVIOUS_HASH, nonce = 0n) {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : Uint8Array.from(data);
    if (bytes.length > MAX_DATA_BYTES) {
      throw new BlockTooLargeError(
        `block data is ${bytes.length} bytes; at most ${MAX_DATA_BYTES} fit in one ${MAX_DATAGRAM_BYTES}-byte datagram`,
      );
    }
    const previousHash = previous instanceof Block ? previous.hash() : Uint8Array.from(previous);
    if (previousHash.length !== HASH_BYTES) {
      throw new RangeError(`previous_hash must be ${HASH_BYTES} bytes, got ${previousHash.length}`);
    }
    if (nonce < 0n || nonce > MAX_NONCE) throw new RangeError(`nonce must be an unsigned 64-bit integer, got ${nonce}`);
    this.data = bytes;
    this.previousHash = previousHash;
    this.nonce = nonce;
  }

  get isGenesis(): boolean {
    return equalBytes(this.previousHash, GENESIS_PREVIOUS_HASH);
  }

  /** The 8-byte big-endian nonce, the seed's `p_o_w`. */
  get proofOfWork(): Uint8Array {
    return bigIntToBytes(this.nonce, NONCE_BYTES);
  }

  /** data || previous_hash: what the nonce search absorbs once (the midstate). */
  prefix(): Uint8Array {
    return concatBytes(this.data, this.previousHash);
  }

  hash(): Uint8Array {
    this.#hash ??= new Uint8Array(
      createHash('sha256').update(this.data).update(this.previousHash).update(this.proofOfWork).digest(),
    );
    return this.#hash;
  }

  hashHex(): string {
    return bytesToHex(this.hash());
  }

  /** The same block with another nonce. */
  withNonce(nonce: bigint): Block {
    return new Block(this.data, this.previousHash, nonce);
  }

  /** The seed's wire JSON (see wire.ts). */
  encode(): string {
    return encodeBlock(this);
  }

  /** Strict decoding of the seed's wire JSON; throws BlockDecodeError with a reason. */
  static decode(wire: Uint8Array | string): Block {
    return decodeBlockOrThrow(wire);
  }

  /** True when the hash, as an unsigned big-endian integer, is <= target. */
  verifyProofOfWork(target: bigint = DEFAULT_TARGET): boolean {
    return hashMeetsTarget(this.hash(), target);
  }
}
