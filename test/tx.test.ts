import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../src/primitives/bytes.js';
import { keyHash } from '../src/primitives/coin-address.js';
import { generateKeyPair, keyPairFromSeed, type KeyPair } from '../src/primitives/keys.js';
import { MAX_MONEY } from '../src/primitives/params.js';
import {
  MAX_COINBASE_TAG_BYTES,
  MAX_TX_BYTES,
  MAX_TX_INPUTS,
  MAX_TX_OUTPUTS,
  SIGNATURE_DOMAIN,
  checkTransferSignatures,
  checkTxSyntax,
  decodeTx,
  encodeTx,
  signTransfer,
  signatureDigest,
  txid,
  type CoinbaseTx,
  type Transaction,
  type TransferTx,
  type TxInput,
  type TxOutput,
  type UnsignedTransfer,
} from '../src/primitives/tx.js';

const GENESIS = new Uint8Array(32).fill(0x11);
const OTHER_GENESIS = new Uint8Array(32).fill(0x22);

const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
const outputArbitrary: fc.Arbitrary<TxOutput> = fc.record({
  amount: fc.bigInt({ min: 1n, max: MAX_MONEY / 300n }),
  keyHash: bytes(20),
});
const coinbaseArbitrary: fc.Arbitrary<CoinbaseTx> = fc.record({
  kind: fc.constant('coinbase' as const),
  height: fc.integer({ min: 0, max: 0xffff_ffff }),
  tag: fc.uint8Array({ maxLength: MAX_COINBASE_TAG_BYTES }),
  outputs: fc.array(outputArbitrary, { maxLength: 6 }),
});
const inputArbitrary: fc.Arbitrary<TxInput> = fc.record({
  txid: bytes(32),
  index: fc.integer({ min: 0, max: MAX_TX_OUTPUTS - 1 }),
  publicKey: bytes(32),
  signature: bytes(64),
});
const transferArbitrary: fc.Arbitrary<TransferTx> = fc.record({
  kind: fc.constant('transfer' as const),
  inputs: fc.uniqueArray(inputArbitrary, {
    minLength: 1,
    maxLength: 6,
    selector: (input) => `${bytesToHex(input.txid)}:${input.index}`,
  }),
  outputs: fc.array(outputArbitrary, { minLength: 1, maxLength: 6 }),
});
const txArbitrary: fc.Arbitrary<Transaction> = fc.oneof(coinbaseArbitrary, transferArbitrary);

function reasonOf(encoded: Uint8Array, maxBytes?: number): string {
  const decoded = decodeTx(encoded, maxBytes);
  return decoded.ok ? 'accepted' : decoded.reason;
}

function syntaxReason(tx: Transaction): string {
  const verdict = checkTxSyntax(tx);
  return verdict.ok ? 'accepted' : verdict.reason;
}

const output = (amount: bigint, fill = 1): TxOutput => ({ amount, keyHash: new Uint8Array(20).fill(fill) });
const input = (n: number, index = 0): TxInput => ({
  txid: new Uint8Array(32).fill(n),
  index,
  publicKey: new Uint8Array(32).fill(0xaa),
  signature: new Uint8Array(64).fill(0xbb),
});
const transfer = (inputs: TxInput[], outputs: TxOutput[]): TransferTx => ({ kind: 'transfer', inputs, outputs });
const coinbase = (tag: Uint8Array, outputs: TxOutput[] = [output(50n)]): CoinbaseTx => ({
  kind: 'coinbase',
  height: 7,
  tag,
  outputs,
});

describe('transaction encoding', () => {
  it('round-trips: decode(encode(tx)) = tx, one encoding per transaction', () => {
    fc.assert(
      fc.property(txArbitrary, (tx) => {
        const encoded = encodeTx(tx);
        expect(decodeTx(encoded)).toEqual({ ok: true, value: tx });
        expect(encodeTx(tx)).toEqual(encoded);
      }),
    );
  });

  it('lays a coinbase and a transfer out byte by byte as documented', () => {
    const cb = encodeTx({
      kind: 'coinbase',
      height: 0x01020304,
      tag: new Uint8Array([0x61, 0x62]),
      outputs: [output(5n, 9)],
    });
    expect(bytesToHex(cb)).toBe('00' + '01020304' + '02' + '6162' + '0001' + '0000000000000005' + '09'.repeat(20));
    const tx = encodeTx(transfer([input(3, 0x00fe)], [output(0x0a0bn, 4)]));
    expect(bytesToHex(tx)).toBe(
      '01' +
        '0001' +
        '03'.repeat(32) +
        '00fe' +
        'aa'.repeat(32) +
        'bb'.repeat(64) +
        '0001' +
        '0000000000000a0b' +
        '04'.repeat(20),
    );
  });

  it('refuses unknown kinds, truncation, trailing bytes and oversize input with exact reasons', () => {
    const encoded = encodeTx(transfer([input(1)], [output(10n)]));
    expect(reasonOf(new Uint8Array([2]))).toBe('unknown transaction kind 2');
    expect(reasonOf(new Uint8Array(0))).toBe('transaction kind: needs 1 bytes, only 0 left');
    expect(reasonOf(encoded.subarray(0, encoded.length - 1))).toBe('output count 1 needs 28 bytes, only 27 left');
    expect(reasonOf(new Uint8Array([...encoded, 0]))).toBe('trailing bytes after the record (1)');
    expect(reasonOf(encoded, encoded.length)).toBe('accepted');
    expect(reasonOf(encoded, encoded.length - 1)).toBe(
      `transaction is ${encoded.length} bytes, at most ${encoded.length - 1}`,
    );
    // A count that the bytes left cannot hold is refused before anything is allocated.
    expect(reasonOf(new Uint8Array([1, 0, 100, ...new Uint8Array(130)]))).toBe(
      'input count 100 needs 13000 bytes, only 130 left',
    );
    expect(reasonOf(new Uint8Array([0, 0, 0, 0, 1, 0, 0, 200]))).toBe('output count 200 needs 5600 bytes, only 0 left');
  });

  it('encodes the largest transaction in exactly MAX_TX_BYTES and accepts it', () => {
    const inputs = Array.from({ length: MAX_TX_INPUTS }, (_, i) => input(i, i));
    const outputs = Array.from({ length: MAX_TX_OUTPUTS }, () => output(MAX_MONEY / BigInt(MAX_TX_OUTPUTS)));
    const largest = encodeTx(transfer(inputs, outputs));
    expect(largest.length).toBe(MAX_TX_BYTES);
    expect(reasonOf(largest)).toBe('accepted');
    expect(reasonOf(new Uint8Array([...largest, 0]))).toBe(
      `transaction is ${MAX_TX_BYTES + 1} bytes, at most ${MAX_TX_BYTES}`,
    );
  });

  it('checks counts at their edges', () => {
    const manyInputs = Array.from({ length: MAX_TX_INPUTS + 1 }, (_, i) => input(i % 256, Math.floor(i / 256)));
    expect(syntaxReason(transfer(manyInputs.slice(0, MAX_TX_INPUTS), [output(1n)]))).toBe('accepted');
    expect(syntaxReason(transfer(manyInputs, [output(1n)]))).toBe('257 inputs, at most 256');
    const manyOutputs = Array.from({ length: MAX_TX_OUTPUTS + 1 }, () => output(1n));
    expect(syntaxReason(transfer([input(1)], manyOutputs.slice(0, MAX_TX_OUTPUTS)))).toBe('accepted');
    expect(syntaxReason(transfer([input(1)], manyOutputs))).toBe('257 outputs, at most 256');
    expect(syntaxReason(coinbase(new Uint8Array(0), manyOutputs))).toBe('257 outputs, at most 256');
    expect(syntaxReason(transfer([], [output(1n)]))).toBe('transfer has no inputs');
    expect(syntaxReason(transfer([input(1)], []))).toBe('transfer has no outputs');
    expect(syntaxReason(coinbase(new Uint8Array(0), []))).toBe('accepted');
    // The same refusals come from the decoder, which reads the counts first.
    const header = (kind: number, count: number) => new Uint8Array([kind, count >> 8, count & 0xff]);
    expect(reasonOf(header(1, 257))).toBe('257 inputs, at most 256');
    expect(reasonOf(new Uint8Array([...encodeTx(transfer([input(1)], [output(1n)])).subarray(0, 133), 1, 1]))).toBe(
      '257 outputs, at most 256',
    );
    expect(reasonOf(new Uint8Array([...header(1, 0), 0, 1, ...new Uint8Array(28).fill(1)]))).toBe(
      'transfer has no inputs',
    );
  });

  it('checks amounts and their sum against MAX_MONEY without overflow', () => {
    expect(syntaxReason(transfer([input(1)], [output(MAX_MONEY)]))).toBe('accepted');
    expect(syntaxReason(transfer([input(1)], [output(0n)]))).toBe(
      'output 0: amount must be 1 to 2100000000000000 base units, got 0',
    );
    expect(syntaxReason(transfer([input(1)], [output(MAX_MONEY + 1n)]))).toBe(
      `output 0: amount must be 1 to ${MAX_MONEY} base units, got ${MAX_MONEY + 1n}`,
    );
    expect(syntaxReason(transfer([input(1)], [output(MAX_MONEY - 5n), output(5n)]))).toBe('accepted');
    expect(syntaxReason(transfer([input(1)], [output(MAX_MONEY - 5n), output(6n)]))).toBe(
      `outputs add up to more than MAX_MONEY (${MAX_MONEY})`,
    );
    // u64 amounts that would wrap a 64-bit sum are refused one by one.
    const wrapping = encodeTx(transfer([input(1)], [output(1n)]));
    wrapping.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 1 + 2 + 130 + 2);
    expect(reasonOf(wrapping)).toBe(`output 0: amount must be 1 to ${MAX_MONEY} base units, got 18446744073709551615`);
  });

  it('refuses an output spent twice within one transaction (CVE-2018-17144)', () => {
    expect(syntaxReason(transfer([input(1, 0), input(2, 0), input(1, 0)], [output(1n)]))).toBe(
      'input 2 spends the same output as input 0',
    );
    expect(syntaxReason(transfer([input(1, 0), input(1, 1)], [output(1n)]))).toBe('accepted');
    expect(
      reasonOf(encodeTx(transfer([input(1, 0), input(1, 1)], [output(1n)])).fill(0, 3 + 130 + 32, 3 + 130 + 34)),
    ).toBe('input 1 spends the same output as input 0');
  });

  it('checks output indexes, tags, heights and field lengths at their edges', () => {
    expect(syntaxReason(transfer([input(1, MAX_TX_OUTPUTS - 1)], [output(1n)]))).toBe('accepted');
    expect(syntaxReason(transfer([input(1, MAX_TX_OUTPUTS)], [output(1n)]))).toBe(
      'input 0: output index must be 0 to 255, got 256',
    );
    expect(syntaxReason(coinbase(new Uint8Array(MAX_COINBASE_TAG_BYTES)))).toBe('accepted');
    expect(syntaxReason(coinbase(new Uint8Array(MAX_COINBASE_TAG_BYTES + 1)))).toBe(
      'coinbase tag is 129 bytes, at most 128',
    );
    expect(reasonOf(new Uint8Array([0, 0, 0, 0, 7, 129, ...new Uint8Array(131)]))).toBe(
      'coinbase tag is 129 bytes, at most 128',
    );
    expect(syntaxReason({ ...coinbase(new Uint8Array(0)), height: 0xffff_ffff })).toBe('accepted');
    expect(syntaxReason({ ...coinbase(new Uint8Array(0)), height: 2 ** 32 })).toBe(
      'coinbase height must be 0 to 4294967295, got 4294967296',
    );
    expect(syntaxReason(transfer([{ ...input(1), txid: new Uint8Array(31) }], [output(1n)]))).toBe(
      'input 0: txid must be 32 bytes',
    );
    expect(syntaxReason(transfer([{ ...input(1), publicKey: new Uint8Array(33) }], [output(1n)]))).toBe(
      'input 0: public key must be 32 bytes',
    );
    expect(syntaxReason(transfer([{ ...input(1), signature: new Uint8Array(63) }], [output(1n)]))).toBe(
      'input 0: signature must be 64 bytes',
    );
    expect(syntaxReason(transfer([input(1)], [{ amount: 1n, keyHash: new Uint8Array(19) }]))).toBe(
      'output 0: key hash must be 20 bytes',
    );
    expect(() => encodeTx(transfer([], [output(1n)]))).toThrow('invalid transaction: transfer has no inputs');
  });

  it('refuses output indexes and heights that are negative or fractional, in memory', () => {
    expect(syntaxReason(transfer([input(1, 0)], [output(1n)]))).toBe('accepted');
    expect(syntaxReason(transfer([input(1, -1)], [output(1n)]))).toBe('input 0: output index must be 0 to 255, got -1');
    expect(syntaxReason(transfer([input(1, 0.5)], [output(1n)]))).toBe(
      'input 0: output index must be 0 to 255, got 0.5',
    );
    expect(syntaxReason({ ...coinbase(new Uint8Array(0)), height: 0 })).toBe('accepted');
    expect(syntaxReason({ ...coinbase(new Uint8Array(0)), height: -1 })).toBe(
      'coinbase height must be 0 to 4294967295, got -1',
    );
    expect(syntaxReason({ ...coinbase(new Uint8Array(0)), height: 7.5 })).toBe(
      'coinbase height must be 0 to 4294967295, got 7.5',
    );
  });

  it('names the field a truncated transaction ends in', () => {
    const cb = encodeTx(coinbase(new Uint8Array([1, 2, 3])));
    const tx = encodeTx(transfer([input(1)], [output(1n)]));
    expect(reasonOf(cb.subarray(0, 1))).toBe('coinbase height: needs 4 bytes, only 0 left');
    expect(reasonOf(cb.subarray(0, 5))).toBe('tag length: needs 1 bytes, only 0 left');
    expect(reasonOf(cb.subarray(0, 7))).toBe('coinbase tag: needs 3 bytes, only 1 left');
    expect(reasonOf(cb.subarray(0, 9))).toBe('output count: needs 2 bytes, only 0 left');
    expect(reasonOf(tx.subarray(0, 2))).toBe('input count: needs 2 bytes, only 1 left');
    // The inputs fill the bytes left exactly: the count fits, and the output count is missing.
    expect(reasonOf(tx.subarray(0, 3 + 130))).toBe('output count: needs 2 bytes, only 0 left');
    expect(reasonOf(tx.subarray(0, 3 + 129))).toBe('input count 1 needs 130 bytes, only 129 left');
  });

  it('refuses a tag length past the limit before reading the tag, and accepts one at it', () => {
    expect(reasonOf(new Uint8Array([0, 0, 0, 0, 7, 200, 1, 2, 3]))).toBe('coinbase tag is 200 bytes, at most 128');
    const longest = coinbase(new Uint8Array(MAX_COINBASE_TAG_BYTES).fill(5));
    expect(decodeTx(encodeTx(longest))).toEqual({ ok: true, value: longest });
  });

  it('answers a verdict, never an exception, for arbitrary and corrupted bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.constantFrom(0, 1, undefined), (random, kind) => {
        const candidate = kind === undefined ? random : new Uint8Array([kind, ...random]);
        const decoded = decodeTx(candidate);
        if (decoded.ok) expect(encodeTx(decoded.value)).toEqual(candidate);
        else expect(decoded.reason).toMatch(/\S/);
      }),
      { numRuns: 3_000 },
    );
    fc.assert(
      fc.property(txArbitrary, fc.nat(), fc.integer({ min: 1, max: 255 }), (tx, position, xor) => {
        const corrupted = encodeTx(tx);
        corrupted[position % corrupted.length]! ^= xor;
        const decoded = decodeTx(corrupted);
        if (decoded.ok) expect(encodeTx(decoded.value)).toEqual(corrupted);
      }),
    );
  });
});

describe('txid and signatures', () => {
  const alice: KeyPair = keyPairFromSeed(new Uint8Array(32).fill(1));
  const bob: KeyPair = keyPairFromSeed(new Uint8Array(32).fill(2));
  const unsigned: UnsignedTransfer = {
    kind: 'transfer',
    inputs: [
      { txid: new Uint8Array(32).fill(5), index: 0, publicKey: alice.publicKey },
      { txid: new Uint8Array(32).fill(6), index: 3, publicKey: bob.publicKey },
      { txid: new Uint8Array(32).fill(7), index: 1, publicKey: alice.publicKey },
    ],
    outputs: [
      { amount: 1_000n, keyHash: keyHash(bob.publicKey) },
      { amount: 99n, keyHash: keyHash(alice.publicKey) },
    ],
  };
  const keys = [alice.privateKey, bob.privateKey, alice.privateKey];

  it('txid is SHA-256 of the encoding without signatures, so signatures cannot change it', () => {
    const signed = signTransfer(unsigned, keys, GENESIS);
    const withoutSignatures = encodeTx(signed).filter((_, i) => {
      const offsetInInputs = i - 3;
      const inInputs = offsetInInputs >= 0 && offsetInInputs < 3 * 130;
      return !(inInputs && offsetInInputs % 130 >= 66);
    });
    const expected = createHash('sha256').update(withoutSignatures).digest();
    expect(txid(signed)).toEqual(new Uint8Array(expected));
    expect(txid(unsigned)).toEqual(txid(signed));
    const resigned = { ...signed, inputs: signed.inputs.map((i) => ({ ...i, signature: new Uint8Array(64) })) };
    expect(txid(resigned)).toEqual(txid(signed));
    const coinbaseTx = coinbase(new Uint8Array([1, 2, 3]));
    expect(txid(coinbaseTx)).toEqual(new Uint8Array(createHash('sha256').update(encodeTx(coinbaseTx)).digest()));
  });

  it('txid changes with every field but the signatures', () => {
    fc.assert(
      fc.property(transferArbitrary, fc.nat(), fc.integer({ min: 1, max: 255 }), (tx, position, xor) => {
        const encoded = encodeTx(tx);
        const at = position % encoded.length;
        const inSignature = at >= 3 && at < 3 + tx.inputs.length * 130 && (at - 3) % 130 >= 66;
        const changed = encoded.slice();
        changed[at]! ^= xor;
        const decoded = decodeTx(changed);
        fc.pre(decoded.ok);
        if (!decoded.ok) return;
        expect(bytesToHex(txid(decoded.value)) === bytesToHex(txid(tx))).toBe(inSignature);
      }),
    );
  });

  it('signature digest is SHA-256(domain || genesis hash || unsigned encoding)', () => {
    const body = encodeTx(signTransfer(unsigned, keys, GENESIS)).filter((_, i) => {
      const offset = i - 3;
      return !(offset >= 0 && offset < 3 * 130 && offset % 130 >= 66);
    });
    const expected = createHash('sha256').update(SIGNATURE_DOMAIN).update(GENESIS).update(body).digest();
    expect(signatureDigest(unsigned, GENESIS)).toEqual(new Uint8Array(expected));
    expect(new TextDecoder().decode(SIGNATURE_DOMAIN)).toBe('powchain transaction signature v1');
    expect(signatureDigest(unsigned, OTHER_GENESIS)).not.toEqual(signatureDigest(unsigned, GENESIS));
  });

  it('a signed transfer verifies on its own network only', () => {
    const signed = signTransfer(unsigned, keys, GENESIS);
    expect(checkTransferSignatures(signed, GENESIS)).toEqual({ ok: true });
    expect(checkTransferSignatures(signed, OTHER_GENESIS)).toEqual({
      ok: false,
      reason: 'input 0: signature does not verify',
      inputIndex: 0,
    });
    const roundTripped = decodeTx(encodeTx(signed));
    expect(roundTripped.ok && checkTransferSignatures(roundTripped.value as TransferTx, GENESIS)).toEqual({ ok: true });
  });

  it('names the first input whose signature fails', () => {
    const signed = signTransfer(unsigned, keys, GENESIS);
    const badSecond = {
      ...signed,
      inputs: signed.inputs.map((i, n) => (n === 1 ? { ...i, signature: signed.inputs[0]!.signature } : i)),
    };
    expect(checkTransferSignatures(badSecond, GENESIS)).toEqual({
      ok: false,
      reason: 'input 1: signature does not verify',
      inputIndex: 1,
    });
    const stranger = generateKeyPair();
    const wrongKey = {
      ...signed,
      inputs: signed.inputs.map((i, n) => (n === 2 ? { ...i, publicKey: stranger.publicKey } : i)),
    };
    expect(checkTransferSignatures(wrongKey, GENESIS)).toMatchObject({ ok: false, inputIndex: 0 });
    const moreMoney = { ...signed, outputs: [{ ...signed.outputs[0]!, amount: 2_000n }, signed.outputs[1]!] };
    expect(checkTransferSignatures(moreMoney, GENESIS)).toMatchObject({ ok: false, inputIndex: 0 });
    const notAPoint = {
      ...signed,
      inputs: [{ ...signed.inputs[0]!, publicKey: new Uint8Array(32).fill(0xff) }, ...signed.inputs.slice(1)],
    };
    expect(checkTransferSignatures(notAPoint, GENESIS)).toMatchObject({ ok: false, inputIndex: 0 });
  });

  it('refuses to sign with the wrong keys (a programming error)', () => {
    expect(() => signTransfer(unsigned, [alice.privateKey, alice.privateKey, alice.privateKey], GENESIS)).toThrow(
      "key 1 is not the key of input 1's public key",
    );
    expect(() => signTransfer(unsigned, keys.slice(1), GENESIS)).toThrow('3 inputs need as many keys, got 2');
    expect(() => signatureDigest(unsigned, new Uint8Array(31))).toThrow(
      new RangeError('genesis hash must be 32 bytes'),
    );
    expect(() => signTransfer({ ...unsigned, outputs: [] }, keys, GENESIS)).toThrow(
      new RangeError('invalid transaction: transfer has no outputs'),
    );
  });

  it('txid of a malformed transaction throws, naming the field that does not fit', () => {
    const base: UnsignedTransfer = {
      kind: 'transfer',
      inputs: [{ txid: new Uint8Array(32), index: 0, publicKey: new Uint8Array(32) }],
      outputs: [output(1n)],
    };
    const [first] = base.inputs as [UnsignedTransfer['inputs'][number]];
    const cases: [Transaction | UnsignedTransfer, string][] = [
      [
        { ...coinbase(new Uint8Array(0)), height: 2 ** 32 },
        'height must be an unsigned 32-bit integer, got 4294967296',
      ],
      [coinbase(new Uint8Array(256)), 'tag length must be an unsigned 8-bit integer, got 256'],
      [
        { ...base, inputs: Array.from({ length: 0x1_0000 }, () => first) },
        'input count must be an unsigned 16-bit integer, got 65536',
      ],
      [{ ...base, inputs: [{ ...first, txid: new Uint8Array(31) }] }, 'txid must be 32 bytes, got 31'],
      [
        { ...base, inputs: [{ ...first, index: 0x1_0000 }] },
        'output index must be an unsigned 16-bit integer, got 65536',
      ],
      [{ ...base, inputs: [{ ...first, publicKey: new Uint8Array(33) }] }, 'public key must be 32 bytes, got 33'],
      [
        { ...base, outputs: Array.from({ length: 0x1_0000 }, () => output(1n)) },
        'output count must be an unsigned 16-bit integer, got 65536',
      ],
      [{ ...base, outputs: [output(-1n)] }, 'amount must be an unsigned 64-bit integer, got -1'],
      [{ ...base, outputs: [{ amount: 1n, keyHash: new Uint8Array(19) }] }, 'key hash must be 20 bytes, got 19'],
    ];
    for (const [tx, message] of cases) expect(() => txid(tx), message).toThrow(new RangeError(message));
  });

  it('is deterministic: the same transfer and keys give the same signatures (ed25519)', () => {
    const a = signTransfer(unsigned, keys, GENESIS);
    const b = signTransfer(unsigned, keys, GENESIS);
    expect(encodeTx(a)).toEqual(encodeTx(b));
  });
});
