/**
 * How a powchain network started at the wrong target comes back to its block interval
 * (docs/powchain-network.md "ASERT"): the real asertTarget over the real schedule of a
 * genesis (1,000 ms blocks, the default 30,000 ms half-life), a steady hashrate whose right
 * target is T, and an initial target 2^10 times too easy (T * 2^10) or too hard (T / 2^10).
 * Solve times are drawn from the exponential distribution (deterministic pseudo-random
 * numbers), never shorter than 1 ms (what a devnet node takes to accept a block and start on
 * the next). For each start, over 200 chains: the median of the mean block interval in
 * windows of height, and the height and time at which a block is expected within 10% of
 * the interval again, for the first time after block 1 (median and 90th percentile).
 *
 *   npx tsx bench/asert-recovery.ts
 */
import { percentile, xorshift32 } from './simulation.js';
import { asertTarget, powchainSchedule } from '../src/consensus/asert.js';

const INTERVAL_MS = 1_000;
const HALF_LIFE_MS = 30_000;
const RIGHT_TARGET = 1n << 220n;
const CHAINS = 200;
const MIN_SOLVE_MS = 1;
const WINDOWS: Array<[number, number]> = [
  [1, 1],
  [2, 10],
  [11, 50],
  [51, 100],
  [101, 200],
  [201, 300],
  [301, 400],
  [401, 500],
  [501, 700],
  [701, 1000],
  [1001, 1500],
  [1501, 2000],
  [2001, 3000],
  [3001, 5000],
];
const HEIGHTS = WINDOWS[WINDOWS.length - 1]![1];

/** The same numbers on every run. */
const uniform = xorshift32();

/** Expected solve time (ms) of a block at `target` for the steady hashrate. */
function meanSolveMs(target: bigint): number {
  return (INTERVAL_MS * Number((RIGHT_TARGET * 1_000_000n) / target)) / 1_000_000;
}

function study(initialTarget: bigint) {
  const schedule = powchainSchedule({
    initialTarget,
    genesisTimeMs: 0,
    blockIntervalMs: INTERVAL_MS,
    halfLifeMs: HALF_LIFE_MS,
  });
  const windowMeans: number[][] = WINDOWS.map(() => []);
  const backHeights: number[] = [];
  const backSeconds: number[] = [];
  for (let chain = 0; chain < CHAINS; chain++) {
    // times[h]: the time of the block at height h; the genesis at 0.
    const times = [0];
    let back: number | undefined;
    for (let height = 1; height <= HEIGHTS; height++) {
      const target = asertTarget(schedule, height - 1, times[height - 1]!);
      const expected = meanSolveMs(target);
      // Back: the first height past the first whose block is expected within 10% of the interval.
      if (back === undefined && Math.abs(expected - INTERVAL_MS) <= 0.1 * INTERVAL_MS && height > 1) back = height;
      const solve = Math.max(MIN_SOLVE_MS, Math.round(-Math.log(uniform()) * expected));
      times.push(times[height - 1]! + solve);
    }
    WINDOWS.forEach(([from, to], i) => windowMeans[i]!.push((times[to]! - times[from - 1]!) / (to - from + 1)));
    backHeights.push(back ?? Number.POSITIVE_INFINITY);
    backSeconds.push(back === undefined ? Number.POSITIVE_INFINITY : times[back - 1]! / 1_000);
  }
  return { windowMeans, backHeights, backSeconds };
}

const format = (ms: number): string => (ms >= 10_000 ? `${(ms / 1_000).toFixed(0)} s` : `${ms.toFixed(0)} ms`);
const easy = study(RIGHT_TARGET << 10n);
const hard = study(RIGHT_TARGET >> 10n);
console.log(
  `ASERT at ${INTERVAL_MS} ms blocks, half-life ${HALF_LIFE_MS} ms, steady hashrate, ${CHAINS} chains per start`,
);
console.log('heights    | 2^10 too easy: median mean interval | 2^10 too hard');
WINDOWS.forEach(([from, to], i) => {
  const span = from === to ? `${from}` : `${from}-${to}`;
  console.log(
    `${span.padEnd(10)} | ${format(percentile(easy.windowMeans[i]!, 0.5)).padStart(8)} | ${format(percentile(hard.windowMeans[i]!, 0.5)).padStart(8)}`,
  );
});
for (const [name, run] of [
  ['too easy', easy],
  ['too hard', hard],
] as const) {
  console.log(
    `${name}: a block expected within 10% of the interval again from height ${percentile(run.backHeights, 0.5)} ` +
      `(p90 ${percentile(run.backHeights, 0.9)}), after ${percentile(run.backSeconds, 0.5).toFixed(0)} s ` +
      `(p90 ${percentile(run.backSeconds, 0.9).toFixed(0)} s)`,
  );
}
