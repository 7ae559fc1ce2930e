import { describe, expect, it } from 'vitest';
import type { Engine, NonceSearcher, SearchResult } from '../src/hashing/engine.js';
import { bytesToBigInt } from '../src/primitives/bytes.js';
import { MAX_TARGET } from '../src/primitives/limits.js';
import { blockHash } from '../src/hashing/pow-check.js';
import { createUnverifiedEngine } from '../src/hashing/registry.js';
import { EngineMismatchError, checkResult, verifiedEngine } from '../src/hashing/verify.js';

const prefix = new Uint8Array(56).map((_, i) => (i * 7 + 3) & 0xff);
const hashOf = (nonce: bigint, of: Uint8Array = prefix): bigint => bytesToBigInt(blockHash(of, nonce));
const hexOf = (nonce: bigint, of: Uint8Array = prefix): string => Buffer.from(blockHash(of, nonce)).toString('hex');
/** A reported nonce and its hash, around which the targets below are built. */
const nonce = 1_234n;
const hash = hashOf(nonce);

/** An engine that reports whatever `answer` says, whatever it is asked. */
function liar(answer: (start: bigint, end: bigint) => SearchResult, onPrepare?: (prefix: Uint8Array) => void): Engine {
  return {
    name: 'wasm',
    prepare(given: Uint8Array): NonceSearcher {
      onPrepare?.(given);
      return { search: (start, end) => answer(start, end) };
    },
  };
}

/** The EngineMismatchError `run` throws (fails the test if it throws nothing or something else). */
function mismatchOf(run: () => unknown): EngineMismatchError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(EngineMismatchError);
    return error as EngineMismatchError;
  }
  throw new Error('expected an EngineMismatchError, nothing was thrown');
}

describe('checkResult: the node:crypto re-check of a reported nonce', () => {
  it('lets "nothing found" through, whatever the range', () => {
    expect(() => checkResult('js', prefix, 0n, 0n, 100n, { nonce: null, tried: 100 })).not.toThrow();
    expect(() => checkResult('js', prefix, 0n, 5n, 5n, { nonce: null, tried: 0 })).not.toThrow();
  });

  it('accepts a nonce at either end of the range [start, end), and refuses one just outside it', () => {
    const check = (nonce: bigint, tried: number): void =>
      checkResult('js', prefix, MAX_TARGET, 100n, 200n, { nonce, tried });
    expect(() => check(100n, 1)).not.toThrow();
    expect(() => check(199n, 100)).not.toThrow();
    for (const nonce of [99n, 200n, 0n, 2n ** 64n - 1n]) {
      const error = mismatchOf(() => check(nonce, 1));
      expect(error.message).toBe(
        `ENGINE MISMATCH: engine "js" reported nonce ${nonce} but node:crypto disagrees: ` +
          'it lies outside the searched range [100, 200)',
      );
      expect(error.detail).toBe('it lies outside the searched range [100, 200)');
    }
  });

  it('refuses a tried count that does not end at the nonce', () => {
    const check = (tried: number): void =>
      checkResult('wasm-simd', prefix, MAX_TARGET, 10n, 50n, { nonce: 20n, tried });
    expect(() => check(11)).not.toThrow();
    for (const tried of [10, 12, 0, 40]) {
      const error = mismatchOf(() => check(tried));
      expect(error.detail).toBe(`it reported ${tried} nonces tried from 10, expected 11`);
      expect(error).toMatchObject({ engine: 'wasm-simd', nonce: 20n, name: 'EngineMismatchError' });
    }
  });

  // Targets built around the reported nonce's own hash: exactly at it, and one unit of each
  // 32-bit word above and below it.

  it('accepts a nonce whose hash is exactly the target', () => {
    expect(() => checkResult('js', prefix, hash, nonce, nonce + 1n, { nonce, tried: 1 })).not.toThrow();
  });

  for (let word = 0; word < 8; word++) {
    it(`decides on word ${word}: accepted a unit below the target there, refused a unit above`, () => {
      const unit = 1n << BigInt(224 - 32 * word);
      expect(hash).toBeGreaterThanOrEqual(unit); // the hash has room below it in this word
      expect(hash + unit).toBeLessThanOrEqual(MAX_TARGET);
      // The hash just below the target (the target a unit above it in this word): accepted.
      expect(() => checkResult('js', prefix, hash + unit, nonce, nonce + 1n, { nonce, tried: 1 })).not.toThrow();
      // The hash just above the target: refused, naming the hash and the target.
      const target = hash - unit;
      const error = mismatchOf(() => checkResult('js', prefix, target, nonce, nonce + 1n, { nonce, tried: 1 }));
      expect(error.message).toBe(
        `ENGINE MISMATCH: engine "js" reported nonce 1234 but node:crypto disagrees: ` +
          `its hash ${hexOf(nonce)} is above the target 0x${target.toString(16)}`,
      );
    });
  }

  it('refuses a hash one above the target, and accepts it one below', () => {
    expect(() => checkResult('js', prefix, hash + 1n, nonce, nonce + 1n, { nonce, tried: 1 })).not.toThrow();
    expect(mismatchOf(() => checkResult('js', prefix, hash - 1n, nonce, nonce + 1n, { nonce, tried: 1 })).detail).toBe(
      `its hash ${hexOf(nonce)} is above the target 0x${(hash - 1n).toString(16)}`,
    );
    expect(mismatchOf(() => checkResult('js', prefix, 0n, nonce, nonce + 1n, { nonce, tried: 1 })).detail).toBe(
      `its hash ${hexOf(nonce)} is above the target 0x0`,
    );
  });

  it('checks the range before the work, and the work before the count', () => {
    // Outside the range, above the target and miscounted: the range is named.
    expect(mismatchOf(() => checkResult('js', prefix, 0n, 0n, 10n, { nonce: 10n, tried: 99 })).detail).toMatch(
      /^it lies outside/,
    );
    // Above the target and miscounted: the hash is named.
    expect(mismatchOf(() => checkResult('js', prefix, 0n, 0n, 10n, { nonce: 3n, tried: 99 })).detail).toMatch(
      /^its hash /,
    );
  });
});

describe('verifiedEngine', () => {
  it('keeps the engine name and returns an honest result unchanged', () => {
    const honest = createUnverifiedEngine('js');
    const engine = verifiedEngine(honest);
    expect(engine.name).toBe('js');
    const target = 2n ** 250n;
    expect(engine.prepare(prefix, target).search(0n, 3_000n)).toEqual(
      honest.prepare(prefix, target).search(0n, 3_000n),
    );
    const answer = { nonce: 7n, tried: 3 };
    const searcher = verifiedEngine(liar(() => answer)).prepare(prefix, MAX_TARGET);
    expect(searcher.search(5n, 10n)).toBe(answer);
    expect(verifiedEngine(liar(() => answer)).name).toBe('wasm');
  });

  it("rechecks each search against that search's own range", () => {
    const searcher = verifiedEngine(liar((start) => ({ nonce: start, tried: 1 }))).prepare(prefix, MAX_TARGET);
    expect(searcher.search(0n, 10n)).toEqual({ nonce: 0n, tried: 1 });
    expect(searcher.search(10n, 20n)).toEqual({ nonce: 10n, tried: 1 });
    const late = verifiedEngine(liar((_, end) => ({ nonce: end, tried: 1 }))).prepare(prefix, MAX_TARGET);
    expect(() => late.search(0n, 10n)).toThrow(EngineMismatchError);
  });

  it('rechecks against the target and prefix given to prepare, even if the caller or the engine changes the prefix later', () => {
    // A nonce whose hash is the target for this prefix, and above it for the wiped (zero) prefix.
    const zeros = new Uint8Array(prefix.length);
    let found = 0n;
    while (hashOf(found) > hashOf(found, zeros)) found++;
    const target = hashOf(found);
    const own = Uint8Array.from(prefix);
    const wipe = (given: Uint8Array): void => void given.fill(0);
    const searcher = verifiedEngine(liar(() => ({ nonce: found, tried: 1 }), wipe)).prepare(own, target);
    expect(own).toEqual(zeros); // the engine did wipe the caller's array
    expect(searcher.search(found, found + 1n)).toEqual({ nonce: found, tried: 1 });
    const other = verifiedEngine(liar(() => ({ nonce: found, tried: 1 }))).prepare(zeros, target);
    expect(() => other.search(found, found + 1n)).toThrow(/is above the target/);
  });
});
