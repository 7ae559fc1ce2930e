/**
 * The proof-of-work target: a block is valid when its hash, read as an unsigned
 * big-endian 256-bit integer, is <= target (docs/protocol.md).
 */
import { quote } from './quote.js';
import { FormatError, bigIntToBytes } from './bytes.js';
import { HASH_BYTES, HASH_SPACE, MAX_TARGET } from './limits.js';

/** The tutorial's TARGET = 2**235: about one valid hash in 2^21 (2,097,152) tries. */
export const DEFAULT_TARGET = 1n << 235n;

/**
 * Parses a target as written on a command line: `0xHEX`, `2^N` (or `2**N`), or decimal.
 * Refuses anything outside 1 .. 2^256-1 with a reason.
 */
export function parseTarget(text: string): bigint {
  const spelled = text.trim();
  let value: bigint;
  const power = /^2(?:\^|\*\*)(\d{1,3})$/.exec(spelled);
  if (power) {
    value = 1n << BigInt(power[1]!);
  } else if (/^0[xX][0-9a-fA-F]{1,64}$/.test(spelled)) {
    value = BigInt(spelled);
  } else if (/^\d{1,78}$/.test(spelled)) {
    value = BigInt(spelled);
  } else {
    throw new FormatError(`target must be 0xHEX, 2^N or a decimal integer, got ${quote(text)}`);
  }
  if (value < 1n || value > MAX_TARGET) {
    throw new FormatError(`target must be between 1 and 2^256-1, got ${spelled}`);
  }
  return value;
}

/** Short human form of a target: `2^235` when it is a power of two, hex otherwise. */
export function formatTarget(target: bigint): string {
  if (target > 0n && (target & (target - 1n)) === 0n) return `2^${target.toString(2).length - 1}`;
  return '0x' + target.toString(16);
}

/** The proof-of-work rule: `hash`, read as a big-endian 256-bit unsigned integer, is <= `target`. */
export function hashMeetsTarget(hash: Uint8Array, target: bigint): boolean {
  if (hash.length !== HASH_BYTES) throw new RangeError(`hash must be ${HASH_BYTES} bytes, got ${hash.length}`);
  return hashAtMeetsTarget(hash, 0, target);
}

// The last target compared against, as 32 big-endian bytes: a node checks every block against
// one target, so converting it once saves a BigInt (or a hex string) per block.
let cachedTarget = -1n;
const cachedTargetBytes = new Uint8Array(HASH_BYTES);

/**
 * hashMeetsTarget for the 32 hash bytes at `offset` in `bytes` (no view needed): compares
 * bytes, most significant first, against the target's bytes.
 */
export function hashAtMeetsTarget(bytes: Uint8Array, offset: number, target: bigint): boolean {
  if (offset < 0 || offset + HASH_BYTES > bytes.length) {
    throw new RangeError(`no ${HASH_BYTES}-byte hash at offset ${offset} of ${bytes.length} bytes`);
  }
  if (target < 0n) return false;
  if (target >= MAX_TARGET) return true;
  if (target !== cachedTarget) {
    cachedTargetBytes.set(bigIntToBytes(target, HASH_BYTES));
    cachedTarget = target;
  }
  for (let i = 0; i < HASH_BYTES; i++) {
    const hashByte = bytes[offset + i]!;
    const targetByte = cachedTargetBytes[i]!;
    if (hashByte !== targetByte) return hashByte < targetByte;
  }
  return true;
}

/** The work of a block that met `target`: floor(2^256 / (target + 1)), the expected hashes it cost. */
export function workForTarget(target: bigint): bigint {
  return HASH_SPACE / (target + 1n);
}
