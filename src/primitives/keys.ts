/**
 * ed25519 keys for powchain coins, through node:crypto: raw 32-byte public keys (what
 * transactions carry), private KeyObjects, and a bounded cache of public KeyObjects so
 * that verifying many signatures by the same keys does not re-parse them each time.
 * docs/transactions.md says how keys, signatures and addresses fit together.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { bytesToHex, concatBytes, hexToBytes } from './bytes.js';

export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;
export const SEED_BYTES = 32;

/** DER prefixes that wrap a raw ed25519 key (RFC 8410): SubjectPublicKeyInfo and PKCS #8. */
const SPKI_PREFIX = hexToBytes('302a300506032b6570032100');
const PKCS8_PREFIX = hexToBytes('302e020100300506032b657004220420');

export interface KeyPair {
  /** Raw 32-byte public key, as carried in transaction inputs. */
  publicKey: Uint8Array;
  privateKey: KeyObject;
}

/** A fresh key pair from the operating system's randomness. */
export function generateKeyPair(): KeyPair {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { publicKey: rawPublicKey(privateKey), privateKey };
}

/** The key pair of a 32-byte seed (RFC 8032 private key): same seed, same keys. */
export function keyPairFromSeed(seed: Uint8Array): KeyPair {
  if (seed.length !== SEED_BYTES) throw new RangeError(`seed must be ${SEED_BYTES} bytes, got ${seed.length}`);
  const privateKey = createPrivateKey({
    key: Buffer.from(concatBytes(PKCS8_PREFIX, seed)),
    format: 'der',
    type: 'pkcs8',
  });
  return { publicKey: rawPublicKey(privateKey), privateKey };
}

/** The 32-byte seed of an ed25519 private key (to store it). */
export function seedOf(privateKey: KeyObject): Uint8Array {
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  return new Uint8Array(der.subarray(der.length - SEED_BYTES));
}

/** The raw public key of an ed25519 key (private or public KeyObject). */
export function rawPublicKey(key: KeyObject): Uint8Array {
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError(`not an ed25519 key: ${key.asymmetricKeyType}`);
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - PUBLIC_KEY_BYTES));
}

/** Public keys parsed into KeyObjects; bounded, least recently used dropped first. */
export const KEY_CACHE_ENTRIES = 10_000;
const keyCache = new Map<string, KeyObject>();

/** The KeyObject of a raw public key, from the cache when it was seen recently. */
export function publicKeyObject(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== PUBLIC_KEY_BYTES) {
    throw new RangeError(`public key must be ${PUBLIC_KEY_BYTES} bytes, got ${publicKey.length}`);
  }
  const id = bytesToHex(publicKey);
  const cached = keyCache.get(id);
  if (cached !== undefined) {
    // Map iteration follows insertion order: re-inserting marks the key as most recent.
    keyCache.delete(id);
    keyCache.set(id, cached);
    return cached;
  }
  const key = createPublicKey({ key: Buffer.from(concatBytes(SPKI_PREFIX, publicKey)), format: 'der', type: 'spki' });
  if (keyCache.size >= KEY_CACHE_ENTRIES) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(id, key);
  return key;
}

/** Number of public keys cached now (for tests and diagnostics). */
export function cachedKeyCount(): number {
  return keyCache.size;
}

/** ed25519 signature (64 bytes) of `message` (here always a 32-byte digest). */
export function signMessage(message: Uint8Array, privateKey: KeyObject): Uint8Array {
  return new Uint8Array(sign(null, message, privateKey));
}

/**
 * True when `signature` is a valid ed25519 signature of `message` by `publicKey` (raw).
 * Wrong lengths and keys that are not curve points answer false rather than throw.
 */
export function verifyMessage(message: Uint8Array, publicKey: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  try {
    return verify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    // OpenSSL refuses some malformed keys at verification time; that is an invalid signature.
    return false;
  }
}
