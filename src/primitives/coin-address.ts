/**
 * Coin addresses: bech32m (BIP 350, through @scure/base) with the prefix `pow` over the
 * 20-byte key hash, the first 20 bytes of SHA-256(ed25519 public key). Written in lower
 * case (`pow1` + 32 data characters + 6 checksum characters = 42 characters); upper case
 * is accepted, mixed case is not (docs/transactions.md).
 */
import { createHash } from 'node:crypto';
import { bech32, bech32m } from '@scure/base';
import { PUBLIC_KEY_BYTES } from './keys.js';

export const ADDRESS_PREFIX = 'pow';
export const KEY_HASH_BYTES = 20;
/** Text length of every powchain address. */
export const ADDRESS_LENGTH = ADDRESS_PREFIX.length + 1 + Math.ceil((KEY_HASH_BYTES * 8) / 5) + 6;
/** BIP 173's limit; longer text is refused before any decoding. */
const MAX_BECH32_LENGTH = 90;
const BECH32_DATA = /^[qpzry9x8gf2tvdw0s3jn54khce6mua7l]*$/;

export type AddressVerdict = { ok: true; keyHash: Uint8Array } | { ok: false; reason: string };

/** The 20-byte key hash of a raw 32-byte ed25519 public key. */
export function keyHash(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== PUBLIC_KEY_BYTES) {
    throw new RangeError(`public key must be ${PUBLIC_KEY_BYTES} bytes, got ${publicKey.length}`);
  }
  return new Uint8Array(createHash('sha256').update(publicKey).digest().subarray(0, KEY_HASH_BYTES));
}

export function encodeAddress(hash: Uint8Array): string {
  if (hash.length !== KEY_HASH_BYTES)
    throw new RangeError(`key hash must be ${KEY_HASH_BYTES} bytes, got ${hash.length}`);
  return bech32m.encode(ADDRESS_PREFIX, bech32m.toWords(hash));
}

/** The address that pays to `publicKey` (raw 32 bytes). */
export function addressOf(publicKey: Uint8Array): string {
  return encodeAddress(keyHash(publicKey));
}

/** Decodes address text typed or pasted by a person; every refusal says what is wrong. */
export function decodeAddress(text: string): AddressVerdict {
  if (text.length > MAX_BECH32_LENGTH) {
    return { ok: false, reason: `address is ${text.length} characters; a powchain address has ${ADDRESS_LENGTH}` };
  }
  const lower = text.toLowerCase();
  if (text !== lower && text !== text.toUpperCase()) {
    return { ok: false, reason: 'address mixes upper and lower case' };
  }
  const separator = lower.lastIndexOf('1');
  if (separator < 0) return { ok: false, reason: `address must start with "${ADDRESS_PREFIX}1"` };
  const prefix = lower.slice(0, separator);
  if (prefix !== ADDRESS_PREFIX) {
    return { ok: false, reason: `address prefix must be "${ADDRESS_PREFIX}", got "${prefix}"` };
  }
  const data = lower.slice(separator + 1);
  if (!BECH32_DATA.test(data)) return { ok: false, reason: 'address contains a character outside the bech32 alphabet' };
  if (data.length < 6) return { ok: false, reason: 'address is too short to hold a checksum' };
  const decoded = bech32m.decodeUnsafe(lower, MAX_BECH32_LENGTH);
  if (!decoded) {
    if (bech32.decodeUnsafe(lower, MAX_BECH32_LENGTH)) {
      return { ok: false, reason: 'address has a bech32 checksum; powchain addresses use bech32m' };
    }
    return { ok: false, reason: 'address checksum does not match (a typo?)' };
  }
  const hash = bech32m.fromWordsUnsafe(decoded.words);
  if (!hash) return { ok: false, reason: 'address data is not a whole number of bytes' };
  if (hash.length !== KEY_HASH_BYTES) {
    return { ok: false, reason: `address holds ${hash.length} bytes; a powchain address holds a 20-byte key hash` };
  }
  return { ok: true, keyHash: hash };
}
