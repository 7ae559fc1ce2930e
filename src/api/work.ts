/**
 * The numbers the API derives from a target and block times (docs/api.md): the work a block
 * stands for, difficulty, and the network hashrate that recent blocks imply. Pure functions,
 * shared by the node's ApiSource and the fake one.
 */
import { MAX_TARGET } from '../primitives/limits.js';

/** (2^256 - 1) / target as a float: 1 at the easiest target. */
export function difficultyOf(target: bigint): number {
  return Number(MAX_TARGET) / Number(target);
}

/** A target as the API writes it: 64 lowercase hex digits. */
export function targetHex(target: bigint): string {
  return target.toString(16).padStart(64, '0');
}

/**
 * Mean interval and implied network hashrate over a run of consecutive main-chain block
 * times (oldest first). null when fewer than two times, or no time passed.
 */
export function recentRate(
  times: readonly number[],
  work: bigint,
): { intervalMs: number; hashesPerSecond: number } | null {
  if (times.length < 2) return null;
  const spanMs = times[times.length - 1]! - times[0]!;
  if (!(spanMs > 0)) return null;
  const intervalMs = spanMs / (times.length - 1);
  return { intervalMs, hashesPerSecond: Number(work) / (intervalMs / 1000) };
}
