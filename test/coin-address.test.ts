import { createHash } from 'node:crypto';
import { bech32, bech32m } from '@scure/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ADDRESS_LENGTH, addressOf, decodeAddress, encodeAddress, keyHash } from '../src/primitives/coin-address.js';
import { generateKeyPair } from '../src/primitives/keys.js';

const hashArbitrary = fc.uint8Array({ minLength: 20, maxLength: 20 });
const ALPHABET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

function reasonOf(text: string): string {
  const decoded = decodeAddress(text);
  return decoded.ok ? 'accepted' : decoded.reason;
}

describe('coin addresses', () => {
  it('round-trip every 20-byte key hash through 42 characters of lower-case bech32m', () => {
    fc.assert(
      fc.property(hashArbitrary, (hash) => {
        const address = encodeAddress(hash);
        expect(address).toMatch(/^pow1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{38}$/);
        expect(address.length).toBe(ADDRESS_LENGTH);
        expect(decodeAddress(address)).toEqual({ ok: true, keyHash: hash });
        expect(decodeAddress(address.toUpperCase())).toEqual({ ok: true, keyHash: hash });
      }),
    );
  });

  it('pays to the first 20 bytes of SHA-256 of the public key', () => {
    const { publicKey } = generateKeyPair();
    const expected = createHash('sha256').update(publicKey).digest().subarray(0, 20);
    expect(keyHash(publicKey)).toEqual(new Uint8Array(expected));
    expect(addressOf(publicKey)).toBe(encodeAddress(new Uint8Array(expected)));
    expect(() => keyHash(new Uint8Array(31))).toThrow(new RangeError('public key must be 32 bytes, got 31'));
    expect(() => encodeAddress(new Uint8Array(21))).toThrow(new RangeError('key hash must be 20 bytes, got 21'));
  });

  it('catches any single mistyped character as a checksum mismatch', () => {
    fc.assert(
      fc.property(hashArbitrary, fc.nat({ max: 37 }), fc.nat({ max: 30 }), (hash, position, shift) => {
        const address = encodeAddress(hash);
        const at = 4 + position;
        const replaced = ALPHABET[(ALPHABET.indexOf(address[at]!) + 1 + shift) % 32]!;
        const typo = address.slice(0, at) + replaced + address.slice(at + 1);
        expect(reasonOf(typo)).toBe('address checksum does not match (a typo?)');
      }),
    );
  });

  it('says why any other text is not a powchain address', () => {
    const hash = new Uint8Array(20).fill(7);
    const address = encodeAddress(hash);
    const cases: [string, string][] = [
      [bech32m.encode('bc', bech32m.toWords(hash)), 'address prefix must be "pow", got "bc"'],
      [
        bech32m.encode('pow', bech32m.toWords(new Uint8Array(21))),
        'address holds 21 bytes; a powchain address holds a 20-byte key hash',
      ],
      [
        bech32m.encode('pow', bech32m.toWords(new Uint8Array(19))),
        'address holds 19 bytes; a powchain address holds a 20-byte key hash',
      ],
      [bech32m.encode('pow', []), 'address holds 0 bytes; a powchain address holds a 20-byte key hash'],
      [bech32.encode('pow', bech32.toWords(hash)), 'address has a bech32 checksum; powchain addresses use bech32m'],
      [bech32m.encode('pow', [...bech32m.toWords(hash), 31]), 'address data is not a whole number of bytes'],
      ['Pow1' + address.slice(4), 'address mixes upper and lower case'],
      ['pow' + address.slice(4), 'address must start with "pow1"'],
      ['', 'address must start with "pow1"'],
      [address.slice(0, 10) + 'b' + address.slice(11), 'address contains a character outside the bech32 alphabet'],
      [address + ' ', 'address contains a character outside the bech32 alphabet'],
      ['pow1qqqqq', 'address is too short to hold a checksum'],
      ['pow1' + 'q'.repeat(86), 'address checksum does not match (a typo?)'],
      ['pow1' + 'q'.repeat(87), 'address is 91 characters; a powchain address has 42'],
      ['1qqqqqqqq', 'address prefix must be "pow", got ""'],
      [address, 'accepted'],
    ];
    for (const [text, reason] of cases) expect(reasonOf(text), text).toBe(reason);
  });

  it('answers a verdict, never an exception, for arbitrary text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.string().map((tail) => 'pow1' + tail),
        ),
        (text) => {
          const decoded = decodeAddress(text);
          if (decoded.ok) expect(encodeAddress(decoded.keyHash)).toBe(text.toLowerCase());
          else expect(decoded.reason).toMatch(/^address /);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
