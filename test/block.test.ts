import { describe, expect, it } from 'vitest';
import { Block, BlockTooLargeError, GENESIS_PREVIOUS_HASH } from '../src/primitives/block.js';
import { MAX_DATA_BYTES, MAX_DATAGRAM_BYTES } from '../src/primitives/limits.js';
import { hexToBytes } from '../src/primitives/bytes.js';
import { DEFAULT_TARGET, parseTarget } from '../src/primitives/target.js';
import { BlockDecodeError, decodeBlock, decodeBlockOrThrow, encodeBlock } from '../src/primitives/wire.js';
import { blockVectors, malformedVectors, minedVectors } from './helpers/vectors.js';

const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

describe('block vectors made by the seed', () => {
  it.each(blockVectors.map((v, i) => [i, v] as const))('vector %i: hash, encoding and validity match', (_, v) => {
    const block = new Block(fromBase64(v.data_b64), hexToBytes(v.previous_hash), BigInt('0x' + v.p_o_w));
    expect(block.hashHex()).toBe(v.hash);
    expect(encodeBlock(block)).toBe(v.encoding);
    expect(block.verifyProofOfWork(DEFAULT_TARGET)).toBe(v.valid_pow_2_235);
  });

  it.each(blockVectors.map((v, i) => [i, v] as const))('vector %i: decoding the encoding round-trips', (_, v) => {
    const block = decodeBlockOrThrow(v.encoding);
    expect(block.hashHex()).toBe(v.hash);
    expect(encodeBlock(block)).toBe(v.encoding);
  });

  it.each(minedVectors.map((v, i) => [i, v] as const))('mined vector %i: the seed nonce meets its target', (_, v) => {
    const block = decodeBlockOrThrow(v.encoding);
    expect(block.nonce).toBe(BigInt(v.nonce));
    expect(block.hashHex()).toBe(v.hash);
    expect(block.verifyProofOfWork(BigInt(v.target))).toBe(true);
    // The seed scans upward from 1: the nonce just before was not good enough (unless it is 1).
    if (v.nonce > 1) expect(block.withNonce(BigInt(v.nonce - 1)).verifyProofOfWork(BigInt(v.target))).toBe(false);
  });
});

/** Why each datagram of malformed.jsonl is refused, in file order. */
const MALFORMED_REASONS = [
  'empty datagram',
  'not JSON',
  'not a JSON object',
  'not a JSON object',
  'not a JSON object',
  'not a JSON object',
  'missing data',
  'missing previous_hash',
  'previous_hash is not hex',
  'previous_hash must be 32 bytes, got 31',
  'previous_hash must be 32 bytes, got 33',
  'previous_hash has an odd number of hex digits (63)',
  'data is not padded standard base64',
  'data must be a base64 string',
  'previous_hash must be a hex string',
  'p_o_w must be 8 bytes, got 7',
  'p_o_w must be 8 bytes, got 9',
  'p_o_w is not hex',
  'not JSON',
  'not JSON',
  'not JSON',
];

describe('malformed datagrams', () => {
  it.each(malformedVectors.map((v, i) => [i, v.wire.slice(0, 40)] as const))(
    'datagram %i (%j) is refused with a reason, and decodeBlockOrThrow throws a typed error',
    (index) => {
      const { wire } = malformedVectors[index]!;
      const decoded = decodeBlock(wire);
      expect(decoded.ok).toBe(false);
      if (!decoded.ok) expect(decoded.reason.length).toBeGreaterThan(3);
      if (!decoded.ok) expect(decoded.reason).toBe(MALFORMED_REASONS[index]);
      expect(() => decodeBlockOrThrow(wire)).toThrow(BlockDecodeError);
      expect(() => decodeBlockOrThrow(wire)).toThrow(`malformed block: ${MALFORMED_REASONS[index]}`);
    },
  );

  it('has a reason listed for every malformed vector', () => {
    expect(MALFORMED_REASONS).toHaveLength(malformedVectors.length);
  });

  it('refuses oversized datagrams before parsing them', () => {
    const decoded = decodeBlock('x'.repeat(MAX_DATAGRAM_BYTES + 1));
    expect(decoded).toEqual({
      ok: false,
      reason: `datagram is ${MAX_DATAGRAM_BYTES + 1} bytes, over ${MAX_DATAGRAM_BYTES}`,
    });
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(decodeBlock(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))).toEqual({ ok: false, reason: 'not UTF-8' });
  });
});

describe('wire decoding is lenient where the seed is', () => {
  const zero = '00'.repeat(32);
  it('takes a missing p_o_w as the zero nonce', () => {
    const decoded = decodeBlock(`{"data": "eA==", "previous_hash": "${zero}"}`);
    expect(decoded.ok && decoded.value.nonce).toBe(0n);
  });

  it('accepts upper-case hex, compact JSON and extra fields, and ignores the extras', () => {
    const hash = 'AB'.repeat(32);
    const decoded = decodeBlock(`{"p_o_w":"00000000000000FF","previous_hash":"${hash}","data":"","v":1,"height":9}`);
    expect(decoded.ok).toBe(true);
    if (decoded.ok) {
      expect(decoded.value.nonce).toBe(255n);
      expect(encodeBlock(decoded.value)).toBe(
        `{"data": "", "previous_hash": "${'ab'.repeat(32)}", "p_o_w": "00000000000000ff"}`,
      );
    }
  });
});

describe('Block', () => {
  it('encodes strings as UTF-8 and defaults to the genesis parent and the zero nonce', () => {
    const block = new Block('Genesis');
    expect(block.data).toEqual(new TextEncoder().encode('Genesis'));
    expect(block.previousHash).toEqual(GENESIS_PREVIOUS_HASH);
    expect(block.nonce).toBe(0n);
    expect(block.isGenesis).toBe(true);
  });

  it('takes a parent block or its hash', () => {
    const parent = new Block('parent');
    expect(new Block('child', parent).previousHash).toEqual(parent.hash());
    expect(new Block('child', parent.hash()).hashHex()).toBe(new Block('child', parent).hashHex());
    expect(new Block('child', parent).isGenesis).toBe(false);
    // Only the 32 bytes of previous_hash count, not the nonce after them.
    expect(new Block('child', GENESIS_PREVIOUS_HASH, 0xff00_0000_0000_0000n).isGenesis).toBe(true);
  });

  it('refuses a block whose encoding would not fit in one datagram, with a clear error', () => {
    const largest = new Block(new Uint8Array(MAX_DATA_BYTES));
    expect(Buffer.byteLength(encodeBlock(largest))).toBeLessThanOrEqual(MAX_DATAGRAM_BYTES);
    expect(() => new Block(new Uint8Array(MAX_DATA_BYTES + 1))).toThrow(BlockTooLargeError);
    expect(() => new Block(new Uint8Array(MAX_DATA_BYTES + 1))).toThrow(/at most 49035/);
    expect(() => new Block(new Uint8Array(MAX_DATA_BYTES + 1))).toThrow(
      expect.objectContaining({
        name: 'BlockTooLargeError',
        message: 'block data is 49036 bytes; at most 49035 fit in one 65507-byte datagram',
      }),
    );
  });

  it('refuses parents that are not 32 bytes and nonces outside 64 bits', () => {
    expect(() => new Block('x', new Uint8Array(31))).toThrow('previous_hash must be 32 bytes, got 31');
    expect(() => new Block('x', GENESIS_PREVIOUS_HASH, 1n << 64n)).toThrow(RangeError);
    expect(() => new Block('x', GENESIS_PREVIOUS_HASH, 1n << 64n)).toThrow(
      'nonce must be an unsigned 64-bit integer, got 18446744073709551616',
    );
    expect(() => new Block('x', GENESIS_PREVIOUS_HASH, -1n)).toThrow(RangeError);
    expect(() => new Block('x', GENESIS_PREVIOUS_HASH, -1n)).toThrow(
      'nonce must be an unsigned 64-bit integer, got -1',
    );
    expect(encodeBlock(new Block('x', GENESIS_PREVIOUS_HASH, (1n << 64n) - 1n))).toContain(
      '"p_o_w": "ffffffffffffffff"',
    );
  });
});

describe('target parsing', () => {
  it('reads 2^N, 2**N, hex and decimal', () => {
    expect(parseTarget('2^235')).toBe(1n << 235n);
    expect(parseTarget('2**240')).toBe(1n << 240n);
    expect(parseTarget('0x1000000000000000000000000000000000000000000000000000000000000')).toBe(1n << 240n);
    expect(parseTarget('12345')).toBe(12345n);
  });

  it('refuses zero, 2^256 and junk with a reason', () => {
    expect(() => parseTarget('0')).toThrow(/between 1 and 2\^256-1/);
    expect(() => parseTarget('2^256')).toThrow(/between 1 and 2\^256-1/);
    expect(() => parseTarget('lots')).toThrow(/0xHEX, 2\^N or a decimal/);
  });
});
