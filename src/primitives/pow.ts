/**
 * The proof-of-work rule (docs/protocol.md): a block is valid when its hash, read as an
 * unsigned big-endian 256-bit integer, is <= its target. Every path that accepts work (a
 * block's check, the node:crypto re-check of an engine's nonce) ends here; the CI's mutation
 * gate holds this module to 100%.
 */
import { HASH_BYTES } from './limits.js';
import { targetBytes } from './target.js';

/** The proof-of-work rule: `hash`, read as a big-endian 256-bit unsigned integer, is <= `target`. */
export function hashMeetsTarget(hash: Uint8Array, target: bigint): boolean {
  if (hash.length !== HASH_BYTES) throw new RangeError(`hash must be ${HASH_BYTES} bytes, got ${hash.length}`);
  return hashAtMeetsTarget(hash, 0, target);
}

/**
 * hashMeetsTarget for the 32 hash bytes at `offset` in `bytes` (no view needed): compares
 * bytes, most significant first, against the target's bytes. Any integer target works as the
 * rule reads: below 0 no hash meets it, from 2^256 - 1 up every hash does.
 */
export function hashAtMeetsTarget(bytes: Uint8Array, offset: number, target: bigint): boolean {
  if (offset < 0 || offset + HASH_BYTES > bytes.length) {
    throw new RangeError(`no ${HASH_BYTES}-byte hash at offset ${offset} of ${bytes.length} bytes`);
  }
  if (target < 0n) return false;
  const bound = targetBytes(target);
  // Stryker disable next-line EqualityOperator: an equivalent mutant (`i <= HASH_BYTES` reads one
  // byte past both: undefined is neither less nor more, so the answer is the same).
  for (let i = 0; i < HASH_BYTES; i++) {
    const hashByte = bytes[offset + i]!;
    const targetByte = bound[i]!;
    if (hashByte < targetByte) return true;
    if (hashByte > targetByte) return false;
  }
  return true;
}
