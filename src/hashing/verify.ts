/**
 * Nobody believes an engine's nonce until node:crypto agrees (docs/hashing.md).
 *
 * `checkResult()` rechecks a reported result: a nonce inside the searched range, whose hash
 * node:crypto finds <= target, and a `tried` count that matches it; `verifiedEngine()` wraps
 * an engine so that every result its searches report goes through it. A wrong result throws
 * `EngineMismatchError`: an engine that lies is a broken invariant (a miscompiled WASM build,
 * a bug in a hand-written round), not an expected refusal, hence an exception rather than a
 * verdict.
 */
import type { Engine, EngineName, NonceSearcher, SearchResult } from './engine.js';
import { blockHash, hashMeetsTarget } from './pow-check.js';

export class EngineMismatchError extends Error {
  override readonly name = 'EngineMismatchError';

  constructor(
    readonly engine: string,
    readonly nonce: bigint,
    /** Why node:crypto disagrees, e.g. "its hash ... is above the target ...". */
    readonly detail: string,
  ) {
    super(`ENGINE MISMATCH: engine "${engine}" reported nonce ${nonce} but node:crypto disagrees: ${detail}`);
  }
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/**
 * The one check of a reported result, against node:crypto: the nonce lies in the searched
 * range [start, end), its hash is <= target, and `tried` (when the reporter knows it) is
 * nonce - start + 1; checked in that order. A result without a nonce is always fine. Throws
 * EngineMismatchError otherwise. The verify wrapper and the pool (which checks a worker's
 * answer once more on the main thread, against that worker's range) both use it.
 */
export function checkResult(
  engine: EngineName | string,
  prefix: Uint8Array,
  target: bigint,
  start: bigint,
  end: bigint,
  result: { readonly nonce: bigint | null; readonly tried?: number },
): void {
  const { nonce, tried } = result;
  if (nonce === null) return;
  if (nonce < start || nonce >= end) {
    throw new EngineMismatchError(engine, nonce, `it lies outside the searched range [${start}, ${end})`);
  }
  const hash = blockHash(prefix, nonce);
  if (!hashMeetsTarget(hash, target)) {
    throw new EngineMismatchError(engine, nonce, `its hash ${hex(hash)} is above the target 0x${target.toString(16)}`);
  }
  if (tried !== undefined && BigInt(tried) !== nonce - start + 1n) {
    throw new EngineMismatchError(
      engine,
      nonce,
      `it reported ${tried} nonces tried from ${start}, expected ${nonce - start + 1n}`,
    );
  }
}

/** The same engine, with every reported nonce rechecked by node:crypto. */
export function verifiedEngine(engine: Engine): Engine {
  return {
    name: engine.name,
    prepare(prefix: Uint8Array, target: bigint): NonceSearcher {
      // The engine may keep a view of the prefix; our own copy cannot be changed under us.
      const ownPrefix = Uint8Array.from(prefix);
      const searcher = engine.prepare(prefix, target);
      return {
        search(start: bigint, end: bigint): SearchResult {
          const result = searcher.search(start, end);
          checkResult(engine.name, ownPrefix, target, start, end, result);
          return result;
        },
      };
    },
  };
}
