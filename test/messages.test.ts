import { describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { MAX_DATAGRAM_BYTES } from '../src/primitives/limits.js';
import { encodeBlock } from '../src/primitives/wire.js';
import {
  type DecodedMessage,
  MAX_GETBLOCKS_LIMIT,
  MAX_LOCATOR_HASHES,
  PROTOCOL_VERSION,
  decodeMessage,
  encodeBlockMessage,
  encodeGetBlocks,
  encodeGetData,
  encodeHello,
  encodeTxMessage,
} from '../src/net/messages.js';

const hash = (n: number): string => n.toString(16).padStart(64, '0');
const HEX = 'aB'.repeat(32); // mixed case
const TOKEN = 'c0FfEe'.repeat(5) + 'aB'; // 32 hex digits, mixed case
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
  it("writes a block as the seed's JSON with the extended fields appended", () => {
    expect(encodeBlockMessage(block, 7)).toBe(`${encodeBlock(block).slice(0, -1)}, "powchain": 1, "height": 7}`);
    expect(encodeBlockMessage(block, 0, { token: hash(1).slice(32) })).toBe(
      `${encodeBlock(block).slice(0, -1)}, "powchain": 1, "height": 0, "token": "${hash(1).slice(32)}"}`,
    );
    expect(encodeBlockMessage(block, 2, { token: 'a'.repeat(32), echo: 'b'.repeat(32) })).toBe(
      `${encodeBlock(block).slice(0, -1)}, "powchain": 1, "height": 2, "token": "${'a'.repeat(32)}", "echo": "${'b'.repeat(32)}"}`,
    );
    expect(encodeBlockMessage(block, 2, { echo: 'b'.repeat(32) })).toBe(
      `${encodeBlock(block).slice(0, -1)}, "powchain": 1, "height": 2, "echo": "${'b'.repeat(32)}"}`,
    );
  });

  it('sends the extended form up to exactly one datagram, and the plain form of a block one byte past it', () => {
    // 49,014 bytes of data are 65,352 base64 digits: the extended form with a 2-digit height is 65,507 bytes.
    const big = new Block(new Uint8Array(49_014).fill(0x5a), new Uint8Array(32).fill(3), 42n);
    const fits = encodeBlockMessage(big, 10);
    expect(fits.length).toBe(MAX_DATAGRAM_BYTES);
    expect(fits).toBe(`${encodeBlock(big).slice(0, -1)}, "powchain": 1, "height": 10}`);
    expect(encodeBlockMessage(big, 100)).toBe(encodeBlock(big));
    // The largest block the seed accepts always goes out, in its plain form.
    const largest = new Block(new Uint8Array(49_035), new Uint8Array(32).fill(3), 42n);
    expect(encodeBlockMessage(largest, 1)).toBe(encodeBlock(largest));
    expect(decodeMessage(encodeBlockMessage(big, 10))).toMatchObject({
      ok: true,
      message: { type: 'block', extended: true, height: 10 },
    });
  });

  it('writes hello (with the chain work in decimal), getblocks and getdata as compact JSON', () => {
    expect(encodeHello(3, hash(1), hash(2), 2n ** 70n)).toBe(
      `{"powchain":1,"type":"hello","height":3,"head":"${hash(1)}","root":"${hash(2)}","work":"${2n ** 70n}"}`,
    );
    expect(encodeGetBlocks([hash(1)], 9)).toBe(`{"powchain":1,"type":"getblocks","locator":["${hash(1)}"],"limit":9}`);
    expect(encodeGetData(hash(5))).toBe(`{"powchain":1,"type":"getdata","hash":"${hash(5)}"}`);
  });

  it('adds the address token and echo to any message, and they decode back', () => {
    const auth = { token: 'a'.repeat(32), echo: 'b'.repeat(32) };
    const tail = `"token":"${auth.token}","echo":"${auth.echo}"}`;
    expect(encodeHello(0, hash(1), hash(2), 1n, auth)).toBe(
      `{"powchain":1,"type":"hello","height":0,"head":"${hash(1)}","root":"${hash(2)}","work":"1",${tail}`,
    );
    expect(encodeGetBlocks([], 1, auth)).toBe(`{"powchain":1,"type":"getblocks","locator":[],"limit":1,${tail}`);
    expect(encodeGetData(hash(5), auth)).toBe(`{"powchain":1,"type":"getdata","hash":"${hash(5)}",${tail}`);
    for (const wire of [
      encodeBlockMessage(block, 1, auth),
      encodeHello(0, hash(1), hash(2), 1n, auth),
      encodeGetBlocks([], 1, auth),
      encodeGetData(hash(5), auth),
    ]) {
      expect(decodeMessage(wire)).toMatchObject({ ok: true, message: { auth } });
    }
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
    expect(decodeMessage(encodeBlockMessage(block, 0))).toMatchObject({
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
      message: {
        type: 'hello',
        height: 0,
        head: HEX.toLowerCase(),
        root: HEX.toLowerCase(),
        work: undefined,
        auth: {},
      },
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

describe('decoding the chain work in hello', () => {
  const workOf = (work: unknown): bigint | undefined | string => {
    const decoded = hello({ work });
    if (!decoded.ok) return decoded.reason;
    return decoded.message.type === 'hello' ? decoded.message.work : 'not a hello';
  };

  it('takes a decimal string of 1 to 78 digits, or no work at all', () => {
    expect(workOf('0')).toBe(0n);
    expect(workOf('12345')).toBe(12345n);
    expect(workOf('9'.repeat(78))).toBe(10n ** 78n - 1n);
    expect(workOf(undefined)).toBeUndefined();
    expect(hello({})).toMatchObject({ ok: true, message: { work: undefined } });
  });

  it('refuses 79 digits, an empty string, signs, hex, spaces and numbers', () => {
    for (const work of ['9'.repeat(79), '', '-1', '+1', '0x10', '1e5', ' 1', '1 ', 'ab', 12345, null, ['1']]) {
      expect(workOf(work)).toBe('hello: work must be a decimal string of at most 78 digits');
    }
  });
});

describe('decoding the address token and echo', () => {
  const authOf = (fields: Record<string, unknown>): unknown => {
    const decoded = hello(fields);
    return decoded.ok ? decoded.message.auth : decoded.reason;
  };

  it('takes 32 hex digits of either case, lower-cased, on any extended message', () => {
    expect(authOf({ token: TOKEN })).toEqual({ token: TOKEN.toLowerCase() });
    expect(authOf({ echo: TOKEN })).toEqual({ echo: TOKEN.toLowerCase() });
    expect(authOf({ token: 'a'.repeat(32), echo: TOKEN })).toEqual({
      token: 'a'.repeat(32),
      echo: TOKEN.toLowerCase(),
    });
    expect(authOf({})).toEqual({});
    expect(decode({ ...seedJson, powchain: 1, token: TOKEN })).toMatchObject({
      ok: true,
      message: { type: 'block', auth: { token: TOKEN.toLowerCase() } },
    });
    expect(decode({ powchain: 1, type: 'getdata', hash: hash(1), echo: TOKEN })).toEqual({
      ok: true,
      message: { type: 'getdata', hash: hash(1), auth: { echo: TOKEN.toLowerCase() } },
    });
  });

  it('refuses a token or echo that is not exactly 32 hex digits, each with its reason', () => {
    for (const bad of [TOKEN.slice(1), `${TOKEN}0`, 'g'.repeat(32), ` ${TOKEN.slice(1)}`, 7, null, [TOKEN]]) {
      expect(authOf({ token: bad })).toBe('token must be 32 hex digits');
      expect(authOf({ echo: bad })).toBe('echo must be 32 hex digits');
      expect(authOf({ token: TOKEN, echo: bad })).toBe('echo must be 32 hex digits');
      expect(decode({ ...seedJson, powchain: 1, token: bad })).toEqual(refused('token must be 32 hex digits'));
    }
  });

  it("ignores them on a plain seed block: the tutorial's fields are all it reads", () => {
    expect(decode({ ...seedJson, token: 'not a token', echo: TOKEN })).toMatchObject({
      ok: true,
      message: { type: 'block', extended: false, auth: {} },
    });
  });
});

describe('decoding getblocks', () => {
  it('takes an empty locator and one of exactly 64 hashes, refusing 65', () => {
    expect(getblocks([], 1)).toEqual({ ok: true, message: { type: 'getblocks', locator: [], limit: 1, auth: {} } });
    const full = Array.from({ length: 64 }, (_, i) => hash(i));
    expect(getblocks(full, 10)).toEqual({
      ok: true,
      message: { type: 'getblocks', locator: full, limit: 10, auth: {} },
    });
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
      message: { type: 'getblocks', locator: [HEX.toLowerCase(), hash(1)], limit: 5, auth: {} },
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
      message: { type: 'getdata', hash: HEX.toLowerCase(), auth: {} },
    });
  });

  it('refuses a hash that is not 64 hex digits', () => {
    for (const bad of [5, 'zz', hash(1).slice(1), `${hash(1)}0`, undefined]) {
      expect(decode({ powchain: 1, type: 'getdata', hash: bad })).toEqual(
        refused('getdata: hash must be 64 hex digits'),
      );
    }
  });

  it('writes a transaction in base64 and reads it back, with its auth', () => {
    const tx = new Uint8Array([1, 2, 3, 250]);
    expect(encodeTxMessage(tx)).toBe('{"powchain":1,"type":"tx","tx":"AQID+g=="}');
    const auth = { token: 'a'.repeat(32), echo: 'b'.repeat(32) };
    expect(decodeMessage(encodeTxMessage(tx, auth))).toEqual({ ok: true, message: { type: 'tx', tx, auth } });
  });

  it('refuses a tx message whose tx is not a base64 string, naming the field', () => {
    expect(decode({ powchain: 1, type: 'tx', tx: 5 })).toEqual(refused('tx: tx must be a base64 string'));
    expect(decode({ powchain: 1, type: 'tx' })).toEqual(refused('tx: tx must be a base64 string'));
    expect(decode({ powchain: 1, type: 'tx', tx: 'AQI' })).toEqual(refused('tx: tx is not padded standard base64'));
  });

  it('refuses an unknown type, quoting at most 40 characters of it', () => {
    expect(decode({ powchain: 1, type: 'gossip' })).toEqual(refused('unknown message type "gossip"'));
    expect(decode({ powchain: 1, type: 7 })).toEqual(refused('unknown message type 7'));
    expect(decode({ powchain: 1, type: 'x'.repeat(100) })).toEqual(refused(`unknown message type "${'x'.repeat(39)}`));
    // Without the powchain field nothing is a message type: the datagram is read as a block.
    expect(decode({ type: 'hello' })).toEqual(refused('missing data'));
  });
});
