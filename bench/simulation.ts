/**
 * What the ASERT simulations (bench/asert-halflife.ts, bench/asert-recovery.ts) share: a
 * deterministic source of uniform numbers, so a run prints the same figures every time, and
 * the percentile they report.
 */

/** xorshift32 from `seed`: uniform numbers in (0, 1), the same sequence on every run. */
export function xorshift32(seed = 0x2545f491): () => number {
  let state = seed;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) + 0.5) / 2 ** 32;
  };
}

/** The value at fraction `p` (0..1) of `values` sorted, nearest rank below. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}
