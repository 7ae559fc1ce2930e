/**
 * The one interface every hashing engine implements (docs/hashing.md).
 *
 * A block hash is SHA-256(prefix || nonce) where prefix = data || previous_hash and the
 * nonce is 8 bytes, unsigned 64-bit big-endian. Every engine answers the same question:
 * in the nonce range [start, end), which is the first nonce whose hash, read as a
 * big-endian 256-bit integer, is <= target, and how many nonces were tried.
 *
 * `prepare()` absorbs the prefix once (midstate) and binds the target; `search()` is then
 * called many times on consecutive sub-ranges (batches), so that a worker can check for
 * preemption between batches and V8 gets to return to optimized code.
 */

export const ENGINE_NAMES = ['wasm-simd', 'wasm', 'js', 'node-crypto'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

export interface SearchResult {
  /** The first nonce in [start, end) whose hash is <= target, or null if none. */
  readonly nonce: bigint | null;
  /** How many nonces were hashed: end - start when none was found, nonce - start + 1 otherwise. */
  readonly tried: number;
}

/** A search bound to one prefix and one target. Not shared between threads. */
export interface NonceSearcher {
  /**
   * Searches [start, end). Callers keep `end - start` to a batch size a thread can do in
   * well under a second (at most 2^32 - 1); 0 <= start <= end <= 2^64.
   */
  search(start: bigint, end: bigint): SearchResult;
}

export interface Engine {
  readonly name: EngineName;
  /** Absorbs `prefix` (data || previous_hash, any length) and binds `target` (0 <= target < 2^256). */
  prepare(prefix: Uint8Array, target: bigint): NonceSearcher;
}

export function isEngineName(value: string): value is EngineName {
  return (ENGINE_NAMES as readonly string[]).includes(value);
}
