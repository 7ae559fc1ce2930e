/**
 * The extended protocol, version 1 (docs/protocol.md), owned here. Every message is one
 * UTF-8 JSON datagram carrying `"powchain": <version>`:
 *
 *   block      the tutorial's block JSON plus `"powchain": 1, "height": n` (the tutorial's decoder
 *              ignores extra fields, so these blocks are safe to send to any peer)
 *   hello      {"powchain": 1, "type": "hello", "height": n, "head": hex, "root": hex, "work": "dec"}
 *              "this is my main chain": a peer that is behind asks for what it lacks
 *   getblocks  {"powchain": 1, "type": "getblocks", "locator": [hex, ...], "limit": n}
 *              "send me your main chain after the first of these hashes you have"
 *              (see consensus/locator.ts); the answer is up to `limit` blocks, oldest first
 *   getdata    {"powchain": 1, "type": "getdata", "hash": hex}: "send me this block"
 *   tx         {"powchain": 1, "type": "tx", "tx": base64}: a transaction for the mempool (a
 *              powchain network's transfer, docs/transactions.md)
 *
 * Any extended message may carry `"token": hex` (the sender's address token for the
 * receiver) and `"echo": hex` (the token the receiver gave the sender), with which a peer
 * shows it receives at its address (net/address-token.ts).
 *
 * Anything but a block goes only to peers that have shown they speak the extended protocol:
 * the tutorial's listener dies on a datagram that is not a block. A block whose extended
 * encoding would not fit in a datagram goes out in the tutorial's plain form, which always fits
 * a block the tutorial accepts.
 */
import type { Block } from '../primitives/block.js';
import { MAX_DATAGRAM_BYTES } from '../primitives/limits.js';
import { FormatError, base64ToBytes, bytesToBase64 } from '../primitives/bytes.js';
import { blockFromJson, encodeBlock, isJsonObject, parseJsonDatagram } from '../primitives/wire.js';
import { TOKEN_HEX_CHARS } from './address-token.js';

export const PROTOCOL_VERSION = 1;
export const MAX_LOCATOR_HASHES = 64;
export const MAX_GETBLOCKS_LIMIT = 500;
/** Decimal digits of a chain work (2^256 has 78). */
const MAX_WORK_DIGITS = 78;

/** Address validation fields, on any extended message. */
export interface Auth {
  token?: string;
  echo?: string;
}

export type Message =
  | { type: 'block'; block: Block; extended: boolean; height: number | undefined; auth: Auth }
  | { type: 'hello'; height: number; head: string; root: string; work: bigint | undefined; auth: Auth }
  | { type: 'getblocks'; locator: string[]; limit: number; auth: Auth }
  | { type: 'getdata'; hash: string; auth: Auth }
  | { type: 'tx'; tx: Uint8Array; auth: Auth };

export type DecodedMessage = { ok: true; message: Message } | { ok: false; reason: string };

const HASH = /^[0-9a-fA-F]{64}$/;
const TOKEN = new RegExp(`^[0-9a-fA-F]{${TOKEN_HEX_CHARS}}$`);
const WORK = new RegExp(`^[0-9]{1,${MAX_WORK_DIGITS}}$`);
const isHeight = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

function authFields(auth: Auth): string {
  return (auth.token ? `, "token": "${auth.token}"` : '') + (auth.echo ? `, "echo": "${auth.echo}"` : '');
}

/**
 * A block as powchain sends it: the tutorial's JSON with the extended protocol's fields, or
 * the plain seed JSON when those would make it too large for one datagram.
 */
export function encodeBlockMessage(block: Block, height: number, auth: Auth = {}): string {
  const plain = encodeBlock(block);
  const extended = plain.slice(0, -1) + `, "powchain": ${PROTOCOL_VERSION}, "height": ${height}${authFields(auth)}}`;
  // JSON of ASCII only (base64 and hex): the string length is the byte length.
  return extended.length <= MAX_DATAGRAM_BYTES ? extended : plain;
}

export function encodeHello(height: number, head: string, root: string, work: bigint, auth: Auth = {}): string {
  return JSON.stringify({
    powchain: PROTOCOL_VERSION,
    type: 'hello',
    height,
    head,
    root,
    work: work.toString(),
    ...auth,
  });
}

export function encodeGetBlocks(locator: readonly string[], limit: number, auth: Auth = {}): string {
  return JSON.stringify({ powchain: PROTOCOL_VERSION, type: 'getblocks', locator, limit, ...auth });
}

export function encodeGetData(hash: string, auth: Auth = {}): string {
  return JSON.stringify({ powchain: PROTOCOL_VERSION, type: 'getdata', hash, ...auth });
}

/** A transaction's encoding, in base64 (it fits a datagram: MAX_TX_BYTES is 40,453). */
export function encodeTxMessage(tx: Uint8Array, auth: Auth = {}): string {
  return JSON.stringify({ powchain: PROTOCOL_VERSION, type: 'tx', tx: bytesToBase64(tx), ...auth });
}

function decodeAuth(fields: Record<string, unknown>): { ok: true; auth: Auth } | { ok: false; reason: string } {
  const auth: Auth = {};
  for (const name of ['token', 'echo'] as const) {
    const value = fields[name];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !TOKEN.test(value)) {
      return { ok: false, reason: `${name} must be ${TOKEN_HEX_CHARS} hex digits` };
    }
    auth[name] = value.toLowerCase();
  }
  return { ok: true, auth };
}

/** Decodes any datagram a peer may send: a plain or extended block, or an extended message. */
export function decodeMessage(payload: Uint8Array | string): DecodedMessage {
  const parsed = parseJsonDatagram(payload);
  if (!parsed.ok) return parsed;
  const value = parsed.value;
  if (!isJsonObject(value)) return { ok: false, reason: 'not a JSON object' };
  const fields = value;
  const version = fields.powchain;
  const extended = version !== undefined;
  if (extended && !(Number.isSafeInteger(version) && (version as number) >= 1)) {
    return { ok: false, reason: 'powchain must be a protocol version (a whole number >= 1)' };
  }
  const decodedAuth = extended ? decodeAuth(fields) : { ok: true as const, auth: {} };
  if (!decodedAuth.ok) return decodedAuth;
  const { auth } = decodedAuth;
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
        auth,
      },
    };
  }
  switch (type) {
    case 'hello': {
      const { height, head, root, work } = fields;
      if (!isHeight(height)) return { ok: false, reason: 'hello: height must be a whole number' };
      if (typeof head !== 'string' || !HASH.test(head)) {
        return { ok: false, reason: 'hello: head must be 64 hex digits' };
      }
      if (typeof root !== 'string' || !HASH.test(root)) {
        return { ok: false, reason: 'hello: root must be 64 hex digits' };
      }
      if (work !== undefined && (typeof work !== 'string' || !WORK.test(work))) {
        return { ok: false, reason: 'hello: work must be a decimal string of at most 78 digits' };
      }
      return {
        ok: true,
        message: {
          type: 'hello',
          height,
          head: head.toLowerCase(),
          root: root.toLowerCase(),
          work: work === undefined ? undefined : BigInt(work),
          auth,
        },
      };
    }
    case 'getblocks': {
      const { locator, limit } = fields;
      if (!Array.isArray(locator) || locator.length > MAX_LOCATOR_HASHES) {
        return { ok: false, reason: `getblocks: locator must be a list of at most ${MAX_LOCATOR_HASHES} hashes` };
      }
      if (!locator.every((hash): hash is string => typeof hash === 'string' && HASH.test(hash))) {
        return { ok: false, reason: 'getblocks: every locator hash must be 64 hex digits' };
      }
      if (!Number.isSafeInteger(limit) || (limit as number) < 1) {
        return { ok: false, reason: 'getblocks: limit must be a whole number >= 1' };
      }
      return {
        ok: true,
        message: {
          type: 'getblocks',
          locator: locator.map((hash) => hash.toLowerCase()),
          limit: Math.min(limit as number, MAX_GETBLOCKS_LIMIT),
          auth,
        },
      };
    }
    case 'getdata': {
      const { hash } = fields;
      if (typeof hash !== 'string' || !HASH.test(hash)) {
        return { ok: false, reason: 'getdata: hash must be 64 hex digits' };
      }
      return { ok: true, message: { type: 'getdata', hash: hash.toLowerCase(), auth } };
    }
    case 'tx': {
      const { tx } = fields;
      if (typeof tx !== 'string') return { ok: false, reason: 'tx: tx must be a base64 string' };
      try {
        return { ok: true, message: { type: 'tx', tx: base64ToBytes(tx, 'tx: tx'), auth } };
      } catch (error) {
        if (error instanceof FormatError) return { ok: false, reason: error.message };
        throw error;
      }
    }
    default:
      return { ok: false, reason: `unknown message type ${JSON.stringify(type).slice(0, 40)}` };
  }
}
