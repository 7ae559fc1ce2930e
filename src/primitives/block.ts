/**
 * A block of the seed's chain (SPEC 1): data, the parent's hash and an 8-byte nonce.
 * hash = SHA-256(data || previous_hash || p_o_w). The height is not part of a block:
 * the block tree assigns it.
 */
import { createHash } from 'node:crypto';
import { bigIntToBytes, bytesToHex, concatBytes, equalBytes } from './bytes.js';
import { HASH_BYTES, MAX_DATAGRAM_BYTES, MAX_DATA_BYTES, NONCE_BYTES, NONCE_LIMIT } from './limits.js';
import { DEFAULT_TARGET, hashMeetsTarget } from './target.js';

/** The parent of a genesis block: 32 zero bytes. */
export const GENESIS_PREVIOUS_HASH: Uint8Array = new Uint8Array(HASH_BYTES);

export class BlockTooLargeError extends RangeError {
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
    if (nonce < 0n || nonce >= NONCE_LIMIT)
      throw new RangeError(`nonce must be an unsigned 64-bit integer, got ${nonce}`);
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

  /** True when the hash, as an unsigned big-endian integer, is <= target. */
  verifyProofOfWork(target: bigint = DEFAULT_TARGET): boolean {
    return hashMeetsTarget(this.hash(), target);
  }
}
