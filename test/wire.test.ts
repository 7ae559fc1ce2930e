import { describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { MAX_DATAGRAM_BYTES, MAX_DATA_BYTES } from '../src/primitives/limits.js';
import {
  BlockDecodeError,
  blockFromJson,
  decodeBlock,
  decodeBlockOrThrow,
  encodeBlock,
  parseJsonDatagram,
} from '../src/primitives/wire.js';

const ZERO = '00'.repeat(32);
const PARENT = 'ab'.repeat(32);
const refused = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A valid block datagram padded with JSON whitespace to exactly `size` bytes. */
function blockDatagramOf(size: number): string {
  const encoding = encodeBlock(new Block('sized', new Uint8Array(32).fill(0xab), 7n));
  return encoding.slice(0, -1) + ' '.repeat(size - encoding.length) + '}';
}

describe('parseJsonDatagram', () => {
  it('parses JSON from bytes or text', () => {
    expect(parseJsonDatagram('{"a": [1, "é"]}')).toEqual({ ok: true, value: { a: [1, 'é'] } });
    expect(parseJsonDatagram(utf8('{"a": [1, "é"]}'))).toEqual({ ok: true, value: { a: [1, 'é'] } });
    expect(parseJsonDatagram(utf8('7'))).toEqual({ ok: true, value: 7 });
  });

  it('refuses an empty datagram, as text or bytes', () => {
    expect(parseJsonDatagram('')).toEqual(refused('empty datagram'));
    expect(parseJsonDatagram(new Uint8Array(0))).toEqual(refused('empty datagram'));
  });

  it('refuses text that is not JSON, and bytes that are not UTF-8', () => {
    expect(parseJsonDatagram('{')).toEqual(refused('not JSON'));
    expect(parseJsonDatagram(' ')).toEqual(refused('not JSON'));
    expect(parseJsonDatagram(utf8('{"a": 1'))).toEqual(refused('not JSON'));
    expect(parseJsonDatagram(new Uint8Array([0x22, 0xc3, 0x22]))).toEqual(refused('not UTF-8')); // a cut 2-byte sequence
    expect(parseJsonDatagram(new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22]))).toEqual(refused('not UTF-8')); // a surrogate
  });

  it('takes a datagram of exactly 65,507 bytes and refuses one byte more, as text or bytes', () => {
    const largest = blockDatagramOf(MAX_DATAGRAM_BYTES);
    expect(largest).toHaveLength(MAX_DATAGRAM_BYTES);
    expect(decodeBlock(largest).ok).toBe(true);
    expect(decodeBlock(utf8(largest)).ok).toBe(true);
    const over = blockDatagramOf(MAX_DATAGRAM_BYTES + 1);
    const reason = `datagram is ${MAX_DATAGRAM_BYTES + 1} bytes, over ${MAX_DATAGRAM_BYTES}`;
    expect(decodeBlock(over)).toEqual(refused(reason));
    expect(decodeBlock(utf8(over))).toEqual(refused(reason));
  });

  it('counts the size of text in UTF-8 bytes, not in characters', () => {
    // 'é' is two bytes: the quoted string of 32,753 of them is 65,508 bytes in 32,755 characters.
    const text = `"${'é'.repeat(32_753)}"`;
    expect(text.length).toBeLessThan(MAX_DATAGRAM_BYTES);
    expect(parseJsonDatagram(text)).toEqual(
      refused(`datagram is ${MAX_DATAGRAM_BYTES + 1} bytes, over ${MAX_DATAGRAM_BYTES}`),
    );
    expect(parseJsonDatagram(utf8(text))).toEqual(
      refused(`datagram is ${MAX_DATAGRAM_BYTES + 1} bytes, over ${MAX_DATAGRAM_BYTES}`),
    );
    // One byte less is taken.
    const fits = `"${'é'.repeat(32_752)}a"`;
    expect(Buffer.byteLength(fits)).toBe(MAX_DATAGRAM_BYTES);
    expect(parseJsonDatagram(fits).ok).toBe(true);
  });
});

describe('blockFromJson', () => {
  const block = { data: 'eA==', previous_hash: PARENT, p_o_w: '00000000000000ff' };

  it('reads a block, and a missing p_o_w as the zero nonce', () => {
    const decoded = blockFromJson(block);
    expect(decoded.ok && decoded.value.hashHex()).toBe(new Block('x', new Uint8Array(32).fill(0xab), 255n).hashHex());
    const noNonce = blockFromJson({ data: '', previous_hash: ZERO });
    expect(noNonce.ok && noNonce.value.nonce).toBe(0n);
    expect(noNonce.ok && noNonce.value.data).toEqual(new Uint8Array(0));
  });

  it('refuses anything but a JSON object', () => {
    for (const value of [null, [], [block], 42, 'str', true, undefined]) {
      expect(blockFromJson(value)).toEqual(refused('not a JSON object'));
    }
  });

  it('names the first missing or mistyped field', () => {
    expect(blockFromJson({})).toEqual(refused('missing data'));
    expect(blockFromJson({ previous_hash: ZERO })).toEqual(refused('missing data'));
    expect(blockFromJson({ data: 'eA==' })).toEqual(refused('missing previous_hash'));
    expect(blockFromJson({ data: 5, previous_hash: ZERO })).toEqual(refused('data must be a base64 string'));
    expect(blockFromJson({ data: null, previous_hash: ZERO })).toEqual(refused('data must be a base64 string'));
    expect(blockFromJson({ data: undefined, previous_hash: ZERO })).toEqual(refused('data must be a base64 string'));
    expect(blockFromJson({ data: '', previous_hash: 5 })).toEqual(refused('previous_hash must be a hex string'));
    expect(blockFromJson({ data: '', previous_hash: null })).toEqual(refused('previous_hash must be a hex string'));
    expect(blockFromJson({ data: '', previous_hash: ZERO, p_o_w: 5 })).toEqual(refused('p_o_w must be a hex string'));
    expect(blockFromJson({ data: '', previous_hash: ZERO, p_o_w: null })).toEqual(
      refused('p_o_w must be a hex string'),
    );
  });

  it('refuses data longer than MAX_DATA_BYTES from the base64 length, whatever its padding', () => {
    const ofLength = (length: number) => ({ data: Buffer.alloc(length).toString('base64'), previous_hash: ZERO });
    expect(blockFromJson(ofLength(MAX_DATA_BYTES)).ok).toBe(true);
    // One, two and three bytes over: base64 with "==", "=" and no padding.
    for (const length of [MAX_DATA_BYTES + 1, MAX_DATA_BYTES + 2, MAX_DATA_BYTES + 3]) {
      expect(blockFromJson(ofLength(length))).toEqual(
        refused(`data is ${length} bytes, over the ${MAX_DATA_BYTES} that fit in a datagram`),
      );
    }
  });

  it('refuses bad field contents with the codec reason, naming the field', () => {
    expect(blockFromJson({ ...block, data: 'eA' })).toEqual(refused('data is not padded standard base64'));
    expect(blockFromJson({ ...block, previous_hash: 'zz' })).toEqual(refused('previous_hash is not hex'));
    expect(blockFromJson({ ...block, previous_hash: 'abc' })).toEqual(
      refused('previous_hash has an odd number of hex digits (3)'),
    );
    expect(blockFromJson({ ...block, previous_hash: '00'.repeat(31) })).toEqual(
      refused('previous_hash must be 32 bytes, got 31'),
    );
    expect(blockFromJson({ ...block, previous_hash: '00'.repeat(33) })).toEqual(
      refused('previous_hash must be 32 bytes, got 33'),
    );
    expect(blockFromJson({ ...block, p_o_w: 'xyz' })).toEqual(refused('p_o_w is not hex'));
    expect(blockFromJson({ ...block, p_o_w: '00'.repeat(7) })).toEqual(refused('p_o_w must be 8 bytes, got 7'));
    expect(blockFromJson({ ...block, p_o_w: '00'.repeat(9) })).toEqual(refused('p_o_w must be 8 bytes, got 9'));
    expect(blockFromJson({ ...block, p_o_w: '' })).toEqual(refused('p_o_w must be 8 bytes, got 0'));
  });

  it('accepts the largest nonce, 2^64 - 1', () => {
    const decoded = blockFromJson({ ...block, p_o_w: 'FFFFFFFFFFFFFFFF' });
    expect(decoded.ok && decoded.value.nonce).toBe(2n ** 64n - 1n);
  });
});

describe('decodeBlock and decodeBlockOrThrow', () => {
  it('decode a block from text or bytes', () => {
    const block = new Block('round trip', new Uint8Array(32).fill(1), 99n);
    const text = encodeBlock(block);
    for (const wire of [text, utf8(text)]) {
      const decoded = decodeBlock(wire);
      expect(decoded.ok && decoded.value.hashHex()).toBe(block.hashHex());
      expect(decodeBlockOrThrow(wire).hashHex()).toBe(block.hashHex());
    }
  });

  it('pass every refusal through: decodeBlock as a verdict, decodeBlockOrThrow as a typed error', () => {
    expect(decodeBlock('')).toEqual(refused('empty datagram'));
    expect(decodeBlock('[1]')).toEqual(refused('not a JSON object'));
    expect(decodeBlock(`{"data": "eA==", "previous_hash": "${ZERO}", "p_o_w": "1"}`)).toEqual(
      refused('p_o_w has an odd number of hex digits (1)'),
    );
    let thrown: unknown;
    try {
      decodeBlockOrThrow('{"data": "eA=="}');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(BlockDecodeError);
    expect(thrown).toMatchObject({
      name: 'BlockDecodeError',
      reason: 'missing previous_hash',
      message: 'malformed block: missing previous_hash',
    });
  });
});

describe('encodeBlock', () => {
  it("writes the seed's JSON: Python's separators, padded base64, lower-case hex", () => {
    const block = new Block(new Uint8Array([0xfb, 0xff]), new Uint8Array(32).fill(0xcd), 0x0102n);
    expect(encodeBlock(block)).toBe(
      `{"data": "+/8=", "previous_hash": "${'cd'.repeat(32)}", "p_o_w": "0000000000000102"}`,
    );
  });
});
