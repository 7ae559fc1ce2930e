import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_DATA_BYTES, MAX_TARGET } from '../src/primitives/limits.js';
import {
  COIN,
  DEFAULT_PARAMS,
  MAX_MONEY,
  MAX_NAME_BYTES,
  MAX_PARAMS_BYTES,
  PARAMS_MAGIC,
  checkParams,
  decodeParams,
  encodeParams,
  isParamsRecord,
  subsidy,
  totalIssuance,
  type NetworkParams,
} from '../src/primitives/params.js';

const PARAMS: NetworkParams = { ...DEFAULT_PARAMS, genesisTimeMs: 1_700_000_000_000, initialTarget: 1n << 236n };

// Byte offsets of the record's fields (docs/powchain-network.md).
const AT = {
  version: 9,
  blockInterval: 10,
  halfLife: 14,
  target: 18,
  subsidy: 50,
  halvingInterval: 58,
  maturity: 62,
  maxBlockBytes: 64,
  genesisTime: 68,
  nameLength: 76,
  name: 77,
} as const;

/** The encoding of PARAMS with `width` bytes at `offset` replaced by `value` (big-endian). */
function patched(offset: number, width: number, value: bigint, base = encodeParams(PARAMS)): Uint8Array {
  const bytes = base.slice();
  for (let i = width - 1; i >= 0; i--) {
    bytes[offset + i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return bytes;
}

function reasonOf(bytes: Uint8Array): string {
  const decoded = decodeParams(bytes);
  return decoded.ok ? 'accepted' : decoded.reason;
}

function withName(name: Uint8Array): Uint8Array {
  const base = encodeParams({ ...PARAMS, name: 'x' });
  const bytes = new Uint8Array(AT.name + name.length);
  bytes.set(base.subarray(0, AT.name));
  bytes[AT.nameLength] = name.length;
  bytes.set(name, AT.name);
  return bytes;
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The largest subsidy whose schedule stays within MAX_MONEY for a halving interval of 1. */
function largestSubsidyForIntervalOne(): bigint {
  let low = 1n;
  let high = MAX_MONEY;
  while (low < high) {
    const middle = (low + high + 1n) / 2n;
    if (totalIssuance({ subsidy: middle, halvingInterval: 1 }) <= MAX_MONEY) low = middle;
    else high = middle - 1n;
  }
  return low;
}

const nameArbitrary = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
  .map((name) => name.normalize('NFC'))
  .filter((name) => checkParams({ ...PARAMS, name }).ok);

const paramsArbitrary: fc.Arbitrary<NetworkParams> = fc
  .record({
    blockIntervalMs: fc.integer({ min: 100, max: 86_400_000 }),
    halfLifeExtra: fc.integer({ min: 0, max: 0xffff_ffff }),
    initialTarget: fc.bigInt({ min: 1n, max: MAX_TARGET }),
    subsidy: fc.bigInt({ min: 1n, max: 50n * COIN }),
    halvingInterval: fc.integer({ min: 1, max: 210_000 }),
    coinbaseMaturity: fc.integer({ min: 1, max: 10_000 }),
    maxBlockBytes: fc.integer({ min: 1024, max: MAX_DATA_BYTES }),
    genesisTimeMs: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    name: nameArbitrary,
  })
  .map(({ halfLifeExtra, ...rest }) => ({
    ...rest,
    halfLifeMs: Math.min(rest.blockIntervalMs + halfLifeExtra, 0xffff_ffff),
  }));

describe('parameters record', () => {
  it('round-trips: decode(encode(p)) = p, and the encoding is one of a kind', () => {
    fc.assert(
      fc.property(paramsArbitrary, (params) => {
        const bytes = encodeParams(params);
        expect(decodeParams(bytes)).toEqual({ ok: true, value: params });
        expect(encodeParams(params)).toEqual(bytes);
        expect(bytes.length).toBeLessThanOrEqual(MAX_PARAMS_BYTES);
        expect(isParamsRecord(bytes)).toBe(true);
      }),
    );
  });

  it('lays the defaults out byte by byte as documented', () => {
    const bytes = encodeParams(PARAMS);
    expect(Buffer.from(bytes.subarray(0, 9)).toString('latin1')).toBe('powchain\0');
    expect(bytes[AT.version]).toBe(1);
    const view = new DataView(bytes.buffer);
    expect(view.getUint32(AT.blockInterval)).toBe(1_000);
    expect(view.getUint32(AT.halfLife)).toBe(30_000);
    expect(bytes.subarray(AT.target, AT.target + 3)).toEqual(new Uint8Array([0, 0, 0x10])); // 2^236
    expect(view.getBigUint64(AT.subsidy)).toBe(5_000_000_000n);
    expect(view.getUint32(AT.halvingInterval)).toBe(210_000);
    expect(view.getUint16(AT.maturity)).toBe(10);
    expect(view.getUint32(AT.maxBlockBytes)).toBe(32_768);
    expect(view.getBigUint64(AT.genesisTime)).toBe(1_700_000_000_000n);
    expect(bytes[AT.nameLength]).toBe('powchain devnet'.length);
    expect(bytes.length).toBe(AT.name + 'powchain devnet'.length);
  });

  it('tells a powchain genesis from a seed genesis', () => {
    expect(isParamsRecord(utf8('Genesis'))).toBe(false);
    expect(isParamsRecord(utf8('powchain'))).toBe(false);
    expect(isParamsRecord(PARAMS_MAGIC)).toBe(true);
    expect(reasonOf(utf8('Genesis'))).toBe('not a powchain parameters record (bad magic)');
  });

  it('refuses other versions, truncation, trailing bytes and oversize records', () => {
    const bytes = encodeParams(PARAMS);
    expect(reasonOf(patched(AT.version, 1, 2n))).toBe('unknown parameters record version 2');
    expect(reasonOf(bytes.subarray(0, AT.halfLife + 2))).toBe('half-life: needs 4 bytes, only 2 left');
    expect(reasonOf(bytes.subarray(0, bytes.length - 1))).toBe('name: needs 15 bytes, only 14 left');
    expect(reasonOf(new Uint8Array([...bytes, 0]))).toBe('trailing bytes after the record (1)');
    const longest = encodeParams({ ...PARAMS, name: 'n'.repeat(MAX_NAME_BYTES) });
    expect(longest.length).toBe(MAX_PARAMS_BYTES);
    expect(reasonOf(longest)).toBe('accepted');
    expect(reasonOf(new Uint8Array([...longest, 0]))).toBe(
      `parameters record is ${MAX_PARAMS_BYTES + 1} bytes, at most ${MAX_PARAMS_BYTES}`,
    );
  });

  it('checks every numeric field at its accepted edges and one past them', () => {
    const cases: [keyof typeof AT, number, bigint, string][] = [
      ['blockInterval', 4, 100n, 'accepted'],
      ['blockInterval', 4, 99n, 'block interval must be 100 to 86400000 ms, got 99'],
      ['halfLife', 4, 1_000n, 'accepted'],
      ['halfLife', 4, 999n, 'half-life must be from the block interval (1000) to 4294967295 ms, got 999'],
      ['halfLife', 4, 0xffff_ffffn, 'accepted'],
      ['target', 32, 0n, 'initial target must be between 1 and 2^256-1'],
      ['target', 32, 1n, 'accepted'],
      ['target', 32, MAX_TARGET, 'accepted'],
      ['subsidy', 8, 0n, 'subsidy must be 1 to 2100000000000000 base units, got 0'],
      ['subsidy', 8, 1n, 'accepted'],
      ['halvingInterval', 4, 0n, 'halving interval must be 1 to 4294967295 blocks, got 0'],
      ['halvingInterval', 4, 1n, 'accepted'],
      ['maturity', 2, 0n, 'coinbase maturity must be 1 to 10000 blocks, got 0'],
      ['maturity', 2, 1n, 'accepted'],
      ['maturity', 2, 10_000n, 'accepted'],
      ['maturity', 2, 10_001n, 'coinbase maturity must be 1 to 10000 blocks, got 10001'],
      ['maxBlockBytes', 4, 1_023n, 'max block bytes must be 1024 to 49035, got 1023'],
      ['maxBlockBytes', 4, 1_024n, 'accepted'],
      ['maxBlockBytes', 4, BigInt(MAX_DATA_BYTES), 'accepted'],
      ['maxBlockBytes', 4, BigInt(MAX_DATA_BYTES + 1), 'max block bytes must be 1024 to 49035, got 49036'],
      ['genesisTime', 8, 0n, 'accepted'],
      ['genesisTime', 8, BigInt(Number.MAX_SAFE_INTEGER), 'accepted'],
      [
        'genesisTime',
        8,
        BigInt(Number.MAX_SAFE_INTEGER) + 1n,
        'genesis time must be 0 to 9007199254740991 ms, got 9007199254740992',
      ],
    ];
    for (const [field, width, value, reason] of cases) {
      expect(reasonOf(patched(AT[field], width, value)), `${field} = ${value}`).toBe(reason);
    }
    const slowest = patched(AT.blockInterval, 4, 86_400_000n, patched(AT.halfLife, 4, 86_400_000n));
    expect(reasonOf(slowest)).toBe('accepted');
    expect(reasonOf(patched(AT.blockInterval, 4, 86_400_001n, slowest))).toBe(
      'block interval must be 100 to 86400000 ms, got 86400001',
    );
  });

  it('names the field a truncated record ends in', () => {
    const bytes = encodeParams(PARAMS);
    const cases: [keyof typeof AT, string][] = [
      ['version', 'version: needs 1 bytes, only 0 left'],
      ['blockInterval', 'block interval: needs 4 bytes, only 0 left'],
      ['target', 'initial target: needs 32 bytes, only 0 left'],
      ['subsidy', 'subsidy: needs 8 bytes, only 0 left'],
      ['halvingInterval', 'halving interval: needs 4 bytes, only 0 left'],
      ['maturity', 'coinbase maturity: needs 2 bytes, only 0 left'],
      ['maxBlockBytes', 'max block bytes: needs 4 bytes, only 0 left'],
      ['genesisTime', 'genesis time: needs 8 bytes, only 0 left'],
      ['nameLength', 'name length: needs 1 bytes, only 0 left'],
    ];
    for (const [field, reason] of cases) expect(reasonOf(bytes.subarray(0, AT[field])), field).toBe(reason);
  });

  it('refuses a genesis time beyond 2^53 - 1 with the time exactly as sent', () => {
    expect(reasonOf(patched(AT.genesisTime, 8, 0xffff_ffff_ffff_ffffn))).toBe(
      'genesis time must be 0 to 9007199254740991 ms, got 18446744073709551615',
    );
  });

  it('checks parameters built in memory, beyond what the record can spell, with exact reasons', () => {
    const cases: [Partial<NetworkParams>, string][] = [
      [{ initialTarget: MAX_TARGET }, 'accepted'],
      [{ initialTarget: MAX_TARGET + 1n }, 'initial target must be between 1 and 2^256-1'],
      [{ genesisTimeMs: 0 }, 'accepted'],
      [{ genesisTimeMs: -1 }, 'genesis time must be 0 to 9007199254740991 ms, got -1'],
      [{ genesisTimeMs: 0.5 }, 'genesis time must be 0 to 9007199254740991 ms, got 0.5'],
      [{ genesisTimeMs: Number.MAX_SAFE_INTEGER }, 'accepted'],
      [
        { genesisTimeMs: Number.MAX_SAFE_INTEGER + 1 },
        'genesis time must be 0 to 9007199254740991 ms, got 9007199254740992',
      ],
      // A subsidy of exactly MAX_MONEY is in range; its schedule is what is refused.
      [
        { subsidy: MAX_MONEY },
        `subsidy schedule creates ${totalIssuance({ ...PARAMS, subsidy: MAX_MONEY })} base units, more than MAX_MONEY (${MAX_MONEY})`,
      ],
    ];
    for (const [patch, reason] of cases) {
      const verdict = checkParams({ ...PARAMS, ...patch });
      expect(verdict.ok ? 'accepted' : verdict.reason, reason).toBe(reason);
    }
  });

  it('accepts a schedule that creates exactly MAX_MONEY', () => {
    // 250,004 + 125,002 + ... = 500,000 units per block of each era, times 4.2e9 blocks.
    const exact = { ...PARAMS, subsidy: 250_004n, halvingInterval: 4_200_000_000 };
    expect(totalIssuance(exact)).toBe(MAX_MONEY);
    expect(checkParams(exact)).toEqual({ ok: true });
    expect(checkParams({ ...exact, subsidy: 250_005n })).toEqual({
      ok: false,
      reason: `subsidy schedule creates ${totalIssuance({ ...exact, subsidy: 250_005n })} base units, more than MAX_MONEY (${MAX_MONEY})`,
    });
  });

  it('refuses a subsidy schedule that could create more than MAX_MONEY', () => {
    expect(totalIssuance(PARAMS)).toBeLessThanOrEqual(MAX_MONEY);
    const largest = largestSubsidyForIntervalOne();
    const withSubsidy = (value: bigint) =>
      patched(AT.subsidy, 8, value, patched(AT.halvingInterval, 4, 1n, encodeParams(PARAMS)));
    expect(reasonOf(withSubsidy(largest))).toBe('accepted');
    expect(reasonOf(withSubsidy(largest + 1n))).toBe(
      `subsidy schedule creates ${totalIssuance({ subsidy: largest + 1n, halvingInterval: 1 })} base units, more than MAX_MONEY (${MAX_MONEY})`,
    );
    expect(reasonOf(patched(AT.subsidy, 8, MAX_MONEY + 1n))).toBe(
      `subsidy must be 1 to ${MAX_MONEY} base units, got ${MAX_MONEY + 1n}`,
    );
  });

  it('accepts a name of 1 to 32 bytes of clean NFC UTF-8 and refuses every other spelling', () => {
    const cases: [Uint8Array, string][] = [
      [utf8('n'), 'accepted'],
      [utf8('ñ'.repeat(16)), 'accepted'],
      [utf8('réseau de test ω'), 'accepted'],
      [new Uint8Array(0), 'name must be 1 to 32 bytes of UTF-8, got 0'],
      [utf8('n'.repeat(33)), 'parameters record is 110 bytes, at most 109'],
      [new Uint8Array([0x61, 0xff]), 'name is not valid UTF-8'],
      [new Uint8Array([0xc3]), 'name is not valid UTF-8'],
      [new Uint8Array([0xef, 0xbb, 0xbf, 0x61]), 'name contains a control or invisible character (U+FEFF)'],
      [new Uint8Array([0xed, 0xa0, 0x80]), 'name is not valid UTF-8'], // an encoded surrogate
      [utf8('a\nb'), 'name contains a control or invisible character (U+000A)'],
      [utf8('a\u0085'), 'name contains a control or invisible character (U+0085)'],
      [utf8('abc\u202egnp.exe'), 'name contains a control or invisible character (U+202E)'],
      [utf8('a\u200bb'), 'name contains a control or invisible character (U+200B)'],
      [utf8(' net'), 'name must not start or end with whitespace'],
      [utf8('net\u3000'), 'name must not start or end with whitespace'],
      [utf8('re\u0301seau'), 'name must be in Unicode NFC form'],
    ];
    for (const [name, reason] of cases) {
      expect(reasonOf(withName(name)), Buffer.from(name).toString('hex')).toBe(reason);
    }
    // A length byte above 32 is refused before the name is read.
    const overlong = withName(utf8('n'.repeat(32)));
    overlong[AT.nameLength] = 33;
    expect(reasonOf(overlong)).toBe('name must be 1 to 32 bytes of UTF-8, got 33');
    expect(checkParams({ ...PARAMS, name: 'a\ud800' })).toEqual({ ok: false, reason: 'name is not valid UTF-8' });
  });

  it('refuses to encode invalid parameters (a programming error)', () => {
    expect(() => encodeParams({ ...PARAMS, maxBlockBytes: MAX_DATA_BYTES + 1 })).toThrow(
      'invalid network parameters: max block bytes must be 1024 to 49035, got 49036',
    );
    expect(() => encodeParams({ ...PARAMS, blockIntervalMs: 1000.5 })).toThrow(RangeError);
  });

  it('answers a verdict, never an exception, for arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (random, withMagic) => {
        const bytes = withMagic ? new Uint8Array([...PARAMS_MAGIC, 1, ...random]) : random;
        const decoded = decodeParams(bytes);
        if (decoded.ok) expect(encodeParams(decoded.value)).toEqual(bytes);
        else expect(decoded.reason).toMatch(/\S/);
      }),
      { numRuns: 2_000 },
    );
  });

  it('answers a verdict for every single-byte corruption of a valid record', () => {
    const bytes = encodeParams(PARAMS);
    fc.assert(
      fc.property(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const corrupted = bytes.slice();
        corrupted[at]! ^= xor;
        const decoded = decodeParams(corrupted);
        if (decoded.ok) expect(encodeParams(decoded.value)).toEqual(corrupted);
      }),
    );
  });
});

describe('subsidy schedule', () => {
  it('pays the full subsidy until the first halving, then halves it every interval', () => {
    expect(subsidy(PARAMS, 1)).toBe(50n * COIN);
    expect(subsidy(PARAMS, 209_999)).toBe(50n * COIN);
    expect(subsidy(PARAMS, 210_000)).toBe(25n * COIN);
    expect(subsidy(PARAMS, 419_999)).toBe(25n * COIN);
    expect(subsidy(PARAMS, 420_000)).toBe(1_250_000_000n);
  });

  it('pays nothing after 64 halvings (and rounds down to nothing before that)', () => {
    const tiny = { subsidy: MAX_MONEY / 4n, halvingInterval: 1 };
    expect(subsidy(tiny, 63)).toBe(tiny.subsidy >> 63n);
    expect(subsidy(tiny, 64)).toBe(0n);
    expect(subsidy(PARAMS, 64 * 210_000)).toBe(0n);
    expect(subsidy(PARAMS, 33 * 210_000)).toBe(0n); // 50 coins >> 33 < 1 unit
  });

  it('stops after 64 halvings even when the subsidy has not reached 0 by then', () => {
    // Not a valid network's subsidy (above MAX_MONEY), but the schedule's rule all the same.
    const huge = { subsidy: 1n << 64n, halvingInterval: 1 };
    expect(subsidy(huge, 63)).toBe(2n);
    expect(subsidy(huge, 64)).toBe(0n);
    let sum = 0n;
    for (let height = 0; height < 70; height++) sum += subsidy(huge, height);
    expect(totalIssuance(huge)).toBe(sum);
    expect(sum).toBe((1n << 65n) - 2n);
  });

  it('adds up to the total issuance, which stays within MAX_MONEY', () => {
    const small = { subsidy: 1_000n, halvingInterval: 3 };
    let sum = 0n;
    for (let height = 0; height < 64 * 3; height++) sum += subsidy(small, height);
    expect(sum).toBe(totalIssuance(small));
    // The default schedule is Bitcoin's: 20,999,999.9769 coins.
    expect(totalIssuance(PARAMS)).toBe(2_099_999_997_690_000n);
  });

  it('refuses a negative or fractional height', () => {
    expect(() => subsidy(PARAMS, -1)).toThrow(new RangeError('height must be >= 0, got -1'));
    expect(() => subsidy(PARAMS, 1.5)).toThrow(new RangeError('height must be >= 0, got 1.5'));
  });
});
