/**
 * Design study behind the default ASERT half-life (docs/powchain-network.md): 1 s blocks,
 * a steady miner, then a second miner doubles the hashrate. For each half-life, over 200
 * simulated chains (deterministic pseudo-random solve times, real asertTarget): how long
 * until blocks are expected within 10% of the interval again (median and 90th percentile),
 * how much the target wanders at steady hashrate, and how far one block one second late
 * moves it. Run with `npx tsx bench/asert-halflife.ts`.
 */
import { percentile, xorshift32 } from './simulation.js';
import { asertTarget, type AsertSchedule } from '../src/consensus/asert.js';

const INTERVAL_MS = 1_000;
const INITIAL_TARGET = 1n << 240n;
const CHAINS = 200;
const STEADY_BLOCKS = 3_000;

/** The same numbers on every run. */
const uniform = xorshift32();

/** Expected solve time (ms) of a block at `target` for a hashrate `rate` (1: the initial target's). */
function meanSolveMs(target: bigint, rate: number): number {
  return (INTERVAL_MS * Number((INITIAL_TARGET * 1_000_000n) / target)) / 1_000_000 / rate;
}

function study(halfLifeMs: number) {
  const schedule: AsertSchedule = {
    anchorTarget: INITIAL_TARGET,
    anchorHeight: 0,
    anchorParentTime: -INTERVAL_MS,
    idealBlockTime: INTERVAL_MS,
    halfLife: halfLifeMs,
  };
  const recoverySeconds: number[] = [];
  const spreads: number[] = [];
  for (let chain = 0; chain < CHAINS; chain++) {
    let height = 0;
    let time = 0;
    const logTargets: number[] = [];
    for (let i = 0; i < STEADY_BLOCKS; i++) {
      const target = asertTarget(schedule, height, time);
      if (i >= STEADY_BLOCKS / 3) logTargets.push(Math.log2(Number(target)));
      time += Math.round(-Math.log(uniform()) * meanSolveMs(target, 1));
      height += 1;
    }
    const mean = logTargets.reduce((a, b) => a + b, 0) / logTargets.length;
    spreads.push(Math.sqrt(logTargets.reduce((a, b) => a + (b - mean) ** 2, 0) / logTargets.length));
    const joined = time;
    for (;;) {
      const solveMs = meanSolveMs(asertTarget(schedule, height, time), 2);
      if (solveMs >= 0.9 * INTERVAL_MS) break;
      time += Math.round(-Math.log(uniform()) * solveMs);
      height += 1;
    }
    recoverySeconds.push((time - joined) / 1_000);
  }
  return {
    'half-life s': halfLifeMs / 1_000,
    'back within 10%, median s': Number(percentile(recoverySeconds, 0.5).toFixed(1)),
    'p90 s': Number(percentile(recoverySeconds, 0.9).toFixed(1)),
    'steady target spread ±%': Number(((2 ** percentile(spreads, 0.5) - 1) * 100).toFixed(1)),
    'one block 1 s late: target +%': Number(((2 ** (INTERVAL_MS / halfLifeMs) - 1) * 100).toFixed(2)),
  };
}

console.log(`ASERT at ${INTERVAL_MS} ms blocks, hashrate doubling, ${CHAINS} chains per half-life`);
console.table([10_000, 20_000, 30_000, 60_000, 120_000].map(study));
