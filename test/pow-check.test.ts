import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { bigIntToBytes, bytesToBigInt, hexToBytes } from '../src/primitives/bytes.js';
import { HASH_SPACE, MAX_TARGET } from '../src/primitives/limits.js';
import { hashMeetsTarget as primitiveRule } from '../src/primitives/pow.js';
import { blockHash, hashMeetsTarget, targetWords, wordsMeetTarget, writeNonce } from '../src/hashing/pow-check.js';
import { blockVectors } from './helpers/vectors.js';

// The re-check of every nonce a fast engine reports (the js and node-crypto engines compare
// in 32-bit words, the verify wrapper and the pool with hashMeetsTarget): tested with hashes
// built to sit exactly at, just above and just below the target in each of the eight words.

/** Eight big-endian words as one 256-bit integer. */
const wordsToBigInt = (words: ArrayLike<number>): bigint =>
  Array.from(words).reduce((sum, word) => (sum << 32n) | BigInt(word >>> 0), 0n);

/** A target whose eight words all differ and none is 0 or 0xffffffff, so that +1 and -1 stay in the word. */
const TARGET_WORDS = [0x0000ffff, 0x12345678, 0x9abcdef0, 0x0fedcba9, 0x87654321, 0x7fffffff, 0x80000000, 0x00000002];
const TARGET = wordsToBigInt(TARGET_WORDS);

/** The target's words with word `index` moved by `delta` and every later word set to `rest`. */
function around(index: number, delta: number, rest?: number): number[] {
  return TARGET_WORDS.map((word, i) => (i === index ? word + delta : i > index && rest !== undefined ? rest : word));
}

describe('targetWords', () => {
  it('splits the target into eight big-endian 32-bit words', () => {
    expect(Array.from(targetWords(TARGET))).toEqual(TARGET_WORDS);
    expect(Array.from(targetWords(0n))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(targetWords(1n))).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(Array.from(targetWords(2n ** 235n))).toEqual([0x800, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(targetWords(2n ** 32n))).toEqual([0, 0, 0, 0, 0, 0, 1, 0]);
    expect(Array.from(targetWords(2n ** 224n))).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(targetWords(MAX_TARGET))).toEqual(Array(8).fill(0xffffffff));
  });

  it('round-trips every target in range', () => {
    fc.assert(
      fc.property(fc.bigInt(0n, MAX_TARGET), (target) => {
        const words = targetWords(target);
        expect(words).toHaveLength(8);
        expect(wordsToBigInt(words)).toBe(target);
      }),
    );
  });

  it('clamps a target above 2^256 - 1 (every hash meets it) and refuses a negative one', () => {
    expect(Array.from(targetWords(HASH_SPACE))).toEqual(Array(8).fill(0xffffffff));
    expect(Array.from(targetWords(HASH_SPACE * 5n + 3n))).toEqual(Array(8).fill(0xffffffff));
    expect(() => targetWords(-1n)).toThrow(new RangeError('target must be >= 0, got -1'));
  });
});

describe('wordsMeetTarget', () => {
  it('accepts a hash equal to the target', () => {
    expect(wordsMeetTarget(TARGET_WORDS, targetWords(TARGET))).toBe(true);
    expect(wordsMeetTarget([0, 0, 0, 0, 0, 0, 0, 0], targetWords(0n))).toBe(true);
    expect(wordsMeetTarget(Array(8).fill(0xffffffff), targetWords(MAX_TARGET))).toBe(true);
  });

  for (let index = 0; index < 8; index++) {
    it(`decides on word ${index} when the words before it are equal`, () => {
      const target = targetWords(TARGET);
      // Just above in this word: refused, even when every later word is as small as can be.
      expect(wordsMeetTarget(around(index, +1), target)).toBe(false);
      expect(wordsMeetTarget(around(index, +1, 0), target)).toBe(false);
      // Just below in this word: accepted, even when every later word is as large as can be.
      expect(wordsMeetTarget(around(index, -1), target)).toBe(true);
      expect(wordsMeetTarget(around(index, -1, 0xffffffff), target)).toBe(true);
      // The same hashes, through the 256-bit rule, answer the same.
      for (const delta of [-1, 0, 1]) {
        const hash = wordsToBigInt(around(index, delta));
        expect(hash - TARGET).toBe(BigInt(delta) << BigInt(224 - 32 * index));
        expect(hashMeetsTarget(bigIntToBytes(hash, 32), TARGET)).toBe(delta <= 0);
      }
    });
  }

  it('reads hash words as unsigned (signed Int32 words from a WASM or typed-array view)', () => {
    const signed = Int32Array.from(TARGET_WORDS.map((word) => word | 0));
    expect(signed[2]).toBeLessThan(0); // 0x9abcdef0 as a signed word
    expect(wordsMeetTarget(signed, targetWords(TARGET))).toBe(true);
    const above = Int32Array.from(around(2, +1).map((word) => word | 0));
    expect(wordsMeetTarget(above, targetWords(TARGET))).toBe(false);
    // A top word of 0xffffffff is the largest, never -1.
    expect(wordsMeetTarget(Int32Array.of(-1, 0, 0, 0, 0, 0, 0, 0), targetWords(2n ** 255n))).toBe(false);
  });

  it('agrees with the 256-bit comparison on random hashes and targets', () => {
    fc.assert(
      fc.property(fc.bigInt(0n, MAX_TARGET), fc.bigInt(0n, MAX_TARGET), (hash, target) => {
        expect(wordsMeetTarget(targetWords(hash), targetWords(target))).toBe(hash <= target);
      }),
    );
    // Hashes that share a random number of leading words with the target.
    fc.assert(
      fc.property(
        fc.bigInt(0n, MAX_TARGET),
        fc.integer({ min: 0, max: 7 }),
        fc.bigInt(0n, MAX_TARGET),
        (target, shared, tail) => {
          const keep = 32n * BigInt(8 - shared);
          const hash = ((target >> keep) << keep) | (tail & ((1n << keep) - 1n));
          expect(wordsMeetTarget(targetWords(hash), targetWords(target))).toBe(hash <= target);
        },
      ),
    );
  });
});

describe('hashMeetsTarget (the 256-bit rule, re-exported)', () => {
  it('is the one rule of primitives/target.ts', () => {
    expect(hashMeetsTarget).toBe(primitiveRule);
  });
});

describe('writeNonce and blockHash', () => {
  it('writes the nonce as 8 big-endian bytes at the offset, inside the view it is given', () => {
    const buffer = new Uint8Array(20).fill(0xee);
    const view = buffer.subarray(4, 16);
    writeNonce(view, 2, 0x0102030405060708n);
    expect(Array.from(buffer)).toEqual([
      0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 1, 2, 3, 4, 5, 6, 7, 8, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee,
    ]);
    const edge = new Uint8Array(8);
    writeNonce(edge, 0, 2n ** 64n - 1n);
    expect(edge).toEqual(new Uint8Array(8).fill(0xff));
  });

  it('is SHA-256(prefix || 8-byte big-endian nonce), the block hash of the seed', () => {
    const prefix = new Uint8Array([1, 2, 3]);
    const expected = createHash('sha256')
      .update(new Uint8Array([1, 2, 3, 0, 0, 0, 0, 0, 0, 1, 2]))
      .digest();
    expect(Buffer.from(blockHash(prefix, 0x102n)).toString('hex')).toBe(expected.toString('hex'));
    for (const vector of blockVectors) {
      const block = new Block(
        new Uint8Array(Buffer.from(vector.data_b64, 'base64')),
        hexToBytes(vector.previous_hash),
        BigInt('0x' + vector.p_o_w),
      );
      expect(Buffer.from(blockHash(block.prefix(), block.nonce)).toString('hex')).toBe(vector.hash);
      expect(bytesToBigInt(blockHash(block.prefix(), block.nonce))).toBe(bytesToBigInt(block.hash()));
    }
  });
});
