import { describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { encodeBlock } from '../src/primitives/wire.js';
import {
  type DecodedMessage,
  MAX_GETBLOCKS_LIMIT,
  MAX_LOCATOR_HASHES,
  PROTOCOL_VERSION,
  decodeMessage,
  encodeExtendedBlock,
  encodeGetBlocks,
  encodeGetData,
  encodeHello,
} from '../src/net/messages.js';

const hash = (n: number): string => n.toString(16).padStart(64, '0');
const HEX = 'aB'.repeat(32); // mixed case
const block = new Block('payload', new Uint8Array(32).fill(3), 42n);
const seedJson = JSON.parse(encodeBlock(block)) as Record<string, unknown>;

const decode = (value: unknown): DecodedMessage => decodeMessage(JSON.stringify(value));
const refused = (reason: string): DecodedMessage => ({ ok: false, reason });
const getblocks = (locator: unknown, limit: unknown): DecodedMessage =>
  decode({ powchain: 1, type: 'getblocks', locator, limit });
const hello = (fields: Record<string, unknown>): DecodedMessage =>
  decode({ powchain: 1, type: 'hello', height: 1, head: hash(1), root: hash(2), ...fields });

describe('the protocol constants', () => {
  it('are version 1, 64 locator hashes and 500 blocks per request', () => {
    expect([PROTOCOL_VERSION, MAX_LOCATOR_HASHES, MAX_GETBLOCKS_LIMIT]).toEqual([1, 64, 500]);
  });
});

describe('encoding', () => {
  it("writes an extended block as the seed's JSON with two fields appended", () => {
    expect(encodeExtendedBlock(block, 7)).toBe(`${encodeBlock(block).slice(0, -1)}, "powchain": 1, "height": 7}`);
  });

  it('writes hello, getblocks and getdata as compact JSON', () => {
    expect(encodeHello(3, hash(1), hash(2))).toBe(
      `{"powchain":1,"type":"hello","height":3,"head":"${hash(1)}","root":"${hash(2)}"}`,
    );
    expect(encodeGetBlocks([hash(1)], 9)).toBe(`{"powchain":1,"type":"getblocks","locator":["${hash(1)}"],"limit":9}`);
    expect(encodeGetData(hash(5))).toBe(`{"powchain":1,"type":"getdata","hash":"${hash(5)}"}`);
  });
});

describe('decoding blocks', () => {
  it('reads a plain seed block as not extended, ignoring a height it carries', () => {
    expect(decode(seedJson)).toMatchObject({
      ok: true,
      message: { type: 'block', extended: false, height: undefined },
    });
    expect(decode({ ...seedJson, height: 5 })).toMatchObject({
      ok: true,
      message: { type: 'block', extended: false, height: undefined },
    });
    const decoded = decode(seedJson);
    expect(decoded.ok && decoded.message.type === 'block' && decoded.message.block.hashHex()).toBe(block.hashHex());
  });

  it('reads an extended block with its height, from 0 up', () => {
    expect(decodeMessage(encodeExtendedBlock(block, 0))).toMatchObject({
      ok: true,
      message: { type: 'block', extended: true, height: 0 },
    });
    expect(decode({ ...seedJson, powchain: 1, type: 'block', height: 12 })).toMatchObject({
      ok: true,
      message: { type: 'block', extended: true, height: 12 },
    });
  });

  it('keeps an extended block whose height is unusable, without the height', () => {
    for (const height of [-1, 1.5, '3', null, Number.MAX_SAFE_INTEGER + 1]) {
      expect(decode({ ...seedJson, powchain: 1, height })).toMatchObject({
        ok: true,
        message: { type: 'block', extended: true, height: undefined },
      });
    }
    expect(decode({ ...seedJson, powchain: 1, height: Number.MAX_SAFE_INTEGER })).toMatchObject({
      message: { height: Number.MAX_SAFE_INTEGER },
    });
  });

  it("refuses a malformed block with the block decoder's reason, extended or not", () => {
    expect(decode({ ...seedJson, data: 5 })).toEqual(refused('data must be a base64 string'));
    expect(decode({ ...seedJson, powchain: 1, previous_hash: 'zz' })).toEqual(refused('previous_hash is not hex'));
    expect(decode({ powchain: 1, type: 'block' })).toEqual(refused('missing data'));
  });
});

describe('decoding the protocol version', () => {
  it('takes any whole version from 1 up', () => {
    expect(decode({ ...seedJson, powchain: 1 }).ok).toBe(true);
    expect(decode({ ...seedJson, powchain: 2 }).ok).toBe(true);
    expect(hello({ powchain: 1 }).ok).toBe(true);
  });

  it('refuses 0, fractions, text and null', () => {
    for (const powchain of [0, -1, 1.5, '1', null, true]) {
      expect(decode({ ...seedJson, powchain })).toEqual(
        refused('powchain must be a protocol version (a whole number >= 1)'),
      );
      expect(hello({ powchain })).toEqual(refused('powchain must be a protocol version (a whole number >= 1)'));
    }
  });

  it('refuses what is not a JSON object, and what is not JSON', () => {
    for (const wire of ['[]', 'null', '7', '"hello"'])
      expect(decodeMessage(wire)).toEqual(refused('not a JSON object'));
    expect(decodeMessage('')).toEqual(refused('empty datagram'));
    expect(decodeMessage('{"powchain": 1')).toEqual(refused('not JSON'));
  });
});

describe('decoding hello', () => {
  it('takes height 0 and upper-case hashes, which it lower-cases', () => {
    expect(hello({ height: 0, head: HEX, root: HEX.toUpperCase() })).toEqual({
      ok: true,
      message: { type: 'hello', height: 0, head: HEX.toLowerCase(), root: HEX.toLowerCase() },
    });
  });

  it('refuses each bad field with its reason', () => {
    for (const height of [-1, 1.5, '1', null, undefined]) {
      expect(hello({ height })).toEqual(refused('hello: height must be a whole number'));
    }
    for (const head of [5, 'zz', hash(1).slice(1), hash(1) + '0', undefined, ` ${hash(1).slice(1)}`]) {
      expect(hello({ head })).toEqual(refused('hello: head must be 64 hex digits'));
    }
    for (const root of [5, 'zz', hash(1).slice(1), hash(1) + '0', undefined]) {
      expect(hello({ root })).toEqual(refused('hello: root must be 64 hex digits'));
    }
  });
});

describe('decoding getblocks', () => {
  it('takes an empty locator and one of exactly 64 hashes, refusing 65', () => {
    expect(getblocks([], 1)).toEqual({ ok: true, message: { type: 'getblocks', locator: [], limit: 1 } });
    const full = Array.from({ length: 64 }, (_, i) => hash(i));
    expect(getblocks(full, 10)).toEqual({ ok: true, message: { type: 'getblocks', locator: full, limit: 10 } });
    expect(getblocks([...full, hash(64)], 10)).toEqual(
      refused('getblocks: locator must be a list of at most 64 hashes'),
    );
    for (const locator of ['abc', null, { 0: hash(1) }, undefined]) {
      expect(getblocks(locator, 10)).toEqual(refused('getblocks: locator must be a list of at most 64 hashes'));
    }
  });

  it('lower-cases the locator and refuses any hash in it that is not 64 hex digits', () => {
    expect(getblocks([HEX, hash(1)], 5)).toEqual({
      ok: true,
      message: { type: 'getblocks', locator: [HEX.toLowerCase(), hash(1)], limit: 5 },
    });
    // [hash] reads as 64 hex digits when turned into text: it must be refused as not a string.
    for (const bad of [42, 'zz', hash(1).slice(1), `${hash(1)}0`, null, [hash(1)]]) {
      expect(getblocks([hash(1), bad], 5)).toEqual(refused('getblocks: every locator hash must be 64 hex digits'));
    }
  });

  it('takes a limit from 1, caps it at 500, and refuses anything else', () => {
    const limitOf = (limit: unknown): number | undefined => {
      const decoded = getblocks([], limit);
      return decoded.ok && decoded.message.type === 'getblocks' ? decoded.message.limit : undefined;
    };
    expect([1, 2, 499, 500, 501, 1_000_000, Number.MAX_SAFE_INTEGER].map(limitOf)).toEqual([
      1, 2, 499, 500, 500, 500, 500,
    ]);
    for (const limit of [0, -1, 1.5, '5', null, undefined, Number.MAX_SAFE_INTEGER + 1]) {
      expect(getblocks([], limit)).toEqual(refused('getblocks: limit must be a whole number >= 1'));
    }
  });
});

describe('decoding getdata and unknown types', () => {
  it('takes an upper-case hash, lower-cased', () => {
    expect(decode({ powchain: 1, type: 'getdata', hash: HEX })).toEqual({
      ok: true,
      message: { type: 'getdata', hash: HEX.toLowerCase() },
    });
  });

  it('refuses a hash that is not 64 hex digits', () => {
    for (const bad of [5, 'zz', hash(1).slice(1), `${hash(1)}0`, undefined]) {
      expect(decode({ powchain: 1, type: 'getdata', hash: bad })).toEqual(
        refused('getdata: hash must be 64 hex digits'),
      );
    }
  });

  it('refuses an unknown type, quoting at most 40 characters of it', () => {
    expect(decode({ powchain: 1, type: 'gossip' })).toEqual(refused('unknown message type "gossip"'));
    expect(decode({ powchain: 1, type: 7 })).toEqual(refused('unknown message type 7'));
    expect(decode({ powchain: 1, type: 'x'.repeat(100) })).toEqual(refused(`unknown message type "${'x'.repeat(39)}`));
    // Without the powchain field nothing is a message type: the datagram is read as a block.
    expect(decode({ type: 'hello' })).toEqual(refused('missing data'));
  });
});
