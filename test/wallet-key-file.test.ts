import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../src/primitives/bytes.js';
import { addressOf } from '../src/primitives/coin-address.js';
import { keyPairFromSeed, seedOf } from '../src/primitives/keys.js';
import { WalletError } from '../src/wallet/errors.js';
import {
  DEFAULT_SCRYPT,
  MAX_KEY_FILE_BYTES,
  MAX_SCRYPT_N,
  MAX_SCRYPT_P,
  MAX_SCRYPT_R,
  MIN_SCRYPT_N,
  UNPROTECTED_SCRYPT,
  WRONG_PASSPHRASE,
  checkScryptParams,
  formatKeyFile,
  newKeyFile,
  openKeyFile,
  parseKeyFile,
  sealSeed,
  type KeyFile,
  type ScryptParams,
} from '../src/wallet/key-file.js';
import { KEY_FILE_MODE, WALLET_DIR_MODE, readKeyFile, writeNewKeyFile } from '../src/wallet/key-store.js';

/** The cheapest accepted parameters: these tests are about the format, not the KDF's cost. */
const FAST: ScryptParams = { n: MIN_SCRYPT_N, r: 1, p: 1 };
const SEED = hexToBytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const OTHER_ADDRESS = addressOf(keyPairFromSeed(new Uint8Array(32).fill(7)).publicKey);

function parsed(text: string): KeyFile {
  const verdict = parseKeyFile(text);
  if (!verdict.ok) throw new Error(verdict.reason);
  return verdict.value;
}

type Json = Record<string, unknown>;

/**
 * The file's JSON text with the field at `path` (like `kdf.n`) set to `value`, or to what
 * `value` makes of the old text; `undefined` removes the field.
 */
function edited(file: KeyFile, path: string, value: unknown): string {
  const json = JSON.parse(formatKeyFile(file)) as Json;
  const keys = path.split('.');
  const last = keys.pop()!;
  const parent = keys.reduce((object, key) => object[key] as Json, json);
  parent[last] = typeof value === 'function' ? (value as (old: string) => unknown)(parent[last] as string) : value;
  return JSON.stringify(json);
}

function flipHexDigit(hex: string, at = 0): string {
  const digit = hex[at] === '0' ? '1' : '0';
  return hex.slice(0, at) + digit + hex.slice(at + 1);
}

describe('key file: sealing and opening', () => {
  it('round trip: the same seed and address come back, through the JSON text', async () => {
    const file = await sealSeed(SEED, 'correct horse', { scrypt: FAST });
    expect(file.address).toBe(addressOf(keyPairFromSeed(SEED).publicKey));
    expect(file.protected).toBe(true);
    const text = formatKeyFile(file);
    expect(formatKeyFile(parsed(text))).toBe(text);
    const opened = await openKeyFile(parsed(text), 'correct horse');
    expect(opened.ok).toBe(true);
    if (opened.ok) expect(bytesToHex(seedOf(opened.value.privateKey))).toBe(bytesToHex(SEED));
    // The seed is not in the file in clear.
    expect(text).not.toContain(bytesToHex(SEED));
  });

  it('a wrong passphrase is refused with the one reason', async () => {
    const file = await sealSeed(SEED, 'correct horse', { scrypt: FAST });
    expect(await openKeyFile(file, 'correct hors')).toEqual({ ok: false, reason: WRONG_PASSPHRASE });
    expect(await openKeyFile(file, '')).toEqual({ ok: false, reason: WRONG_PASSPHRASE });
  });

  it('any change to the ciphertext, tag, IV, salt, KDF parameters, address or protection flag fails to open', async () => {
    const file = await sealSeed(SEED, 'pass', { scrypt: FAST });
    const flip = (at: number) => (hex: string) => flipHexDigit(hex, at);
    const edits: Array<[string, unknown]> = [
      ['encryptedSeed', flip(63)],
      ['cipher.tag', flip(5)],
      ['cipher.iv', flip(0)],
      ['kdf.salt', flip(0)],
      ['kdf.n', 2 * MIN_SCRYPT_N],
      ['kdf.r', 2],
      ['kdf.p', 2],
      ['address', OTHER_ADDRESS],
      ['protected', false],
    ];
    for (const [path, value] of edits) {
      const tampered = parsed(edited(file, path, value));
      expect(await openKeyFile(tampered, 'pass')).toEqual({ ok: false, reason: WRONG_PASSPHRASE });
    }
    expect((await openKeyFile(file, 'pass')).ok).toBe(true);
  });

  it('a ciphertext cut short fails the same way: the tag covers its length', async () => {
    const file = await sealSeed(SEED, 'pass', { scrypt: FAST });
    expect(await openKeyFile({ ...file, encryptedSeed: file.encryptedSeed.subarray(0, 31) }, 'pass')).toEqual({
      ok: false,
      reason: WRONG_PASSPHRASE,
    });
  });

  it('an empty passphrase makes an unprotected file at the smallest KDF cost', async () => {
    const file = await newKeyFile('');
    expect(file.protected).toBe(false);
    expect({ n: file.kdf.n, r: file.kdf.r, p: file.kdf.p }).toEqual(UNPROTECTED_SCRYPT);
    expect((await openKeyFile(file, '')).ok).toBe(true);
    expect((await openKeyFile(file, 'x')).ok).toBe(false);
  });

  it('a protected file uses the default KDF parameters unless told otherwise', async () => {
    const file = await newKeyFile('pass', { scrypt: FAST });
    expect(file.kdf.n).toBe(FAST.n);
    expect(DEFAULT_SCRYPT).toEqual({ n: 2 ** 17, r: 8, p: 1 });
    expect(checkScryptParams(DEFAULT_SCRYPT).ok).toBe(true);
  });

  it('the passphrase is taken in NFC: a composed and a decomposed é open the same file', async () => {
    const file = await sealSeed(SEED, 'caf\u00e9', { scrypt: FAST });
    expect((await openKeyFile(file, 'cafe\u0301')).ok).toBe(true);
  });

  it('every file gets its own salt and IV', async () => {
    const [a, b] = [await sealSeed(SEED, 'pass', { scrypt: FAST }), await sealSeed(SEED, 'pass', { scrypt: FAST })];
    expect(bytesToHex(a.kdf.salt)).not.toBe(bytesToHex(b.kdf.salt));
    expect(bytesToHex(a.iv)).not.toBe(bytesToHex(b.iv));
    expect(bytesToHex(a.encryptedSeed)).not.toBe(bytesToHex(b.encryptedSeed));
  });
});

describe('key file: scrypt parameters are bounded before any work', () => {
  const refused = (params: ScryptParams): string => {
    const verdict = checkScryptParams(params);
    return verdict.ok ? 'accepted' : verdict.reason;
  };

  it('n: a power of two from 2^10 to 2^20', () => {
    expect(refused({ n: MIN_SCRYPT_N, r: 8, p: 1 })).toBe('accepted');
    expect(refused({ n: MIN_SCRYPT_N / 2, r: 8, p: 1 })).toBe(
      'kdf.n must be a power of two from 1024 to 1048576, got 512',
    );
    expect(refused({ n: MAX_SCRYPT_N, r: 2, p: 1 })).toBe('accepted');
    expect(refused({ n: MAX_SCRYPT_N * 2, r: 1, p: 1 })).toBe(
      'kdf.n must be a power of two from 1024 to 1048576, got 2097152',
    );
    expect(refused({ n: 1025, r: 1, p: 1 })).toMatch(/^kdf\.n must be a power of two/);
    expect(refused({ n: 2 ** 40, r: 1, p: 1 })).toMatch(/^kdf\.n must be a power of two/);
  });

  it('r and p: small integers', () => {
    expect(refused({ n: MIN_SCRYPT_N, r: MAX_SCRYPT_R, p: 1 })).toBe('accepted');
    expect(refused({ n: MIN_SCRYPT_N, r: MAX_SCRYPT_R + 1, p: 1 })).toBe(
      'kdf.r must be an integer from 1 to 32, got 33',
    );
    expect(refused({ n: MIN_SCRYPT_N, r: 0, p: 1 })).toBe('kdf.r must be an integer from 1 to 32, got 0');
    expect(refused({ n: MIN_SCRYPT_N, r: 1, p: MAX_SCRYPT_P })).toBe('accepted');
    expect(refused({ n: MIN_SCRYPT_N, r: 1, p: MAX_SCRYPT_P + 1 })).toBe(
      'kdf.p must be an integer from 1 to 16, got 17',
    );
  });

  it('memory (128 × n × r) at most 256 MiB, work (n × r × p) at most 2^22', () => {
    expect(refused({ n: 2 ** 18, r: 8, p: 1 })).toBe('accepted');
    expect(refused({ n: 2 ** 18, r: 9, p: 1 })).toBe(
      'kdf: scrypt with n=262144, r=9 needs 288 MiB of memory, at most 256 MiB',
    );
    expect(refused({ n: 2 ** 18, r: 8, p: 2 })).toBe('accepted');
    expect(refused({ n: 2 ** 18, r: 8, p: 3 })).toBe('kdf: n × r × p = 6291456 is more work than the limit of 4194304');
  });

  it('a file asking for a huge n is refused by the parser, and openKeyFile refuses it without running scrypt', async () => {
    const file = await sealSeed(SEED, 'pass', { scrypt: FAST });
    const text = edited(file, 'kdf.n', 2 ** 40);
    expect(parseKeyFile(text)).toEqual({
      ok: false,
      reason: 'kdf.n must be a power of two from 1024 to 1048576, got 1099511627776',
    });
    const huge = { ...file, kdf: { ...file.kdf, n: 2 ** 40, r: 1024 } };
    expect(await openKeyFile(huge, 'pass')).toEqual({
      ok: false,
      reason: 'kdf.n must be a power of two from 1024 to 1048576, got 1099511627776',
    });
  });
});

describe('key file: parsing refusals name the field', () => {
  it('refuses what is not a key file, field by field', async () => {
    const file = await sealSeed(SEED, 'pass', { scrypt: FAST });
    const cases: Array<[string, string]> = [
      ['', 'it is not JSON'],
      ['[]', 'it is not a JSON object'],
      ['{}', 'type must be "powchain wallet"'],
      [edited(file, 'version', 2), 'version 2 is not one this powchain reads (it reads version 1)'],
      [edited(file, 'version', '1'), 'version must be an integer'],
      [edited(file, 'extra', 1), 'unknown field "extra"'],
      [edited(file, 'kdf.cost', 1), 'unknown field "kdf.cost"'],
      [edited(file, 'cipher.aad', ''), 'unknown field "cipher.aad"'],
      [edited(file, 'address', 42), 'address must be a string'],
      [
        edited(file, 'address', (old: string) => flipHexDigit(old, 10)),
        'address: address checksum does not match (a typo?)',
      ],
      [edited(file, 'address', (old: string) => old.toUpperCase()), 'address must be in lower case'],
      [edited(file, 'protected', 'yes'), 'protected must be true or false'],
      [edited(file, 'kdf', 'scrypt'), 'kdf must be an object'],
      [edited(file, 'kdf.name', 'argon2id'), 'kdf.name must be "scrypt"'],
      [edited(file, 'kdf.n', 1024.5), 'kdf.n, kdf.r and kdf.p must be integers'],
      [edited(file, 'kdf.p', undefined), 'kdf.n, kdf.r and kdf.p must be integers'],
      [
        edited(file, 'kdf.salt', (old: string) => old.slice(2)),
        'kdf.salt must be 16 bytes as 32 lower-case hex digits',
      ],
      [edited(file, 'cipher.name', 'aes-128-gcm'), 'cipher.name must be "aes-256-gcm"'],
      [
        edited(file, 'cipher.iv', (old: string) => old.toUpperCase()),
        'cipher.iv must be 12 bytes as 24 lower-case hex digits',
      ],
      [edited(file, 'cipher.tag', undefined), 'cipher.tag must be 16 bytes as 32 lower-case hex digits'],
      [
        edited(file, 'encryptedSeed', (old: string) => old + '00'),
        'encryptedSeed must be 32 bytes as 64 lower-case hex digits',
      ],
      [' '.repeat(MAX_KEY_FILE_BYTES + 1), 'it is 4097 characters long, a key file is at most 4096'],
    ];
    for (const [text, reason] of cases) expect(parseKeyFile(text)).toEqual({ ok: false, reason });
    // At the size limit, whitespace is still just JSON whitespace.
    const padded = formatKeyFile(file).padEnd(MAX_KEY_FILE_BYTES, ' ');
    expect(parseKeyFile(padded).ok).toBe(true);
  });
});

describe('key file on disk', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'powchain-wallet-'));
    dirs.push(dir);
    return dir;
  };

  it('a new file is 0600 in a new folder of 0700, whatever the umask, and reads back', async () => {
    const dir = tempDir();
    const path = join(dir, 'nested', 'wallet.json');
    const file = await sealSeed(SEED, 'pass', { scrypt: FAST });
    const umask = process.umask(0);
    try {
      writeNewKeyFile(path, file);
    } finally {
      process.umask(umask);
    }
    expect(statSync(path).mode & 0o777).toBe(KEY_FILE_MODE);
    expect(statSync(join(dir, 'nested')).mode & 0o777).toBe(WALLET_DIR_MODE);
    expect(readFileSync(path, 'utf8')).toBe(formatKeyFile(file));
    expect(formatKeyFile(readKeyFile(path))).toBe(formatKeyFile(file));
    // Only the wallet is left: the temporary file became it.
    expect(readdirSync(join(dir, 'nested'))).toEqual(['wallet.json']);
  });

  it('never overwrites an existing file, and leaves no temporary file behind', async () => {
    const dir = tempDir();
    const path = join(dir, 'wallet.json');
    writeFileSync(path, 'precious');
    const file = await sealSeed(SEED, 'pass', { scrypt: FAST });
    expect(() => writeNewKeyFile(path, file)).toThrow(
      new WalletError(`${path} exists already; a wallet is never overwritten`),
    );
    expect(readFileSync(path, 'utf8')).toBe('precious');
    expect(readdirSync(dir)).toEqual(['wallet.json']);
  });

  it('reading: a missing file, a folder, an oversized file and a malformed one are one-line refusals', async () => {
    const dir = tempDir();
    const missing = join(dir, 'none.json');
    expect(() => readKeyFile(missing)).toThrow(
      new WalletError(`no wallet at ${missing} (create one with \`powchain wallet new\`)`),
    );
    mkdirSync(join(dir, 'folder'));
    expect(() => readKeyFile(join(dir, 'folder'))).toThrow(
      new WalletError(`cannot read the wallet ${join(dir, 'folder')}: it is not a file`),
    );
    const large = join(dir, 'large.json');
    writeFileSync(large, ' '.repeat(MAX_KEY_FILE_BYTES + 1));
    expect(() => readKeyFile(large)).toThrow(
      new WalletError(`${large} is not a powchain wallet: it is 4097 bytes, a key file is at most 4096`),
    );
    const malformed = join(dir, 'malformed.json');
    writeFileSync(malformed, '{"type": "powchain wallet", "version": 1, "address": 7}');
    expect(() => readKeyFile(malformed)).toThrow(
      new WalletError(`${malformed} is not a powchain wallet: address must be a string`),
    );
  });
});
