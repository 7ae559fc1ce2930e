import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../src/primitives/bytes.js';
import { MAX_DATA_BYTES, MAX_TARGET } from '../src/primitives/limits.js';
import {
  MAX_MINER_TAG_BYTES,
  PAYLOAD_HEADER_BYTES,
  checkPayload,
  decodePayload,
  encodePayload,
  fastLayoutPadding,
  padForFastLayout,
  type BlockPayload,
} from '../src/primitives/payload.js';
import { MAX_MONEY } from '../src/primitives/params.js';
import {
  MAX_COINBASE_TAG_BYTES,
  encodeTx,
  type CoinbaseTx,
  type TransferTx,
  type TxOutput,
} from '../src/primitives/tx.js';

const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
const outputArbitrary: fc.Arbitrary<TxOutput> = fc.record({
  amount: fc.bigInt({ min: 1n, max: MAX_MONEY / 10n }),
  keyHash: bytes(20),
});
const transferArbitrary: fc.Arbitrary<TransferTx> = fc.record({
  kind: fc.constant('transfer' as const),
  inputs: fc.uniqueArray(
    fc.record({ txid: bytes(32), index: fc.integer({ min: 0, max: 255 }), publicKey: bytes(32), signature: bytes(64) }),
    { minLength: 1, maxLength: 3, selector: (input) => `${bytesToHex(input.txid)}:${input.index}` },
  ),
  outputs: fc.array(outputArbitrary, { minLength: 1, maxLength: 3 }),
});
const payloadArbitrary = (maxTagBytes = MAX_COINBASE_TAG_BYTES): fc.Arbitrary<BlockPayload> =>
  fc
    .record({
      height: fc.integer({ min: 1, max: 0xffff_ffff }),
      time: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      target: fc.bigInt({ min: 1n, max: MAX_TARGET }),
      tag: fc.uint8Array({ maxLength: maxTagBytes }),
      coinbaseOutputs: fc.array(outputArbitrary, { maxLength: 3 }),
      transfers: fc.array(transferArbitrary, { maxLength: 4 }),
    })
    .map(({ height, time, target, tag, coinbaseOutputs, transfers }) => ({
      version: 1 as const,
      height,
      time,
      target,
      transactions: [{ kind: 'coinbase' as const, height, tag, outputs: coinbaseOutputs }, ...transfers],
    }));

const coinbase = (height: number, tag = new Uint8Array(0)): CoinbaseTx => ({
  kind: 'coinbase',
  height,
  tag,
  outputs: [{ amount: 50n, keyHash: new Uint8Array(20).fill(3) }],
});
const transfer: TransferTx = {
  kind: 'transfer',
  inputs: [
    { txid: new Uint8Array(32).fill(1), index: 0, publicKey: new Uint8Array(32), signature: new Uint8Array(64) },
  ],
  outputs: [{ amount: 10n, keyHash: new Uint8Array(20) }],
};
const PAYLOAD: BlockPayload = {
  version: 1,
  height: 5,
  time: 1_700_000_000_123,
  target: 1n << 236n,
  transactions: [coinbase(5), transfer],
};

function reasonOf(encoded: Uint8Array, maxBytes = MAX_DATA_BYTES): string {
  const decoded = decodePayload(encoded, maxBytes);
  return decoded.ok ? 'accepted' : decoded.reason;
}

/** A payload's header followed by the given transactions' encodings, without the encoder's checks. */
function rawPayload(
  header: { version?: number; height?: number; time?: bigint; target?: bigint; count?: number },
  transactions: Uint8Array[],
): Uint8Array {
  const out = new Uint8Array(PAYLOAD_HEADER_BYTES + transactions.reduce((sum, tx) => sum + tx.length, 0));
  const view = new DataView(out.buffer);
  view.setUint8(0, header.version ?? 1);
  view.setUint32(1, header.height ?? 5);
  view.setBigUint64(5, header.time ?? 1_000n);
  const target = header.target ?? 1n << 236n;
  for (let i = 0; i < 32; i++) out[13 + i] = Number((target >> BigInt(8 * (31 - i))) & 0xffn);
  view.setUint16(45, header.count ?? transactions.length);
  let offset = PAYLOAD_HEADER_BYTES;
  for (const tx of transactions) {
    out.set(tx, offset);
    offset += tx.length;
  }
  return out;
}

describe('block payload', () => {
  it('round-trips: decode(encode(p)) = p, one encoding per payload', () => {
    fc.assert(
      fc.property(payloadArbitrary(), (payload) => {
        const encoded = encodePayload(payload);
        expect(decodePayload(encoded, MAX_DATA_BYTES)).toEqual({ ok: true, value: payload });
        expect(encodePayload(payload)).toEqual(encoded);
      }),
    );
  });

  it('lays the header out byte by byte as documented, then the transactions in order', () => {
    const encoded = encodePayload(PAYLOAD);
    expect(bytesToHex(encoded.subarray(0, PAYLOAD_HEADER_BYTES))).toBe(
      '01' + '00000005' + '0000018bcfe5687b' + '000010' + '00'.repeat(29) + '0002',
    );
    expect(encoded.subarray(PAYLOAD_HEADER_BYTES)).toEqual(
      new Uint8Array([...encodeTx(coinbase(5)), ...encodeTx(transfer)]),
    );
    expect(rawPayload({ time: 1_700_000_000_123n }, [encodeTx(coinbase(5)), encodeTx(transfer)])).toEqual(encoded);
  });

  it('refuses every broken payload rule with its exact reason', () => {
    const cb = encodeTx(coinbase(5));
    const tx = encodeTx(transfer);
    const cases: [Uint8Array, string][] = [
      [rawPayload({}, [cb, tx]), 'accepted'],
      [rawPayload({ version: 2 }, [cb]), 'unknown payload version 2'],
      [rawPayload({ height: 0 }, [encodeTx(coinbase(0))]), 'height must be 1 to 4294967295, got 0'],
      [rawPayload({ height: 0xffff_ffff }, [encodeTx(coinbase(0xffff_ffff))]), 'accepted'],
      [rawPayload({ time: BigInt(Number.MAX_SAFE_INTEGER) }, [cb]), 'accepted'],
      [
        rawPayload({ time: BigInt(Number.MAX_SAFE_INTEGER) + 1n }, [cb]),
        'time must be 0 to 9007199254740991 ms, got 9007199254740992',
      ],
      [rawPayload({ target: 0n }, [cb]), 'target must be between 1 and 2^256-1'],
      [rawPayload({ target: 1n }, [cb]), 'accepted'],
      [rawPayload({ target: MAX_TARGET }, [cb]), 'accepted'],
      [rawPayload({}, []), 'no transactions (the coinbase is required)'],
      [rawPayload({}, [tx]), 'first transaction is not a coinbase'],
      [rawPayload({}, [cb, tx, encodeTx(coinbase(5, new Uint8Array([1])))]), 'transaction 2 is a second coinbase'],
      [rawPayload({}, [encodeTx(coinbase(6))]), 'coinbase height 6 is not the block height 5'],
      [rawPayload({}, [cb, new Uint8Array([9])]), 'transaction 1 (at byte 83): unknown transaction kind 9'],
      [
        rawPayload({}, [cb, tx.subarray(0, 100)]),
        'transaction 1 (at byte 83): input count 1 needs 130 bytes, only 97 left',
      ],
      [rawPayload({ count: 1 }, [cb, tx]), 'trailing bytes after the record (163)'],
      [rawPayload({ count: 3 }, [cb, tx]), 'transaction 2 (at byte 246): transaction kind: needs 1 bytes, only 0 left'],
      [rawPayload({ count: 65_535 }, [cb]), 'transaction count 65535 needs at least 524280 bytes, only 36 left'],
      [rawPayload({}, []).subarray(0, 20), 'target: needs 32 bytes, only 7 left'],
    ];
    for (const [encoded, reason] of cases) expect(reasonOf(encoded), reason).toBe(reason);
  });

  it('checks every field of a payload built in memory, at each edge, with its exact reason', () => {
    const cases: [BlockPayload, string][] = [
      [PAYLOAD, 'accepted'],
      [{ ...PAYLOAD, version: 2 as 1 }, 'unknown payload version 2'],
      [
        { ...PAYLOAD, height: 0x1_0000_0000, transactions: [coinbase(0x1_0000_0000)] },
        'height must be 1 to 4294967295, got 4294967296',
      ],
      [{ ...PAYLOAD, height: 1.5, transactions: [coinbase(1.5)] }, 'height must be 1 to 4294967295, got 1.5'],
      [{ ...PAYLOAD, time: 0 }, 'accepted'],
      [{ ...PAYLOAD, time: -1 }, 'time must be 0 to 9007199254740991 ms, got -1'],
      [{ ...PAYLOAD, time: 0.5 }, 'time must be 0 to 9007199254740991 ms, got 0.5'],
      [{ ...PAYLOAD, time: Number.MAX_SAFE_INTEGER }, 'accepted'],
      [
        { ...PAYLOAD, time: Number.MAX_SAFE_INTEGER + 1 },
        'time must be 0 to 9007199254740991 ms, got 9007199254740992',
      ],
      [{ ...PAYLOAD, target: MAX_TARGET }, 'accepted'],
      [{ ...PAYLOAD, target: MAX_TARGET + 1n }, 'target must be between 1 and 2^256-1'],
      [{ ...PAYLOAD, target: 0n }, 'target must be between 1 and 2^256-1'],
      [{ ...PAYLOAD, transactions: [coinbase(5), coinbase(5)] }, 'transaction 1 is a second coinbase'],
    ];
    for (const [payload, reason] of cases) {
      const verdict = checkPayload(payload);
      expect(verdict.ok ? 'accepted' : verdict.reason, reason).toBe(reason);
    }
  });

  it('refuses to encode more transactions than the 16-bit count can say', () => {
    const transactions = [coinbase(5), ...Array.from({ length: 0xffff }, () => transfer)];
    expect(() => encodePayload({ ...PAYLOAD, transactions })).toThrow(
      'transaction count must be an unsigned 16-bit integer, got 65536',
    );
  });

  it('names the field a truncated payload ends in', () => {
    const header = rawPayload({}, []);
    const cases: [number, string][] = [
      [0, 'payload version: needs 1 bytes, only 0 left'],
      [1, 'height: needs 4 bytes, only 0 left'],
      [5, 'time: needs 8 bytes, only 0 left'],
      [13, 'target: needs 32 bytes, only 0 left'],
      [45, 'transaction count: needs 2 bytes, only 0 left'],
    ];
    for (const [length, reason] of cases) expect(reasonOf(header.subarray(0, length)), reason).toBe(reason);
  });

  it('refuses a time beyond 2^53 - 1 with the time exactly as sent', () => {
    expect(reasonOf(rawPayload({ time: 0xffff_ffff_ffff_ffffn }, [encodeTx(coinbase(5))]))).toBe(
      'time must be 0 to 9007199254740991 ms, got 18446744073709551615',
    );
  });

  it('refuses a transaction count the bytes left cannot hold, at its edge', () => {
    // The shortest transaction: a coinbase with an empty tag and no outputs (8 bytes).
    const shortest = encodeTx({ kind: 'coinbase', height: 5, tag: new Uint8Array(0), outputs: [] });
    expect(shortest).toHaveLength(8);
    expect(reasonOf(rawPayload({}, [shortest]))).toBe('accepted');
    expect(reasonOf(rawPayload({ count: 2 }, [shortest]))).toBe(
      'transaction count 2 needs at least 16 bytes, only 8 left',
    );
  });

  it('checks the size limit at its edge, before decoding', () => {
    const encoded = encodePayload(PAYLOAD);
    expect(reasonOf(encoded, encoded.length)).toBe('accepted');
    expect(reasonOf(encoded, encoded.length - 1)).toBe(
      `payload is ${encoded.length} bytes, at most ${encoded.length - 1}`,
    );
    expect(reasonOf(new Uint8Array(MAX_DATA_BYTES + 1))).toBe(
      `payload is ${MAX_DATA_BYTES + 1} bytes, at most ${MAX_DATA_BYTES}`,
    );
    expect(() => decodePayload(encoded, MAX_DATA_BYTES + 1)).toThrow('maxBytes must be 0 to 49035, got 49036');
    expect(() => decodePayload(encoded, -1)).toThrow('maxBytes must be 0 to 49035, got -1');
    expect(() => decodePayload(encoded, 100.5)).toThrow('maxBytes must be 0 to 49035, got 100.5');
    expect(reasonOf(new Uint8Array(0), 0)).toBe('payload version: needs 1 bytes, only 0 left');
    expect(reasonOf(new Uint8Array(1), 0)).toBe('payload is 1 bytes, at most 0');
  });

  it('refuses to encode an invalid payload (a programming error)', () => {
    expect(() => encodePayload({ ...PAYLOAD, transactions: [transfer] })).toThrow(
      'invalid payload: first transaction is not a coinbase',
    );
    expect(() => encodePayload({ ...PAYLOAD, time: -1 })).toThrow(
      'invalid payload: time must be 0 to 9007199254740991 ms, got -1',
    );
  });

  it('answers a verdict, never an exception, for arbitrary and corrupted bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (random) => {
        const candidate = random.length > 0 && random[0]! < 128 ? new Uint8Array([1, ...random]) : random;
        const decoded = decodePayload(candidate, MAX_DATA_BYTES);
        if (decoded.ok) expect(encodePayload(decoded.value)).toEqual(candidate);
        else expect(decoded.reason).toMatch(/\S/);
      }),
      { numRuns: 3_000 },
    );
    fc.assert(
      fc.property(payloadArbitrary(), fc.nat(), fc.integer({ min: 1, max: 255 }), (payload, position, xor) => {
        const corrupted = encodePayload(payload);
        corrupted[position % corrupted.length]! ^= xor;
        const decoded = decodePayload(corrupted, MAX_DATA_BYTES);
        if (decoded.ok) expect(encodePayload(decoded.value)).toEqual(corrupted);
      }),
    );
  });
});

describe('fast-layout padding', () => {
  it('pads the coinbase tag with 0..63 zero bytes so that (length + 32) mod 64 = 48', () => {
    fc.assert(
      fc.property(payloadArbitrary(MAX_MINER_TAG_BYTES), (payload) => {
        const padded = padForFastLayout(payload);
        const before = encodePayload(payload).length;
        const after = encodePayload(padded).length;
        expect((after + 32) % 64).toBe(48);
        expect(after - before).toBe(fastLayoutPadding(before));
        expect(after - before).toBeLessThan(64);
        const [coinbaseBefore] = payload.transactions as [CoinbaseTx];
        const [coinbaseAfter, ...others] = padded.transactions as [CoinbaseTx];
        expect(coinbaseAfter.tag.subarray(0, coinbaseBefore.tag.length)).toEqual(coinbaseBefore.tag);
        expect(coinbaseAfter.tag.subarray(coinbaseBefore.tag.length).every((byte) => byte === 0)).toBe(true);
        expect(others).toEqual(payload.transactions.slice(1));
        expect(padForFastLayout(padded)).toEqual(padded);
      }),
    );
  });

  it('needs no padding when the layout is already right, and 63 bytes when it is one past', () => {
    expect(fastLayoutPadding(16)).toBe(0);
    expect(fastLayoutPadding(17)).toBe(63);
    expect(fastLayoutPadding(15)).toBe(1);
    expect(fastLayoutPadding(80)).toBe(0);
  });

  it('refuses a tag too long to take the padding it needs', () => {
    const tagFor = (length: number): BlockPayload => ({
      ...PAYLOAD,
      transactions: [coinbase(5, new Uint8Array(length)), transfer],
    });
    // The longest tag length up to MAX_MINER_TAG_BYTES that needs the full 63 bytes still fits.
    const length = Array.from({ length: 64 }, (_, extra) => MAX_MINER_TAG_BYTES - extra).find(
      (n) => fastLayoutPadding(encodePayload(tagFor(n)).length) === 63,
    )!;
    const [paddedCoinbase] = padForFastLayout(tagFor(length)).transactions as [CoinbaseTx];
    expect(paddedCoinbase.tag.length).toBe(length + 63);
    expect(paddedCoinbase.tag.length).toBeLessThanOrEqual(MAX_COINBASE_TAG_BYTES);
    // A payload whose length without a tag is 16 mod 64: a 65-byte tag then takes 63 bytes of
    // padding and ends exactly at MAX_COINBASE_TAG_BYTES.
    const twoInputs: TransferTx = { ...transfer, inputs: [transfer.inputs[0]!, { ...transfer.inputs[0]!, index: 1 }] };
    const shaped = (tagLength: number, outputs: number): BlockPayload => ({
      ...PAYLOAD,
      transactions: [
        {
          ...coinbase(5, new Uint8Array(tagLength)),
          outputs: Array.from({ length: outputs }, () => coinbase(5).outputs[0]!),
        },
        twoInputs,
      ],
    });
    const outputs = Array.from({ length: 64 }, (_, n) => n).find(
      (n) => encodePayload(shaped(0, n)).length % 64 === 16,
    )!;
    const [edge] = padForFastLayout(shaped(65, outputs)).transactions as [CoinbaseTx];
    expect(edge.tag.length).toBe(MAX_COINBASE_TAG_BYTES);
    const tooLong = tagFor(MAX_COINBASE_TAG_BYTES);
    const needed = fastLayoutPadding(encodePayload(tooLong).length);
    expect(needed).toBeGreaterThan(0);
    expect(() => padForFastLayout(tooLong)).toThrow(
      `coinbase tag of 128 bytes cannot take ${needed} bytes of padding (at most 128)`,
    );
  });
});
