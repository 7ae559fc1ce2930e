/**
 * The reference answer to "does this nonce work?", computed with node:crypto: every
 * engine is checked against it (the verify wrapper, the pool, the tests).
 */
import { createHash } from 'node:crypto';
import { HASH_SPACE, MAX_TARGET } from '../primitives/limits.js';

/** Writes `nonce` as the 8-byte unsigned big-endian `p_o_w` into `out` at `offset`. */
export function writeNonce(out: Uint8Array, offset: number, nonce: bigint): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setBigUint64(offset, nonce, false);
}

/** SHA-256(prefix || nonce) with node:crypto, where prefix = data || previous_hash. */
export function blockHash(prefix: Uint8Array, nonce: bigint): Uint8Array {
  const nonceBytes = new Uint8Array(8);
  writeNonce(nonceBytes, 0, nonce);
  return createHash('sha256').update(prefix).update(nonceBytes).digest();
}

/** The target as eight big-endian unsigned 32-bit words, clamped to 2^256 - 1. */
export function targetWords(target: bigint): Uint32Array {
  if (target < 0n) throw new RangeError(`target must be >= 0, got ${target}`);
  // Clamped from 2^256 up, and split without an index loop: written this way, every
  // mutant of the clamp and of the split changes some answer (see stryker.gate.config.mjs).
  const clamped = target >= HASH_SPACE ? MAX_TARGET : target;
  return Uint32Array.from({ length: 8 }, (_, i) => Number((clamped >> BigInt(224 - 32 * i)) & 0xffffffffn));
}

// The rule itself lives in primitives (pow.ts): every layer checks work the same way.
export { hashMeetsTarget } from '../primitives/pow.js';

/** Compares hash words (unsigned, big-endian order) with target words: true when hash <= target. */
export function wordsMeetTarget(hash: ArrayLike<number>, target: Uint32Array): boolean {
  // Two comparisons rather than `if (h !== t) return h < t`, where `h <= t` would mean the
  // same; and no index bound, which could run one past the end unnoticed.
  let i = 0;
  for (const t of target) {
    const h = hash[i++]! >>> 0;
    if (h < t) return true;
    if (h > t) return false;
  }
  return true;
}
