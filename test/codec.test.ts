import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../src/primitives/bytes.js';
import { formatCoins, parseCoins } from '../src/primitives/amount.js';
import { ByteReader, ByteWriter, RefusalError, decodeRecord, refuse } from '../src/primitives/codec.js';
import { COIN, MAX_MONEY } from '../src/primitives/params.js';
import { quote } from '../src/primitives/quote.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe('ByteWriter', () => {
  it('writes fixed-width big-endian integers, raw bytes and 256-bit integers, in order', () => {
    const out = new ByteWriter()
      .u8(0xab)
      .u16(0x0102)
      .u32(0x03040506)
      .u64(0x0708090a0b0c0d0en)
      .uint(0x0fn, 3)
      .bytes(bytes(0xee, 0xff))
      .bytes(bytes(1), 'one', 1);
    expect(out.length).toBe(1 + 2 + 4 + 8 + 3 + 2 + 1);
    expect(out.finish()).toEqual(bytes(0xab, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0, 0, 0x0f, 0xee, 0xff, 1));
    expect(new ByteWriter().finish()).toEqual(new Uint8Array(0));
  });

  it('takes every value of each width, from 0 to its largest', () => {
    expect(new ByteWriter().u8(0).u8(255).finish()).toEqual(bytes(0, 255));
    expect(new ByteWriter().u16(65_535).finish()).toEqual(bytes(255, 255));
    expect(new ByteWriter().u32(2 ** 32 - 1).finish()).toEqual(bytes(255, 255, 255, 255));
    expect(new ByteWriter().u64(2n ** 64n - 1n).finish()).toEqual(new Uint8Array(8).fill(255));
    expect(new ByteWriter().uint(0n, 2).finish()).toEqual(bytes(0, 0));
  });

  it('refuses a value one past its width, a negative or a fraction, as a programming error with the field', () => {
    expect(() => new ByteWriter().u8(256, 'version')).toThrow(
      new RangeError('version must be an unsigned 8-bit integer, got 256'),
    );
    expect(() => new ByteWriter().u16(65_536)).toThrow(
      new RangeError('u16 must be an unsigned 16-bit integer, got 65536'),
    );
    expect(() => new ByteWriter().u32(2 ** 32)).toThrow(
      new RangeError('u32 must be an unsigned 32-bit integer, got 4294967296'),
    );
    expect(() => new ByteWriter().u8(-1)).toThrow(new RangeError('u8 must be an unsigned 8-bit integer, got -1'));
    expect(() => new ByteWriter().u32(1.5)).toThrow(new RangeError('u32 must be an unsigned 32-bit integer, got 1.5'));
    expect(() => new ByteWriter().u64(2n ** 64n)).toThrow(
      new RangeError('u64 must be an unsigned 64-bit integer, got 18446744073709551616'),
    );
    expect(() => new ByteWriter().uint(-1n, 32, 'target')).toThrow(
      new RangeError('target must be an unsigned 256-bit integer, got -1'),
    );
    expect(() => new ByteWriter().uint(256n, 1)).toThrow(
      new RangeError('uint must be an unsigned 8-bit integer, got 256'),
    );
    expect(() => new ByteWriter().bytes(bytes(1, 2), 'hash', 3)).toThrow(new RangeError('hash must be 3 bytes, got 2'));
    expect(() => new ByteWriter().bytes(bytes(1, 2), undefined, 1)).toThrow(
      new RangeError('bytes must be 1 bytes, got 2'),
    );
  });
});

describe('ByteReader and decodeRecord', () => {
  it('reads back what the writer wrote, and keeps its offset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 65_535 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
        fc.uint8Array({ maxLength: 20 }),
        (a, b, c, d, e, raw) => {
          const encoded = new ByteWriter().u8(a).u16(b).u32(c).u64(d).uint(e, 32).bytes(raw).finish();
          const decoded = decodeRecord(encoded, (reader) => {
            const value = [reader.u8('a'), reader.u16('b'), reader.u32('c'), reader.u64('d'), reader.uint(32, 'e')];
            expect(reader.offset).toBe(47);
            return [...value, reader.bytes(raw.length, 'raw')];
          });
          expect(decoded).toEqual({ ok: true, value: [a, b, c, d, e, raw] });
        },
      ),
    );
  });

  it('reads at a view into a larger buffer, and copies the bytes it returns', () => {
    const backing = bytes(9, 9, 1, 2, 3, 4, 9);
    const view = backing.subarray(2, 6);
    const reader = new ByteReader(view);
    expect(reader.remaining).toBe(4);
    expect(reader.u16('x')).toBe(0x0102);
    const copy = reader.bytes(2, 'y');
    expect(copy).toEqual(bytes(3, 4));
    backing[4] = 0;
    expect(copy).toEqual(bytes(3, 4));
    expect([reader.offset, reader.remaining]).toEqual([4, 0]);
  });

  it('refuses a field longer than what is left, naming it and both lengths; exactly what is left is read', () => {
    const reads: Array<[(reader: ByteReader) => unknown, number, string]> = [
      [(r) => r.u8('version'), 0, 'version: needs 1 bytes, only 0 left'],
      [(r) => r.u16('count'), 1, 'count: needs 2 bytes, only 1 left'],
      [(r) => r.u32('time'), 3, 'time: needs 4 bytes, only 3 left'],
      [(r) => r.u64('amount'), 7, 'amount: needs 8 bytes, only 7 left'],
      [(r) => r.uint(32, 'target'), 31, 'target: needs 32 bytes, only 31 left'],
      [(r) => r.bytes(5, 'tag'), 4, 'tag: needs 5 bytes, only 4 left'],
    ];
    for (const [read, available, reason] of reads) {
      expect(decodeRecord(new Uint8Array(available), read)).toEqual({ ok: false, reason });
      expect(decodeRecord(new Uint8Array(available + 1), read).ok).toBe(true);
    }
  });

  it('refuses trailing bytes, saying how many', () => {
    expect(decodeRecord(bytes(1, 2, 3), (reader) => reader.u8('a'))).toEqual({
      ok: false,
      reason: 'trailing bytes after the record (2)',
    });
    expect(decodeRecord(new Uint8Array(0), () => 'nothing')).toEqual({ ok: true, value: 'nothing' });
  });

  it("turns refuse() into the verdict's reason, and lets any other exception through", () => {
    expect(decodeRecord(bytes(1), () => refuse('no good'))).toEqual({ ok: false, reason: 'no good' });
    expect(() => refuse('x')).toThrow(RefusalError);
    expect(new RefusalError('y').name).toBe('RefusalError');
    expect(() =>
      decodeRecord(bytes(1), () => {
        throw new TypeError('a bug');
      }),
    ).toThrow(TypeError);
  });
});

describe('amounts in coins', () => {
  it('reads whole coins and up to 8 decimals, exactly', () => {
    expect(COIN).toBe(100_000_000n);
    expect(parseCoins('1')).toBe(COIN);
    expect(parseCoins('1.5')).toBe(150_000_000n);
    expect(parseCoins('0.00000001')).toBe(1n);
    expect(parseCoins(' 12345678.12345678 ')).toBe(1_234_567_812_345_678n);
    expect(parseCoins('0')).toBe(0n);
    expect(parseCoins('21000000')).toBe(MAX_MONEY);
    expect(parseCoins('20999999.99999999')).toBe(MAX_MONEY - 1n);
  });

  it('refuses more than MAX_MONEY, one base unit past it included', () => {
    for (const text of ['21000000.00000001', '99999999']) {
      expect(() => parseCoins(text)).toThrow(
        new FormatError('amount is over the 21000000.00000000 coins that can ever exist'),
      );
    }
  });

  it('refuses every other spelling, quoting it', () => {
    for (const text of ['', '1.', '.5', '1.123456789', '123456789', '-1', '+1', '1e3', '1,5', '0x10', 'one', '1 .5']) {
      expect(() => parseCoins(text)).toThrow(
        new FormatError(`amount must be coins with at most 8 decimals (like 1.5), got ${JSON.stringify(text)}`),
      );
    }
  });

  it('writes base units as coins with all 8 decimals, negatives too', () => {
    expect(formatCoins(0n)).toBe('0.00000000');
    expect(formatCoins(1n)).toBe('0.00000001');
    expect(formatCoins(150_000_000n)).toBe('1.50000000');
    expect(formatCoins(MAX_MONEY)).toBe('21000000.00000000');
    expect(formatCoins(-150_000_001n)).toBe('-1.50000001');
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: MAX_MONEY }), (units) => parseCoins(formatCoins(units)) === units));
  });
});

describe('quote', () => {
  it('JSON-escapes text and cuts it after maxChars characters (64 by default)', () => {
    expect(quote('a"b\n')).toBe('"a\\"b\\n"');
    expect(quote('x'.repeat(64))).toBe(`"${'x'.repeat(64)}"`);
    expect(quote('x'.repeat(65))).toBe(`"${'x'.repeat(64)}…"`);
    expect(quote('abcd', 3)).toBe('"abc…"');
    expect(quote('abc', 3)).toBe('"abc"');
    expect(quote('')).toBe('""');
  });
});
