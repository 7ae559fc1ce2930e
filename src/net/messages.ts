/**
 * The extended protocol, version 1, owned here. Every message is one UTF-8 JSON datagram
 * carrying `"powchain": <version>`.
 *
 *   block      the seed's block JSON plus `"powchain": 1, "height": n` (the seed's decoder
 *              ignores extra fields, so these blocks are safe to send to any peer, and a
 *              peer that sends them has shown it speaks the extended protocol)
 *   hello      {"powchain": 1, "type": "hello", "height": n, "head": hex, "root": hex}
 *              "this is my main chain": a peer that is behind asks for what it lacks
 *   getblocks  {"powchain": 1, "type": "getblocks", "locator": [hex, ...], "limit": n}
 *              "send me your main chain after the first of these hashes you have"
 *              (see consensus/locator.ts); the answer is up to `limit` blocks, oldest first
 *   getdata    {"powchain": 1, "type": "getdata", "hash": hex}: "send me this block"
 *
 * Anything but a block goes only to peers that have sent an extended message themselves
 * (SPEC 2): the seed's listener dies on a datagram that is not a block.
 */
import type { Block } from '../primitives/block.js';
import { blockFromJson, encodeBlock, parseJsonDatagram } from '../primitives/wire.js';

export const PROTOCOL_VERSION = 1;
export const MAX_LOCATOR_HASHES = 64;
export const MAX_GETBLOCKS_LIMIT = 500;

export type Message =
  | { type: 'block'; block: Block; extended: boolean; height: number | undefined }
  | { type: 'hello'; height: number; head: string; root: string }
  | { type: 'getblocks'; locator: string[]; limit: number }
  | { type: 'getdata'; hash: string };

export type DecodedMessage = { ok: true; message: Message } | { ok: false; reason: string };

const HASH = /^[0-9a-fA-F]{64}$/;
const isHeight = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/** A block as powchain sends it: the seed's JSON, with the extended protocol's fields. */
export function encodeExtendedBlock(block: Block, height: number): string {
  return encodeBlock(block).slice(0, -1) + `, "powchain": ${PROTOCOL_VERSION}, "height": ${height}}`;
}

export function encodeHello(height: number, head: string, root: string): string {
  return JSON.stringify({ powchain: PROTOCOL_VERSION, type: 'hello', height, head, root });
}

export function encodeGetBlocks(locator: string[], limit: number): string {
  return JSON.stringify({ powchain: PROTOCOL_VERSION, type: 'getblocks', locator, limit });
}

export function encodeGetData(hash: string): string {
  return JSON.stringify({ powchain: PROTOCOL_VERSION, type: 'getdata', hash });
}

/** Decodes any datagram a peer may send: a plain or extended block, or an extended message. */
export function decodeMessage(payload: Uint8Array | string): DecodedMessage {
  const parsed = parseJsonDatagram(payload);
  if (!parsed.ok) return parsed;
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, reason: 'not a JSON object' };
  const fields = value as Record<string, unknown>;
  const version = fields.powchain;
  const extended = version !== undefined;
  if (extended && !(Number.isSafeInteger(version) && (version as number) >= 1)) {
    return { ok: false, reason: 'powchain must be a protocol version (a whole number >= 1)' };
  }
  const type = fields.type;
  if (!extended || type === undefined || type === 'block') {
    const decoded = blockFromJson(value);
    if (!decoded.ok) return decoded;
    const height = fields.height;
    return {
      ok: true,
      message: {
        type: 'block',
        block: decoded.value,
        extended,
        height: extended && isHeight(height) ? height : undefined,
      },
    };
  }
  switch (type) {
    case 'hello': {
      const { height, head, root } = fields;
      if (!isHeight(height)) return { ok: false, reason: 'hello: height must be a whole number' };
      if (typeof head !== 'string' || !HASH.test(head))
        return { ok: false, reason: 'hello: head must be 64 hex digits' };
      if (typeof root !== 'string' || !HASH.test(root))
        return { ok: false, reason: 'hello: root must be 64 hex digits' };
      return { ok: true, message: { type: 'hello', height, head: head.toLowerCase(), root: root.toLowerCase() } };
    }
    case 'getblocks': {
      const { locator, limit } = fields;
      if (!Array.isArray(locator) || locator.length > MAX_LOCATOR_HASHES) {
        return { ok: false, reason: `getblocks: locator must be a list of at most ${MAX_LOCATOR_HASHES} hashes` };
      }
      if (!locator.every((hash): hash is string => typeof hash === 'string' && HASH.test(hash))) {
        return { ok: false, reason: 'getblocks: every locator hash must be 64 hex digits' };
      }
      if (!Number.isSafeInteger(limit) || (limit as number) < 1)
        return { ok: false, reason: 'getblocks: limit must be a whole number >= 1' };
      return {
        ok: true,
        message: {
          type: 'getblocks',
          locator: locator.map((hash) => hash.toLowerCase()),
          limit: Math.min(limit as number, MAX_GETBLOCKS_LIMIT),
        },
      };
    }
    case 'getdata': {
      const { hash } = fields;
      if (typeof hash !== 'string' || !HASH.test(hash))
        return { ok: false, reason: 'getdata: hash must be 64 hex digits' };
      return { ok: true, message: { type: 'getdata', hash: hash.toLowerCase() } };
    }
    default:
      return { ok: false, reason: `unknown message type ${JSON.stringify(type).slice(0, 40)}` };
  }
}
