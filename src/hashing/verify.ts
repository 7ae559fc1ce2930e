/**
 * Nobody believes an engine's nonce until node:crypto agrees (docs/hashing.md).
 *
 * `checkResult()` answers whether a reported result holds: a nonce inside the searched range,
 * whose hash node:crypto finds <= target, and a `tried` count that matches it.
 * `verifiedEngine()` wraps an engine so that every result its searches report goes through
 * that check, and a refusal throws `EngineMismatchError`: an engine that lies is a broken
 * invariant (a miscompiled WASM build, a bug in a hand-written round), not an expected
 * refusal, hence an exception at that level.
 */
import type { Engine, NonceSearcher, SearchResult } from './engine.js';
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

/** Why a reported result is wrong; `detail` says it with the numbers. */
export type ResultRefusal = 'outside-range' | 'above-target' | 'miscounted';

export type ResultVerdict = { ok: true } | { ok: false; reason: ResultRefusal; detail: string };

/**
 * The one check of a reported result, against node:crypto: the nonce lies in the searched
 * range [start, end), its hash is <= target, and `tried` (when the reporter knows it) is
 * nonce - start + 1. A result without a nonce is always fine. The verify wrapper and the pool
 * (which checks a worker's answer once more on the main thread, against the worker's range)
 * both use it.
 */
export function checkResult(
  prefix: Uint8Array,
  target: bigint,
  start: bigint,
  end: bigint,
  result: { readonly nonce: bigint | null; readonly tried?: number },
): ResultVerdict {
  const { nonce, tried } = result;
  if (nonce === null) return { ok: true };
  if (nonce < start || nonce >= end) {
    return { ok: false, reason: 'outside-range', detail: `it lies outside the searched range [${start}, ${end})` };
  }
  const hash = blockHash(prefix, nonce);
  if (!hashMeetsTarget(hash, target)) {
    return {
      ok: false,
      reason: 'above-target',
      detail: `its hash ${hex(hash)} is above the target 0x${target.toString(16)}`,
    };
  }
  if (tried !== undefined && BigInt(tried) !== nonce - start + 1n) {
    return {
      ok: false,
      reason: 'miscounted',
      detail: `it reported ${tried} nonces tried from ${start}, expected ${nonce - start + 1n}`,
    };
  }
  return { ok: true };
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
          const verdict = checkResult(ownPrefix, target, start, end, result);
          if (!verdict.ok) throw new EngineMismatchError(engine.name, result.nonce!, verdict.detail);
          return result;
        },
      };
    },
  };
}
