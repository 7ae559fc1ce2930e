import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Engine, EngineName, SearchResult } from '../src/hashing/engine.js';
import { MAX_TARGET, NONCE_LIMIT } from '../src/primitives/limits.js';
import { blockHash, hashMeetsTarget } from '../src/hashing/pow-check.js';
import { availableEngines, createEngine, createUnverifiedEngine, defaultEngine } from '../src/hashing/registry.js';
import { EngineMismatchError, checkResult, verifiedEngine } from '../src/hashing/verify.js';
import { simdSupported } from '../src/hashing/wasm.js';
import { blockVectors, minedVectors } from './helpers/vectors.js';

const TWO_32 = 1n << 32n;

/** The reference: a plain node:crypto scan of [start, end), one nonce at a time. */
function referenceScan(prefix: Uint8Array, target: bigint, start: bigint, end: bigint): SearchResult {
  for (let nonce = start; nonce < end; nonce++) {
    if (hashMeetsTarget(blockHash(prefix, nonce), target)) return { nonce, tried: Number(nonce - start + 1n) };
  }
  return { nonce: null, tried: Number(end - start) };
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

const engines = availableEngines();

describe('engine availability', () => {
  it('offers js and node-crypto everywhere, and defaults to the fastest available', () => {
    expect(engines).toContain('js');
    expect(engines).toContain('node-crypto');
    expect(defaultEngine()).toBe(engines[0]);
  });

  // `npm test` builds the WebAssembly first (pretest): a missing build is a failure, not a skip.
  it('has the WebAssembly engines', () => {
    const expected: EngineName[] = simdSupported() ? ['wasm-simd', 'wasm'] : ['wasm'];
    for (const name of expected)
      expect(engines, `engine ${name} unavailable (build/*.wasm missing? run npm run build)`).toContain(name);
  });
});

/** Every engine answers the same question the same way (STYLE 6: one suite factory). */
function engineSuite(name: EngineName): void {
  describe(`engine ${name}`, () => {
    // The bare engine, so that a wrong answer shows up as a wrong answer rather than as
    // the verify wrapper's exception (which is tested on its own below).
    const engine = createUnverifiedEngine(name);

    it('finds exactly the nonce the seed found, scanning upward from 1 (mined.jsonl)', () => {
      for (const vector of minedVectors) {
        const prefix = concat(Buffer.from(vector.data_b64, 'base64'), Buffer.from(vector.previous_hash, 'hex'));
        const searcher = engine.prepare(prefix, BigInt(vector.target));
        let found: bigint | null = null;
        let tried = 0;
        for (let start = 1n; found === null; start += 65_536n) {
          const result = searcher.search(start, start + 65_536n);
          tried += result.tried;
          found = result.nonce;
        }
        expect(found).toBe(BigInt(vector.nonce));
        expect(tried).toBe(vector.nonce);
      }
    });

    it('handles every tail length: prefixes of 0..200 bytes (one or two tail blocks, nonce at any offset)', () => {
      const target = 1n << 252n; // one hit in 16
      for (let length = 0; length <= 200; length++) {
        const prefix = new Uint8Array(length).map((_, i) => (i * 31 + length) & 0xff);
        const start = TWO_32 - 20n; // crosses the 2^32 carry of the nonce's low word
        expect(engine.prepare(prefix, target).search(start, start + 40n), `prefix length ${length}`).toEqual(
          referenceScan(prefix, target, start, start + 40n),
        );
      }
    });

    it('agrees with a node:crypto scan on random data, parents, ranges and targets', () => {
      const start = fc.oneof(
        fc.bigInt(0n, 1_000n),
        fc.bigInt(TWO_32 - 300n, TWO_32 + 10n),
        fc.bigInt(NONCE_LIMIT - 1_000n, NONCE_LIMIT),
        fc.bigInt(0n, NONCE_LIMIT),
      );
      const target = fc.oneof(
        fc.bigInt(1n << 248n, MAX_TARGET), // frequent hits
        fc.bigInt(0n, 1n << 200n), // practically never
        fc.constantFrom(0n, MAX_TARGET),
      );
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 2_000 }),
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          start,
          fc.integer({ min: 0, max: 200 }),
          target,
          (data, parent, rangeStart, length, target) => {
            const prefix = concat(data, parent);
            const rangeEnd = rangeStart + BigInt(length) > NONCE_LIMIT ? NONCE_LIMIT : rangeStart + BigInt(length);
            const result = engine.prepare(prefix, target).search(rangeStart, rangeEnd);
            expect(result).toEqual(referenceScan(prefix, target, rangeStart, rangeEnd));
            if (result.nonce !== null) {
              expect(result.nonce >= rangeStart && result.nonce < rangeEnd).toBe(true);
            }
          },
        ),
        { numRuns: 100 },
      );
    });

    it('reaches the very last nonce, 2^64 - 1', () => {
      const prefix = new Uint8Array(48).fill(7);
      const result = engine.prepare(prefix, MAX_TARGET).search(NONCE_LIMIT - 1n, NONCE_LIMIT);
      expect(result).toEqual({ nonce: NONCE_LIMIT - 1n, tried: 1 });
      expect(engine.prepare(prefix, 0n).search(NONCE_LIMIT - 5n, NONCE_LIMIT)).toEqual({ nonce: null, tried: 5 });
    });

    it('keeps two searchers of one engine apart when their batches interleave', () => {
      const first = new Uint8Array(100).fill(1);
      const second = new Uint8Array(30).fill(2);
      const target = 1n << 251n;
      const a = engine.prepare(first, target);
      const b = engine.prepare(second, target);
      for (let start = 0n; start < 200n; start += 25n) {
        expect(a.search(start, start + 25n)).toEqual(referenceScan(first, target, start, start + 25n));
        expect(b.search(start, start + 25n)).toEqual(referenceScan(second, target, start, start + 25n));
      }
    });

    it('passes its own verify wrapper (createEngine)', () => {
      const prefix = new Uint8Array(56).fill(3);
      const result = createEngine(name)
        .prepare(prefix, 1n << 250n)
        .search(1n, 10_000n);
      expect(result).toEqual(referenceScan(prefix, 1n << 250n, 1n, 10_000n));
    });
  });
}

for (const name of engines) engineSuite(name);

describe('the node:crypto reference', () => {
  it('hashes the seed-made blocks as the seed did (blocks.jsonl)', () => {
    for (const vector of blockVectors) {
      const prefix = concat(Buffer.from(vector.data_b64, 'base64'), Buffer.from(vector.previous_hash, 'hex'));
      const hash = blockHash(prefix, BigInt('0x' + vector.p_o_w));
      expect(Buffer.from(hash).toString('hex')).toBe(vector.hash);
      expect(hashMeetsTarget(hash, 1n << 235n)).toBe(vector.valid_pow_2_235);
    }
  });

  it('accepts a hash equal to the target and refuses one above it', () => {
    const hash = blockHash(new Uint8Array(0), 1n);
    const value = BigInt('0x' + Buffer.from(hash).toString('hex'));
    expect(hashMeetsTarget(hash, value)).toBe(true);
    expect(hashMeetsTarget(hash, value - 1n)).toBe(false);
  });
});

describe("checkResult without a tried count (how the pool rechecks a worker's nonce)", () => {
  const prefix = new Uint8Array(56).fill(4);
  const nonce = 1_000n;
  const hash = BigInt('0x' + Buffer.from(blockHash(prefix, nonce)).toString('hex'));

  it('checks the range and the work only', () => {
    expect(() => checkResult('js', prefix, hash, 1n, nonce + 1n, { nonce })).not.toThrow();
    expect(() => checkResult('js', prefix, hash, nonce + 1n, nonce + 9n, { nonce })).toThrow(
      /outside the searched range/,
    );
    expect(() => checkResult('js', prefix, hash - 1n, 1n, nonce + 1n, { nonce })).toThrow(/above the target/);
  });
});

describe('verify wrapper', () => {
  const honest = createUnverifiedEngine('js');
  /** Reports a fixed answer whatever the range. */
  const liar = (answer: (start: bigint) => SearchResult): Engine => ({
    name: 'js',
    prepare: () => ({ search: (start) => answer(start) }),
  });
  const prefix = new Uint8Array(56).fill(9);

  it('throws EngineMismatchError, naming the engine and the nonce, for a nonce above the target', () => {
    const searcher = verifiedEngine(liar((start) => ({ nonce: start + 3n, tried: 4 }))).prepare(prefix, 0n);
    expect(() => searcher.search(100n, 200n)).toThrow(EngineMismatchError);
    expect(() => searcher.search(100n, 200n)).toThrow(
      /ENGINE MISMATCH: engine "js" reported nonce 103 .*above the target/,
    );
  });

  it('throws for a nonce outside the searched range, and for a wrong tried count', () => {
    const outside = verifiedEngine(liar(() => ({ nonce: 5n, tried: 1 }))).prepare(prefix, MAX_TARGET);
    expect(() => outside.search(100n, 200n)).toThrow(/outside the searched range/);
    const miscounted = verifiedEngine(liar((start) => ({ nonce: start, tried: 7 }))).prepare(prefix, MAX_TARGET);
    expect(() => miscounted.search(100n, 200n)).toThrow(/7 nonces tried/);
  });

  it('lets an honest engine through unchanged', () => {
    const result = verifiedEngine(honest)
      .prepare(prefix, 1n << 250n)
      .search(0n, 5_000n);
    expect(result).toEqual(referenceScan(prefix, 1n << 250n, 0n, 5_000n));
  });
});
