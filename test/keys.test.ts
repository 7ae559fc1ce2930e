import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../src/primitives/bytes.js';
import {
  KEY_CACHE_ENTRIES,
  cachedKeyCount,
  generateKeyPair,
  keyPairFromSeed,
  publicKeyObject,
  rawPublicKey,
  seedOf,
  signMessage,
  verifyMessage,
} from '../src/primitives/keys.js';

// RFC 8032, section 7.1, TEST 1 (empty message) and TEST 2 (one byte, 0x72).
const RFC8032 = [
  {
    seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
];

describe('ed25519 keys', () => {
  it('derive, sign and verify as RFC 8032 says', () => {
    for (const vector of RFC8032) {
      const keys = keyPairFromSeed(hexToBytes(vector.seed));
      expect(bytesToHex(keys.publicKey)).toBe(vector.publicKey);
      expect(bytesToHex(seedOf(keys.privateKey))).toBe(vector.seed);
      const message = hexToBytes(vector.message);
      expect(bytesToHex(signMessage(message, keys.privateKey))).toBe(vector.signature);
      expect(verifyMessage(message, keys.publicKey, hexToBytes(vector.signature))).toBe(true);
    }
  });

  it('generates distinct key pairs whose raw public key matches node:crypto', () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    expect(a.publicKey).toHaveLength(32);
    expect(bytesToHex(a.publicKey)).not.toBe(bytesToHex(b.publicKey));
    expect(rawPublicKey(createPublicKey(a.privateKey))).toEqual(a.publicKey);
    expect(keyPairFromSeed(seedOf(a.privateKey)).publicKey).toEqual(a.publicKey);
    expect(() => keyPairFromSeed(new Uint8Array(31))).toThrow('seed must be 32 bytes, got 31');
    expect(() => keyPairFromSeed(new Uint8Array(33))).toThrow('seed must be 32 bytes, got 33');
  });

  it('refuses the raw public key of a key that is not ed25519', () => {
    const { privateKey, publicKey } = generateKeyPairSync('x25519');
    expect(() => rawPublicKey(privateKey)).toThrow(new TypeError('not an ed25519 key: x25519'));
    expect(() => rawPublicKey(publicKey)).toThrow(new TypeError('not an ed25519 key: x25519'));
  });

  it('answers false, never throws, for a wrong signature, message, key or length', () => {
    const keys = generateKeyPair();
    const message = new Uint8Array(32).fill(1);
    const signature = signMessage(message, keys.privateKey);
    expect(verifyMessage(message, keys.publicKey, signature)).toBe(true);
    const tampered = signature.slice();
    tampered[0]! ^= 1;
    expect(verifyMessage(message, keys.publicKey, tampered)).toBe(false);
    expect(verifyMessage(new Uint8Array(32), keys.publicKey, signature)).toBe(false);
    expect(verifyMessage(message, generateKeyPair().publicKey, signature)).toBe(false);
    expect(verifyMessage(message, new Uint8Array(32).fill(0xff), signature)).toBe(false);
    expect(verifyMessage(message, keys.publicKey.subarray(1), signature)).toBe(false);
    expect(verifyMessage(message, keys.publicKey, signature.subarray(1))).toBe(false);
  });

  it('answers false for a wrong-length signature before parsing the key (nothing cached)', () => {
    const keys = generateKeyPair();
    const message = new Uint8Array(32).fill(2);
    const signature = signMessage(message, keys.privateKey);
    const before = cachedKeyCount();
    expect(before, 'the cache must have room to show a new entry').toBeLessThan(KEY_CACHE_ENTRIES);
    for (const length of [0, 63, 65]) {
      const wrong = new Uint8Array(length);
      wrong.set(signature.subarray(0, length));
      expect(verifyMessage(message, keys.publicKey, wrong)).toBe(false);
    }
    expect(cachedKeyCount()).toBe(before);
    expect(verifyMessage(message, keys.publicKey, signature)).toBe(true);
    expect(cachedKeyCount()).toBe(before + 1);
  });

  it('caches parsed public keys, at most KEY_CACHE_ENTRIES of them', () => {
    const key = generateKeyPair().publicKey;
    expect(publicKeyObject(key)).toBe(publicKeyObject(key));
    const raw = new Uint8Array(32);
    for (let i = 0; i <= KEY_CACHE_ENTRIES; i++) {
      new DataView(raw.buffer).setUint32(0, i);
      publicKeyObject(raw);
    }
    expect(cachedKeyCount()).toBe(KEY_CACHE_ENTRIES);
    expect(() => publicKeyObject(new Uint8Array(33))).toThrow(new RangeError('public key must be 32 bytes, got 33'));
  });
});
