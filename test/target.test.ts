import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError, bigIntToBytes } from '../src/primitives/bytes.js';
import { HASH_SPACE, MAX_TARGET } from '../src/primitives/limits.js';
import { hashMeetsTarget } from '../src/primitives/pow.js';
import { DEFAULT_TARGET, formatTarget, parseTarget, targetBytes, workForTarget } from '../src/primitives/target.js';

const SPELLING = 'target must be 0xHEX, 2^N or a decimal integer, got';
const RANGE = 'target must be between 1 and 2^256-1, got';

/** The message of the FormatError parseTarget throws for `text` (fails if it throws nothing or anything else). */
function refusal(text: string): string {
  try {
    parseTarget(text);
  } catch (error) {
    expect(error, text).toBeInstanceOf(FormatError);
    return (error as Error).message;
  }
  throw new Error(`parseTarget accepted ${JSON.stringify(text)}`);
}

const asHash = (value: bigint): Uint8Array => bigIntToBytes(value, 32);

describe('the default target', () => {
  it("is the seed's 2^235", () => {
    expect(DEFAULT_TARGET).toBe(2n ** 235n);
  });
});

describe('parseTarget', () => {
  it('reads every spelling, around surrounding whitespace', () => {
    expect(parseTarget('2^235')).toBe(2n ** 235n);
    expect(parseTarget('2**235')).toBe(2n ** 235n);
    expect(parseTarget('2^0')).toBe(1n);
    expect(parseTarget('2^255')).toBe(2n ** 255n);
    expect(parseTarget('0x10')).toBe(16n);
    expect(parseTarget('0XfF')).toBe(255n);
    expect(parseTarget('4096')).toBe(4096n);
    expect(parseTarget('  2^235\n')).toBe(2n ** 235n);
    expect(parseTarget('\t0x10 ')).toBe(16n);
  });

  it('accepts the edges 1 and 2^256-1 in every spelling', () => {
    expect(parseTarget('1')).toBe(1n);
    expect(parseTarget('0x1')).toBe(1n);
    expect(parseTarget('2^0')).toBe(1n);
    expect(parseTarget(MAX_TARGET.toString())).toBe(MAX_TARGET);
    expect(parseTarget('0x' + 'f'.repeat(64))).toBe(MAX_TARGET);
    expect(parseTarget('0x' + '0'.repeat(63) + '1')).toBe(1n); // 64 digits: the longest hex
    expect(parseTarget('0'.repeat(77) + '1')).toBe(1n); // 78 digits: the longest decimal
  });

  it('refuses 0 and 2^256 (one past each edge) with the range reason', () => {
    expect(refusal('0')).toBe(`${RANGE} 0`);
    expect(refusal('0x0')).toBe(`${RANGE} 0x0`);
    expect(refusal('2^256')).toBe(`${RANGE} 2^256`);
    expect(refusal(' 2**256 ')).toBe(`${RANGE} 2**256`);
    expect(refusal(HASH_SPACE.toString())).toBe(`${RANGE} ${HASH_SPACE}`);
    expect(refusal('2^999')).toBe(`${RANGE} 2^999`);
  });

  it('refuses every other text with the spelling reason, quoting it JSON-escaped and cut after 64 characters', () => {
    const refused = [
      '',
      '   ',
      'lots',
      '2^235junk', // every pattern is anchored at both ends
      'x2^235',
      '12^5',
      '2^',
      '2^1000', // at most three exponent digits
      '2*235',
      '2^^235',
      '3^5',
      '2^-1',
      '0x',
      '0x10junk',
      'junk0x10',
      '00x10',
      '0x' + '0'.repeat(64) + '1', // 65 hex digits
      '0x1g',
      '0b101',
      '12a',
      'a12',
      '-1',
      '+1',
      '1e5',
      '1.5',
      '0'.repeat(78) + '1', // 79 decimal digits
    ];
    for (const text of refused) {
      const quoted = text.length > 64 ? `"${text.slice(0, 64)}…"` : `"${text}"`;
      expect(refusal(text), JSON.stringify(text)).toBe(`${SPELLING} ${quoted}`);
    }
    expect(refusal('z'.repeat(64))).toBe(`${SPELLING} "${'z'.repeat(64)}"`); // 64 characters: whole
    expect(refusal('z'.repeat(65))).toBe(`${SPELLING} "${'z'.repeat(64)}…"`);
    expect(refusal('2^\n1')).toBe(`${SPELLING} "2^\\n1"`);
  });
});

describe('formatTarget', () => {
  it('writes powers of two as 2^N and anything else as hex', () => {
    expect(formatTarget(1n)).toBe('2^0');
    expect(formatTarget(2n)).toBe('2^1');
    expect(formatTarget(2n ** 235n)).toBe('2^235');
    expect(formatTarget(2n ** 255n)).toBe('2^255');
    expect(formatTarget(0n)).toBe('0x0');
    expect(formatTarget(3n)).toBe('0x3');
    expect(formatTarget(6n)).toBe('0x6');
    expect(formatTarget(2n ** 235n + 1n)).toBe('0x8' + '0'.repeat(57) + '1');
    expect(formatTarget(MAX_TARGET)).toBe('0x' + 'f'.repeat(64));
  });

  it('is read back by parseTarget', () => {
    fc.assert(
      fc.property(fc.bigInt(1n, MAX_TARGET), (target) => {
        expect(parseTarget(formatTarget(target))).toBe(target);
      }),
    );
    for (let n = 0n; n < 256n; n++) expect(parseTarget(formatTarget(1n << n))).toBe(1n << n);
  });
});

describe('workForTarget', () => {
  it('is 2^256 / (target + 1), rounded down: the hashes a block at that target is expected to cost', () => {
    expect(workForTarget(0n)).toBe(1n << 256n);
    expect(workForTarget(1n)).toBe(1n << 255n);
    expect(workForTarget(3n)).toBe(1n << 254n);
    expect(workForTarget(4n)).toBe((1n << 256n) / 5n);
    expect(workForTarget(MAX_TARGET)).toBe(1n);
  });
});

describe('targetBytes', () => {
  it('gives 32 big-endian bytes, clamped to 2^256 - 1 above it, and refuses a negative target', () => {
    expect([...targetBytes(DEFAULT_TARGET)]).toEqual([...bigIntToBytes(DEFAULT_TARGET, 32)]);
    expect([...targetBytes(0n)]).toEqual(new Array(32).fill(0));
    expect([...targetBytes(MAX_TARGET)]).toEqual(new Array(32).fill(0xff));
    expect([...targetBytes(MAX_TARGET + 1n)]).toEqual(new Array(32).fill(0xff));
    expect([...targetBytes(1n << 300n)]).toEqual(new Array(32).fill(0xff));
    // Another target after the clamped one: converted again, not the last answer.
    expect([...targetBytes(1n)]).toEqual([...new Array(31).fill(0), 1]);
    expect(() => targetBytes(-1n)).toThrow(new RangeError('target must be >= 0, got -1'));
  });
});

describe('hashMeetsTarget: the proof-of-work comparison', () => {
  it('accepts a hash equal to the target or below it, refuses one above it', () => {
    for (const target of [1n, 2n ** 235n, 2n ** 235n + 12345n, MAX_TARGET - 1n, 0x1234n << 200n]) {
      expect(hashMeetsTarget(asHash(target), target)).toBe(true);
      expect(hashMeetsTarget(asHash(target - 1n), target)).toBe(true);
      expect(hashMeetsTarget(asHash(target + 1n), target)).toBe(false);
    }
    expect(hashMeetsTarget(asHash(0n), 0n)).toBe(true);
    expect(hashMeetsTarget(asHash(1n), 0n)).toBe(false);
    expect(hashMeetsTarget(asHash(MAX_TARGET), MAX_TARGET)).toBe(true);
    expect(hashMeetsTarget(asHash(MAX_TARGET), MAX_TARGET - 1n)).toBe(false);
  });

  it('reads the hash big-endian: the first byte weighs most', () => {
    const high = new Uint8Array(32);
    high[0] = 1; // 2^248
    const low = new Uint8Array(32).fill(0xff);
    low[0] = 0; // 2^248 - 1
    expect(hashMeetsTarget(high, 2n ** 248n - 1n)).toBe(false);
    expect(hashMeetsTarget(low, 2n ** 248n - 1n)).toBe(true);
  });

  it('agrees with the integer comparison on random hashes and targets', () => {
    fc.assert(
      fc.property(fc.bigInt(0n, MAX_TARGET), fc.bigInt(0n, MAX_TARGET), (hash, target) => {
        expect(hashMeetsTarget(asHash(hash), target)).toBe(hash <= target);
      }),
    );
  });

  it('refuses a hash that is not 32 bytes: a programmer error, thrown', () => {
    expect(() => hashMeetsTarget(new Uint8Array(31), MAX_TARGET)).toThrow(
      new RangeError('hash must be 32 bytes, got 31'),
    );
    expect(() => hashMeetsTarget(new Uint8Array(33), MAX_TARGET)).toThrow(
      new RangeError('hash must be 32 bytes, got 33'),
    );
    expect(() => hashMeetsTarget(new Uint8Array(0), MAX_TARGET)).toThrow(
      new RangeError('hash must be 32 bytes, got 0'),
    );
  });
});
