/**
 * ASERT difficulty adjustment, aserti3-2d exactly as the Bitcoin Cash specification of
 * 2020-11-15 defines it: integer-only, a 16.16 fixed-point exponent, the cubic
 * approximation of 2^x, arithmetic shifts, the result clamped to [1, maxTarget]. Pure: no
 * clock, no I/O. Time units are the caller's (powchain uses milliseconds); targets are full
 * 256-bit integers, with no compact form. Constants and anchoring: docs/powchain-network.md.
 */
import { MAX_TARGET } from '../primitives/limits.js';
import type { NetworkParams } from '../primitives/params.js';

/** A safe integer or a bigint (the specification's vectors use heights beyond 2^53). */
export type Integer = number | bigint;

export interface AsertSchedule {
  /** Target of the anchor block. */
  anchorTarget: bigint;
  anchorHeight: Integer;
  /** Time of the anchor block's parent. */
  anchorParentTime: Integer;
  /** Ideal time between blocks, in the same unit as the times. */
  idealBlockTime: Integer;
  /** Time ahead of schedule that halves the target, in the same unit. */
  halfLife: Integer;
  /** Easiest target allowed; 2^256 - 1 when absent. */
  maxTarget?: bigint;
}

const RADIX_BITS = 16n;
const RADIX = 1n << RADIX_BITS;
// anchorTarget * factor < 2^256 * 2^17: a right shift of this many bits leaves 0, and a
// left shift of this many bits passes any 256-bit maxTarget. Bounding the shift keeps a
// wild timestamp from asking BigInt for a number of 2^47 bits.
const SHIFT_BOUND = 300n;

function integer(value: Integer, field: string): bigint {
  if (typeof value === 'bigint') return value;
  if (!Number.isSafeInteger(value)) throw new RangeError(`${field} must be a safe integer, got ${value}`);
  return BigInt(value);
}

/**
 * The target of the child of the block at (`parentHeight`, `parentTime`):
 *   anchorTarget * 2^((parentTime - anchorParentTime - idealBlockTime * (parentHeight - anchorHeight + 1)) / halfLife)
 * computed as the specification's integer algorithm.
 */
export function asertTarget(schedule: AsertSchedule, parentHeight: Integer, parentTime: Integer): bigint {
  const maxTarget = schedule.maxTarget ?? MAX_TARGET;
  const idealBlockTime = integer(schedule.idealBlockTime, 'idealBlockTime');
  const halfLife = integer(schedule.halfLife, 'halfLife');
  if (maxTarget < 1n || maxTarget > MAX_TARGET) throw new RangeError('maxTarget must be between 1 and 2^256-1');
  if (schedule.anchorTarget < 1n || schedule.anchorTarget > maxTarget) {
    throw new RangeError('anchorTarget must be between 1 and maxTarget');
  }
  if (idealBlockTime < 1n || halfLife < 1n) throw new RangeError('idealBlockTime and halfLife must be positive');

  const timeDelta = integer(parentTime, 'parentTime') - integer(schedule.anchorParentTime, 'anchorParentTime');
  const heightDelta = integer(parentHeight, 'parentHeight') - integer(schedule.anchorHeight, 'anchorHeight');
  // BigInt division truncates toward zero, as the reference C++ (the vectors' source) does;
  // the specification's Python sketch writes `//`, which floors, but calls it truncating.
  const exponent = ((timeDelta - idealBlockTime * (heightDelta + 1n)) * RADIX) / halfLife;
  // BigInt >> is an arithmetic shift (floor), so exponent = shifts * 2^16 + fraction with
  // 0 <= fraction < 2^16, also for a negative exponent.
  let shifts = exponent >> RADIX_BITS;
  const fraction = exponent - (shifts << RADIX_BITS);
  // 2^(fraction / 2^16) * 2^16, the specification's cubic (error < 0.013%, exact at 0 and 1).
  const factor =
    RADIX +
    ((195_766_423_245_049n * fraction + 971_821_376n * fraction ** 2n + 5_127n * fraction ** 3n + (1n << 47n)) >> 48n);
  let next = schedule.anchorTarget * factor;
  shifts -= RADIX_BITS;
  if (shifts <= 0n) {
    next = -shifts >= SHIFT_BOUND ? 0n : next >> -shifts;
  } else {
    next = shifts >= SHIFT_BOUND ? maxTarget : next << shifts;
  }
  if (next === 0n) return 1n;
  return next > maxTarget ? maxTarget : next;
}

/**
 * The schedule of a powchain network: anchored at its genesis (height 0, target the initial
 * target) with the anchor's parent time one block interval before the genesis time, so
 * that block 1, whose parent is the genesis, is mined at exactly the initial target.
 */
export function powchainSchedule(
  params: Pick<NetworkParams, 'initialTarget' | 'genesisTimeMs' | 'blockIntervalMs' | 'halfLifeMs'>,
): AsertSchedule {
  return {
    anchorTarget: params.initialTarget,
    anchorHeight: 0,
    anchorParentTime: params.genesisTimeMs - params.blockIntervalMs,
    idealBlockTime: params.blockIntervalMs,
    halfLife: params.halfLifeMs,
  };
}
