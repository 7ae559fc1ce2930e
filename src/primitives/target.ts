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

// The last target converted: a node checks every block against one target, so converting it
// once saves a BigInt (or a hex string) per block.
let cachedTarget = -1n;
const cachedTargetBytes = new Uint8Array(HASH_BYTES);

/**
 * A target >= 0 as 32 big-endian bytes, clamped to 2^256 - 1 (the bytes every hash meets).
 * The array is shared with the next call: read it before converting another target.
 */
export function targetBytes(target: bigint): Uint8Array {
  if (target < 0n) throw new RangeError(`target must be >= 0, got ${target}`);
  const bounded = target > MAX_TARGET ? MAX_TARGET : target;
  if (bounded !== cachedTarget) {
    cachedTargetBytes.set(bigIntToBytes(bounded, HASH_BYTES));
    cachedTarget = bounded;
  }
  return cachedTargetBytes;
}

/** The work of a block that met `target`: floor(2^256 / (target + 1)), the expected hashes it cost. */
export function workForTarget(target: bigint): bigint {
  return HASH_SPACE / (target + 1n);
}
