import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FormatError,
  base64ToBytes,
  bigIntToBytes,
  bytesToBase64,
  bytesToBigInt,
  bytesToHex,
  concatBytes,
  equalBytes,
  hexToBytes,
} from '../src/primitives/bytes.js';

/** The FormatError `run` throws (fails the test if it throws nothing or something else). */
function formatErrorOf(run: () => unknown): FormatError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FormatError);
    return error as FormatError;
  }
  throw new Error('expected a FormatError, nothing was thrown');
}

describe('hexToBytes', () => {
  it('decodes hex of either case, and the empty string to no bytes', () => {
    expect(hexToBytes('00ff7fAB')).toEqual(new Uint8Array([0x00, 0xff, 0x7f, 0xab]));
    expect(hexToBytes('abcdef')).toEqual(hexToBytes('ABCDEF'));
    expect(hexToBytes('0123456789')).toEqual(new Uint8Array([0x01, 0x23, 0x45, 0x67, 0x89]));
    expect(hexToBytes('')).toEqual(new Uint8Array(0));
  });

  it('refuses anything but hex digits, anywhere in the text, naming the field', () => {
    for (const text of ['zz', 'zz00', '00zz', '0g', ' 00', '00 ', '0x00', '-1']) {
      const error = formatErrorOf(() => hexToBytes(text, 'previous_hash'));
      expect(error.message).toBe('previous_hash is not hex');
      expect(error.name).toBe('FormatError');
    }
    expect(formatErrorOf(() => hexToBytes('q')).message).toBe('hex is not hex');
  });

  it('refuses an odd number of digits with the count', () => {
    expect(formatErrorOf(() => hexToBytes('abc', 'p_o_w')).message).toBe('p_o_w has an odd number of hex digits (3)');
    expect(formatErrorOf(() => hexToBytes('a')).message).toBe('hex has an odd number of hex digits (1)');
  });

  it('holds an exact length when one is asked for, and none otherwise', () => {
    expect(hexToBytes('abcd', 'x', 2)).toEqual(new Uint8Array([0xab, 0xcd]));
    expect(hexToBytes('', 'x', 0)).toEqual(new Uint8Array(0));
    expect(formatErrorOf(() => hexToBytes('abcd', 'x', 3)).message).toBe('x must be 3 bytes, got 2');
    expect(formatErrorOf(() => hexToBytes('abcdef', 'x', 2)).message).toBe('x must be 2 bytes, got 3');
    expect(formatErrorOf(() => hexToBytes('', 'x', 1)).message).toBe('x must be 1 bytes, got 0');
    expect(hexToBytes('ab'.repeat(40))).toHaveLength(40);
  });

  it('round-trips with bytesToHex, which writes lower case', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const hex = bytesToHex(bytes);
        expect(hex).toMatch(/^[0-9a-f]*$/);
        expect(hex).toHaveLength(2 * bytes.length);
        expect(hexToBytes(hex, 'x', bytes.length)).toEqual(bytes);
        expect(hexToBytes(hex.toUpperCase())).toEqual(bytes);
      }),
    );
  });

  it('bytesToHex reads only the view it is given, not the whole buffer', () => {
    const buffer = new Uint8Array([1, 2, 3, 4, 5]);
    expect(bytesToHex(buffer.subarray(1, 3))).toBe('0203');
    expect(bytesToBase64(buffer.subarray(1, 3))).toBe('AgM=');
  });
});

describe('base64ToBytes', () => {
  it('decodes padded standard base64 of every tail length, and the empty string', () => {
    expect(base64ToBytes('')).toEqual(new Uint8Array(0));
    expect(base64ToBytes('eA==')).toEqual(new Uint8Array([0x78]));
    expect(base64ToBytes('eHk=')).toEqual(new Uint8Array([0x78, 0x79]));
    expect(base64ToBytes('eHl6')).toEqual(new Uint8Array([0x78, 0x79, 0x7a]));
    expect(base64ToBytes('eHl6eHl6')).toEqual(new Uint8Array([0x78, 0x79, 0x7a, 0x78, 0x79, 0x7a]));
    expect(base64ToBytes('eHl6eA==')).toEqual(new Uint8Array([0x78, 0x79, 0x7a, 0x78]));
    expect(base64ToBytes('+/+/')).toEqual(new Uint8Array([0xfb, 0xff, 0xbf]));
    expect(base64ToBytes('AZaz09+/')).toEqual(new Uint8Array(Buffer.from('AZaz09+/', 'base64')));
  });

  it('refuses unpadded, URL-safe, over-padded, embedded or surrounded text with one reason', () => {
    const refused = [
      'eA', // unpadded
      'eHk', // unpadded
      'eA=', // short padding
      'e===', // too much padding
      'eA==eA==', // padding in the middle
      '!eA==', // junk before
      'eA==!', // junk after
      'eHl6!', // junk after a whole quantum
      ' eA==', // whitespace
      'eA==\n',
      '-_-_', // URL-safe alphabet
      'eHl6e', // a lone character
      '====',
    ];
    for (const text of refused) {
      expect(formatErrorOf(() => base64ToBytes(text, 'data')).message, text).toBe('data is not padded standard base64');
    }
    expect(formatErrorOf(() => base64ToBytes('*')).message).toBe('base64 is not padded standard base64');
  });

  it('round-trips with bytesToBase64 (what Python b64encode writes)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes);
      }),
    );
  });
});

describe('big-endian integers', () => {
  it('reads bytes of any width, the empty array as zero', () => {
    expect(bytesToBigInt(new Uint8Array(0))).toBe(0n);
    expect(bytesToBigInt(new Uint8Array([0]))).toBe(0n);
    expect(bytesToBigInt(new Uint8Array([1, 0]))).toBe(256n);
    expect(bytesToBigInt(new Uint8Array(32).fill(0xff))).toBe((1n << 256n) - 1n);
  });

  it('writes exactly `length` bytes, from zero up to the largest value that fits', () => {
    expect(bigIntToBytes(0n, 8)).toEqual(new Uint8Array(8));
    expect(bigIntToBytes(1n, 8)).toEqual(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1]));
    expect(bigIntToBytes(0x0102n, 2)).toEqual(new Uint8Array([1, 2]));
    expect(bigIntToBytes((1n << 64n) - 1n, 8)).toEqual(new Uint8Array(8).fill(0xff));
    expect(bigIntToBytes(255n, 1)).toEqual(new Uint8Array([255]));
  });

  it('refuses a negative value or one a byte too wide, with a RangeError naming both', () => {
    expect(() => bigIntToBytes(-1n, 8)).toThrow(new RangeError('-1 does not fit in 8 unsigned bytes'));
    expect(() => bigIntToBytes(1n << 64n, 8)).toThrow(
      new RangeError('18446744073709551616 does not fit in 8 unsigned bytes'),
    );
    expect(() => bigIntToBytes(256n, 1)).toThrow(new RangeError('256 does not fit in 1 unsigned bytes'));
    expect(() => bigIntToBytes(1n, 0)).toThrow(RangeError);
  });

  it('round-trips any value that fits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.bigInt(0n, (1n << 320n) - 1n), (length, wide) => {
        const value = wide % (1n << BigInt(8 * length));
        const bytes = bigIntToBytes(value, length);
        expect(bytes).toHaveLength(length);
        expect(bytesToBigInt(bytes)).toBe(value);
      }),
    );
  });
});

describe('concatBytes and equalBytes', () => {
  it('concatenates in order, empty parts included', () => {
    expect(concatBytes()).toEqual(new Uint8Array(0));
    expect(
      concatBytes(new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array([3]), new Uint8Array([4, 5, 6])),
    ).toEqual(new Uint8Array([1, 2, 3, 4, 5, 6]));
  });

  it('compares length and every byte', () => {
    expect(equalBytes(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(equalBytes(new Uint8Array(0), new Uint8Array(0))).toBe(true);
    expect(equalBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]))).toBe(false);
    expect(equalBytes(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2]))).toBe(false);
    expect(equalBytes(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
    expect(equalBytes(new Uint8Array([0, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(false);
  });
});
