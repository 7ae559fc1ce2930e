/**
 * The wallet's key file format (docs/wallet.md): one ed25519 seed, encrypted with AES-256-GCM
 * under a key that scrypt derives from the passphrase, and the address in clear so that
 * `address`, `balance` and `history` need no passphrase. This module parses and writes the
 * JSON text and seals or opens the seed; reading and writing files is key-store.ts's job.
 *
 * Everything in a file is checked before any work is done with it: the scrypt parameters are
 * bounded (a file asking for a huge N must not hang the wallet or exhaust memory), and the
 * clear fields are the cipher's additional authenticated data, so a file whose address,
 * protection flag or parameters were changed does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { bytesToHex, hexToBytes } from '../primitives/bytes.js';
import { addressOf, decodeAddress, encodeAddress } from '../primitives/coin-address.js';
import { SEED_BYTES, keyPairFromSeed, type KeyPair } from '../primitives/keys.js';
import type { Verdict } from './errors.js';

export const KEY_FILE_TYPE = 'powchain wallet';
export const KEY_FILE_VERSION = 1;
/** A key file is about 500 bytes; anything much larger is not one (checked before reading it). */
export const MAX_KEY_FILE_BYTES = 4_096;
export const SALT_BYTES = 16;
/** GCM's standard 96-bit nonce; a fresh random one for every file (each file has its own key anyway). */
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
const DERIVED_KEY_BYTES = 32;

export interface ScryptParams {
  /** CPU/memory cost: a power of two. */
  n: number;
  /** Block size. */
  r: number;
  /** Parallelism (node:crypto runs the p lanes one after another, so time grows with p). */
  p: number;
}

/** OWASP's recommendation for scrypt: 128 MiB of memory, a few tenths of a second. */
export const DEFAULT_SCRYPT: ScryptParams = { n: 2 ** 17, r: 8, p: 1 };
export const MIN_SCRYPT_N = 2 ** 10;
export const MAX_SCRYPT_N = 2 ** 20;
export const MAX_SCRYPT_R = 32;
export const MAX_SCRYPT_P = 16;
/** scrypt needs 128 × N × r bytes: at most 256 MiB, twice the default. */
export const MAX_SCRYPT_MEMORY_BYTES = 256 * 1024 * 1024;
/** Time grows with N × r × p: at most 4 times the default's 2^20. */
export const MAX_SCRYPT_WORK = 2 ** 22;
/**
 * An unprotected (test network) file: the passphrase is empty, so the KDF's cost would protect
 * nothing. It still goes through the same format and cipher, at the smallest accepted cost.
 */
export const UNPROTECTED_SCRYPT: ScryptParams = { n: MIN_SCRYPT_N, r: 8, p: 1 };

export interface KeyFile {
  /** The address of the key, lower case (`pow1…`). */
  address: string;
  /** False for a file made with --insecure-no-passphrase: the passphrase is empty. */
  protected: boolean;
  kdf: ScryptParams & { salt: Uint8Array };
  iv: Uint8Array;
  tag: Uint8Array;
  /** The 32-byte ed25519 seed, encrypted. */
  encryptedSeed: Uint8Array;
}

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const HEX = /^[0-9a-f]*$/;

/** Checks the scrypt parameters against the bounds; the reason names the first one broken. */
export function checkScryptParams(params: ScryptParams): { ok: true } | { ok: false; reason: string } {
  const { n, r, p } = params;
  const powerOfTwo = Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
  if (!powerOfTwo || n < MIN_SCRYPT_N || n > MAX_SCRYPT_N) {
    return { ok: false, reason: `kdf.n must be a power of two from ${MIN_SCRYPT_N} to ${MAX_SCRYPT_N}, got ${n}` };
  }
  if (!Number.isSafeInteger(r) || r < 1 || r > MAX_SCRYPT_R) {
    return { ok: false, reason: `kdf.r must be an integer from 1 to ${MAX_SCRYPT_R}, got ${r}` };
  }
  if (!Number.isSafeInteger(p) || p < 1 || p > MAX_SCRYPT_P) {
    return { ok: false, reason: `kdf.p must be an integer from 1 to ${MAX_SCRYPT_P}, got ${p}` };
  }
  const memory = 128 * n * r;
  if (memory > MAX_SCRYPT_MEMORY_BYTES) {
    return {
      ok: false,
      reason: `kdf: scrypt with n=${n}, r=${r} needs ${memory / 2 ** 20} MiB of memory, at most ${MAX_SCRYPT_MEMORY_BYTES / 2 ** 20} MiB`,
    };
  }
  if (n * r * p > MAX_SCRYPT_WORK) {
    return { ok: false, reason: `kdf: n × r × p = ${n * r * p} is more work than the limit of ${MAX_SCRYPT_WORK}` };
  }
  return { ok: true };
}

function hexField(object: JsonObject, name: string, path: string, bytes: number): Uint8Array | string {
  const value = object[name];
  if (typeof value !== 'string' || value.length !== 2 * bytes || !HEX.test(value)) {
    return `${path}${name} must be ${bytes} bytes as ${2 * bytes} lower-case hex digits`;
  }
  return hexToBytes(value);
}

function integerField(object: JsonObject, name: string): number | undefined {
  const value = object[name];
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
}

/** Fields of each object, so that a misspelt or foreign field is refused rather than ignored. */
const FIELDS = {
  '': ['type', 'version', 'address', 'protected', 'kdf', 'cipher', 'encryptedSeed'],
  'kdf.': ['name', 'n', 'r', 'p', 'salt'],
  'cipher.': ['name', 'iv', 'tag'],
} as const;

function unknownField(object: JsonObject, path: keyof typeof FIELDS): string | undefined {
  const known: readonly string[] = FIELDS[path];
  const extra = Object.keys(object).find((key) => !known.includes(key));
  return extra === undefined ? undefined : `unknown field ${JSON.stringify(path + extra).slice(0, 80)}`;
}

/** Parses key file text; every refusal says which field is wrong. Never throws. */
export function parseKeyFile(text: string): Verdict<KeyFile> {
  if (text.length > MAX_KEY_FILE_BYTES) {
    return { ok: false, reason: `it is ${text.length} characters long, a key file is at most ${MAX_KEY_FILE_BYTES}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'it is not JSON' };
  }
  if (!isObject(json)) return { ok: false, reason: 'it is not a JSON object' };
  if (json.type !== KEY_FILE_TYPE) return { ok: false, reason: `type must be "${KEY_FILE_TYPE}"` };
  if (json.version !== KEY_FILE_VERSION) {
    const version = integerField(json, 'version');
    return {
      ok: false,
      reason:
        version === undefined
          ? 'version must be an integer'
          : `version ${version} is not one this powchain reads (it reads version ${KEY_FILE_VERSION})`,
    };
  }
  const extra = unknownField(json, '');
  if (extra) return { ok: false, reason: extra };

  if (typeof json.address !== 'string') return { ok: false, reason: 'address must be a string' };
  const address = decodeAddress(json.address);
  if (!address.ok) return { ok: false, reason: `address: ${address.reason}` };
  if (encodeAddress(address.keyHash) !== json.address) return { ok: false, reason: 'address must be in lower case' };
  if (typeof json.protected !== 'boolean') return { ok: false, reason: 'protected must be true or false' };

  const kdf = json.kdf;
  if (!isObject(kdf)) return { ok: false, reason: 'kdf must be an object' };
  const kdfExtra = unknownField(kdf, 'kdf.');
  if (kdfExtra) return { ok: false, reason: kdfExtra };
  if (kdf.name !== 'scrypt') return { ok: false, reason: 'kdf.name must be "scrypt"' };
  const [n, r, p] = [integerField(kdf, 'n'), integerField(kdf, 'r'), integerField(kdf, 'p')];
  if (n === undefined || r === undefined || p === undefined) {
    return { ok: false, reason: 'kdf.n, kdf.r and kdf.p must be integers' };
  }
  const bounded = checkScryptParams({ n, r, p });
  if (!bounded.ok) return bounded;
  const salt = hexField(kdf, 'salt', 'kdf.', SALT_BYTES);
  if (typeof salt === 'string') return { ok: false, reason: salt };

  const cipher = json.cipher;
  if (!isObject(cipher)) return { ok: false, reason: 'cipher must be an object' };
  const cipherExtra = unknownField(cipher, 'cipher.');
  if (cipherExtra) return { ok: false, reason: cipherExtra };
  if (cipher.name !== 'aes-256-gcm') return { ok: false, reason: 'cipher.name must be "aes-256-gcm"' };
  const iv = hexField(cipher, 'iv', 'cipher.', IV_BYTES);
  if (typeof iv === 'string') return { ok: false, reason: iv };
  const tag = hexField(cipher, 'tag', 'cipher.', TAG_BYTES);
  if (typeof tag === 'string') return { ok: false, reason: tag };
  const encryptedSeed = hexField(json, 'encryptedSeed', '', SEED_BYTES);
  if (typeof encryptedSeed === 'string') return { ok: false, reason: encryptedSeed };

  return {
    ok: true,
    value: { address: json.address, protected: json.protected, kdf: { n, r, p, salt }, iv, tag, encryptedSeed },
  };
}

/** The file's JSON text, fields in a fixed order, ending with a newline. */
export function formatKeyFile(file: KeyFile): string {
  const json = {
    type: KEY_FILE_TYPE,
    version: KEY_FILE_VERSION,
    address: file.address,
    protected: file.protected,
    kdf: { name: 'scrypt', n: file.kdf.n, r: file.kdf.r, p: file.kdf.p, salt: bytesToHex(file.kdf.salt) },
    cipher: { name: 'aes-256-gcm', iv: bytesToHex(file.iv), tag: bytesToHex(file.tag) },
    encryptedSeed: bytesToHex(file.encryptedSeed),
  };
  return JSON.stringify(json, null, 2) + '\n';
}

/**
 * The additional authenticated data: every clear field but the tag. Changing the address,
 * the protection flag, the KDF parameters or the IV makes the file fail to open.
 */
function associatedData(file: Omit<KeyFile, 'tag' | 'encryptedSeed'>): Buffer {
  const { n, r, p, salt } = file.kdf;
  return Buffer.from(
    `${KEY_FILE_TYPE} v${KEY_FILE_VERSION}|${file.address}|protected=${file.protected}|` +
      `scrypt n=${n} r=${r} p=${p} salt=${bytesToHex(salt)}|aes-256-gcm iv=${bytesToHex(file.iv)}`,
  );
}

/** scrypt of the passphrase (NFC, so the same words typed anywhere give the same key), off the main thread. */
function deriveKey(passphrase: string, kdf: ScryptParams & { salt: Uint8Array }): Promise<Buffer> {
  const bounded = checkScryptParams(kdf);
  if (!bounded.ok) throw new RangeError(bounded.reason);
  return new Promise((resolve, reject) => {
    scrypt(
      Buffer.from(passphrase.normalize('NFC'), 'utf8'),
      kdf.salt,
      DERIVED_KEY_BYTES,
      // maxmem is node's own guard; the bounds above are the real limit (128·r·(N+2) + 128·r·p bytes).
      { N: kdf.n, r: kdf.r, p: kdf.p, maxmem: 2 * MAX_SCRYPT_MEMORY_BYTES },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

export interface SealOptions {
  /** Default DEFAULT_SCRYPT, or UNPROTECTED_SCRYPT when the passphrase is empty. */
  scrypt?: ScryptParams;
}

/**
 * A key file holding `seed` under `passphrase`; an empty passphrase makes an unprotected file
 * (`protected: false`, for test networks).
 */
export async function sealSeed(seed: Uint8Array, passphrase: string, options: SealOptions = {}): Promise<KeyFile> {
  if (seed.length !== SEED_BYTES) throw new RangeError(`seed must be ${SEED_BYTES} bytes`);
  const isProtected = passphrase !== '';
  const params = options.scrypt ?? (isProtected ? DEFAULT_SCRYPT : UNPROTECTED_SCRYPT);
  const header = {
    address: addressOf(keyPairFromSeed(seed).publicKey),
    protected: isProtected,
    kdf: { ...params, salt: new Uint8Array(randomBytes(SALT_BYTES)) },
    iv: new Uint8Array(randomBytes(IV_BYTES)),
  };
  const key = await deriveKey(passphrase, header.kdf);
  try {
    const cipher = createCipheriv('aes-256-gcm', key, header.iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(header));
    const encryptedSeed = new Uint8Array(Buffer.concat([cipher.update(seed), cipher.final()]));
    return { ...header, tag: new Uint8Array(cipher.getAuthTag()), encryptedSeed };
  } finally {
    key.fill(0);
  }
}

/** A fresh key (32 random bytes are a valid ed25519 seed, RFC 8032) in a new key file. */
export async function newKeyFile(passphrase: string, options: SealOptions = {}): Promise<KeyFile> {
  const seed = new Uint8Array(randomBytes(SEED_BYTES));
  try {
    return await sealSeed(seed, passphrase, options);
  } finally {
    seed.fill(0);
  }
}

export const WRONG_PASSPHRASE = 'wrong passphrase, or the file was altered (its authentication tag does not match)';

/** Decrypts the seed; a wrong passphrase and any change to the file answer the same refusal. */
export async function openKeyFile(file: KeyFile, passphrase: string): Promise<Verdict<KeyPair>> {
  const bounded = checkScryptParams(file.kdf);
  if (!bounded.ok) return bounded;
  const key = await deriveKey(passphrase, file.kdf);
  let seed: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, file.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(file));
    decipher.setAuthTag(file.tag);
    seed = Buffer.concat([decipher.update(file.encryptedSeed), decipher.final()]);
  } catch {
    // final() throws when the tag does not authenticate the ciphertext and the clear fields.
    return { ok: false, reason: WRONG_PASSPHRASE };
  } finally {
    key.fill(0);
  }
  try {
    if (seed.length !== SEED_BYTES) return { ok: false, reason: WRONG_PASSPHRASE };
    const keys = keyPairFromSeed(seed);
    // The tag already covers the address; this catches a file sealed with another key's address.
    if (addressOf(keys.publicKey) !== file.address) {
      return { ok: false, reason: `the key in the file is not the key of its address ${file.address}` };
    }
    return { ok: true, value: keys };
  } finally {
    seed.fill(0);
  }
}
