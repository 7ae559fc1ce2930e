import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asertTarget, powchainSchedule, type AsertSchedule } from '../src/consensus/asert.js';
import { MAX_TARGET } from '../src/primitives/limits.js';
import { DEFAULT_PARAMS } from '../src/primitives/params.js';

// ---- The specification's published vectors (test/vectors/asert/README.md) ----

/** Bitcoin's compact "nBits" form of a target, as the vectors write it (test helper only). */
function compactToTarget(bits: number): bigint {
  const size = bits >>> 24;
  const mantissa = BigInt(bits & 0x007fffff);
  return size <= 3 ? mantissa >> BigInt(8 * (3 - size)) : mantissa << BigInt(8 * (size - 3));
}

function targetToCompact(target: bigint): number {
  let size = Math.ceil(target.toString(16).length / 2);
  let mantissa = size <= 3 ? target << BigInt(8 * (3 - size)) : target >> BigInt(8 * (size - 3));
  if (mantissa & 0x00800000n) {
    // The mantissa's top bit is a sign bit: move one byte into the exponent instead.
    mantissa >>= 8n;
    size += 1;
  }
  return (size << 24) | Number(mantissa);
}

interface VectorRow {
  iteration: number;
  height: bigint;
  time: bigint;
  bits: number;
}

interface VectorRun {
  name: string;
  description: string;
  anchorHeight: bigint;
  anchorParentTime: bigint;
  anchorBits: number;
  iterations: number;
  rows: VectorRow[];
}

const VECTOR_DIR = fileURLToPath(new URL('./vectors/asert/', import.meta.url));
const BCH_IDEAL_BLOCK_TIME = 600n;
const BCH_HALF_LIFE = 172_800n;
const BCH_POW_LIMIT_BITS = 0x1d00ffff;

function parseRun(name: string): VectorRun {
  const header = new Map<string, string>();
  const rows: VectorRow[] = [];
  for (const line of readFileSync(VECTOR_DIR + name, 'utf8').split('\n')) {
    const field = /^##\s*([^:]+):\s*(.*?)\s*$/.exec(line);
    if (field) header.set(field[1]!.trim(), field[2]!);
    if (line.startsWith('#') || line.trim() === '') continue;
    const [iteration, height, time, bits] = line.trim().split(/\s+/);
    rows.push({ iteration: Number(iteration), height: BigInt(height!), time: BigInt(time!), bits: Number(bits) });
  }
  const get = (key: string): string => {
    const value = header.get(key);
    if (value === undefined) throw new Error(`${name}: no "${key}" header`);
    return value;
  };
  return {
    name,
    description: get('description'),
    anchorHeight: BigInt(get('anchor height')),
    anchorParentTime: BigInt(get('anchor parent time')),
    anchorBits: Number(get('anchor nBits')),
    iterations: Number(get('iterations')),
    rows,
  };
}

const RUNS = readdirSync(VECTOR_DIR)
  .filter((file) => /^run\d\d$/.test(file))
  .sort()
  .map(parseRun);

/** The run's schedule with every time unit scaled by `scale` (1: seconds, 1000: milliseconds). */
function bchSchedule(run: VectorRun, scale: bigint): AsertSchedule {
  return {
    anchorTarget: compactToTarget(run.anchorBits),
    anchorHeight: run.anchorHeight,
    anchorParentTime: run.anchorParentTime * scale,
    idealBlockTime: BCH_IDEAL_BLOCK_TIME * scale,
    halfLife: BCH_HALF_LIFE * scale,
    maxTarget: compactToTarget(BCH_POW_LIMIT_BITS),
  };
}

/** Rows whose computed compact target differs from the published one, as readable strings. */
function mismatches(run: VectorRun, scale: bigint): string[] {
  const schedule = bchSchedule(run, scale);
  return run.rows
    .filter((row) => targetToCompact(asertTarget(schedule, row.height, row.time * scale)) !== row.bits)
    .map((row) => `iteration ${row.iteration}: height ${row.height} time ${row.time}`);
}

describe('aserti3-2d published test vectors', () => {
  it('are all twelve published runs, each as long as its header says', () => {
    expect(RUNS.map((run) => run.name)).toEqual(
      Array.from({ length: 12 }, (_, i) => `run${`${i + 1}`.padStart(2, '0')}`),
    );
    for (const run of RUNS) expect(run.rows.length, run.name).toBe(run.iterations);
  });

  it('compact encoding helper round-trips the vectors targets', () => {
    for (const run of RUNS) {
      for (const row of run.rows) expect(targetToCompact(compactToTarget(row.bits))).toBe(row.bits);
    }
  });

  it.each(RUNS.map((run) => [run.name, run] as const))('%s gives every published target (seconds)', (_, run) => {
    expect(mismatches(run, 1n), run.description).toEqual([]);
  });

  it.each(RUNS.map((run) => [run.name, run] as const))(
    '%s gives the same targets with every time in milliseconds',
    (_, run) => {
      expect(mismatches(run, 1000n), run.description).toEqual([]);
    },
  );
});

// ---- The integer algorithm against the plain formula ----

/** Fixed-point scale of the slow reference: 2^-192 is far below every error studied here. */
const SCALE_BITS = 192n;
const SCALE = 1n << SCALE_BITS;

/** ln 2 = sum over k >= 1 of 1 / (k 2^k), in SCALE units. */
const LN2 = (() => {
  let sum = 0n;
  for (let k = 1n; ; k++) {
    const term = SCALE / (k << k);
    if (term === 0n) return sum;
    sum += term;
  }
})();

/** e^z for 0 <= z < 1, z and the result in SCALE units (Taylor series). */
function expScaled(z: bigint): bigint {
  let sum = SCALE;
  let term = SCALE;
  for (let k = 1n; term !== 0n; k++) {
    term = (term * z) / (k * SCALE);
    sum += term;
  }
  return sum;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/**
 * anchorTarget * 2^((timeDelta - ideal * (heightDelta + 1)) / halfLife), unclamped and
 * unrounded, in SCALE units: the specification's formula with no approximation but the
 * 2^-192 of the fixed point.
 */
function referenceScaled(s: Required<AsertSchedule>, parentHeight: bigint, parentTime: bigint): bigint {
  const halfLife = BigInt(s.halfLife);
  const exponent =
    parentTime - BigInt(s.anchorParentTime) - BigInt(s.idealBlockTime) * (parentHeight - BigInt(s.anchorHeight) + 1n);
  const whole = floorDiv(exponent, halfLife);
  const fraction = exponent - whole * halfLife; // 0 <= fraction < halfLife
  const scaled = s.anchorTarget * expScaled((fraction * LN2) / halfLife);
  return whole >= 0n ? scaled << whole : scaled >> -whole;
}

// Exhaustive over the 2^16 fractions below: the cubic factor is within 1.18e-4 of
// 2^16 * 2^(f / 2^16); truncating the exponent to 16 fractional bits moves it by less than
// 2^-16 (a factor 2^(2^-16) = 1 + 1.06e-5). Together (1 + 1.18e-4)(1 + 1.06e-5) - 1 < 1.29e-4,
// so before the final floor and clamp the integer result is within RELATIVE_BOUND of the
// formula; the floor takes off less than 1 more, and clamping to [1, maxTarget] is monotone.
const FACTOR_ERROR_BOUND = 1.18e-4;
const RELATIVE_BOUND_PPM = 130n; // 1.3e-4

function cubicFactor(fraction: bigint): bigint {
  return (
    65536n +
    ((195_766_423_245_049n * fraction + 971_821_376n * fraction ** 2n + 5_127n * fraction ** 3n + (1n << 47n)) >> 48n)
  );
}

function clampTarget(value: bigint, maxTarget: bigint): bigint {
  return value < 1n ? 1n : value > maxTarget ? maxTarget : value;
}

const scheduleArbitrary = fc
  .record({
    maxTarget: fc.oneof(fc.constant(MAX_TARGET), fc.bigInt({ min: 1n, max: MAX_TARGET })),
    idealBlockTime: fc.bigInt({ min: 1n, max: 1n << 32n }),
    halfLife: fc.bigInt({ min: 1n, max: 1n << 40n }),
    anchorHeight: fc.bigInt({ min: 0n, max: 1n << 40n }),
    anchorParentTime: fc.bigInt({ min: -(1n << 50n), max: 1n << 50n }),
  })
  .chain((schedule) =>
    // Anchor targets anywhere in [1, maxTarget], some of them small (where the floor shows).
    fc
      .oneof(fc.bigInt({ min: 1n, max: schedule.maxTarget }), fc.bigInt({ min: 1n, max: 1n << 20n }))
      .map((anchorTarget): Required<AsertSchedule> => ({
        ...schedule,
        anchorTarget: anchorTarget > schedule.maxTarget ? schedule.maxTarget : anchorTarget,
      })),
  );

/** A schedule, a parent height after the anchor, and a parent time off schedule by up to ±300 half-lives. */
const caseArbitrary = scheduleArbitrary.chain((schedule) =>
  fc
    .record({
      heightDelta: fc.bigInt({ min: -1n, max: 1n << 32n }),
      halfLivesOff: fc.bigInt({ min: -300n * BigInt(schedule.halfLife), max: 300n * BigInt(schedule.halfLife) }),
    })
    .map(({ heightDelta, halfLivesOff }) => {
      const parentHeight = BigInt(schedule.anchorHeight) + heightDelta;
      const onSchedule = BigInt(schedule.anchorParentTime) + BigInt(schedule.idealBlockTime) * (heightDelta + 1n);
      return { schedule, parentHeight, parentTime: onSchedule + halfLivesOff, offSchedule: halfLivesOff };
    }),
);

describe('asertTarget properties', () => {
  it(`cubic factor is within ${FACTOR_ERROR_BOUND} of 2^x over every one of the 2^16 fractions`, () => {
    let worst = 0;
    for (let fraction = 0n; fraction < 65536n; fraction++) {
      const exact = 2 ** (Number(fraction) / 65536) * 65536;
      worst = Math.max(worst, Math.abs(Number(cubicFactor(fraction)) / exact - 1));
    }
    expect(worst).toBeLessThan(FACTOR_ERROR_BOUND);
    // f(0) = 1 and f(1) = 2 exactly: no jump where the exponent crosses a whole number.
    expect(cubicFactor(0n)).toBe(65536n);
    expect(cubicFactor(65536n)).toBe(131072n);
  });

  it('equals the plain formula within the relative bound 1.3e-4 (and less than 1 for the floor)', () => {
    fc.assert(
      fc.property(caseArbitrary, ({ schedule, parentHeight, parentTime }) => {
        const actual = asertTarget(schedule, parentHeight, parentTime);
        const reference = referenceScaled(schedule, parentHeight, parentTime);
        const low = clampTarget(
          (reference * (1_000_000n - RELATIVE_BOUND_PPM)) / 1_000_000n / SCALE - 1n,
          schedule.maxTarget,
        );
        const high = clampTarget(
          (reference * (1_000_000n + RELATIVE_BOUND_PPM)) / 1_000_000n / SCALE + 1n,
          schedule.maxTarget,
        );
        expect(actual).toBeGreaterThanOrEqual(low);
        expect(actual).toBeLessThanOrEqual(high);
      }),
      { numRuns: 500 },
    );
  });

  it('never leaves [1, maxTarget], however wild the times', () => {
    fc.assert(
      fc.property(
        scheduleArbitrary,
        fc.bigInt({ min: -(1n << 62n), max: 1n << 62n }),
        fc.bigInt({ min: -(1n << 62n), max: 1n << 62n }),
        (schedule, parentHeight, parentTime) => {
          const target = asertTarget(schedule, parentHeight, parentTime);
          expect(target).toBeGreaterThanOrEqual(1n);
          expect(target).toBeLessThanOrEqual(schedule.maxTarget);
        },
      ),
    );
  });

  it('keeps the anchor target on schedule, is harder ahead of it and easier behind it', () => {
    fc.assert(
      fc.property(caseArbitrary, ({ schedule, parentHeight, parentTime, offSchedule }) => {
        const target = asertTarget(schedule, parentHeight, parentTime);
        if (offSchedule === 0n) expect(target).toBe(schedule.anchorTarget);
        else if (offSchedule < 0n) expect(target).toBeLessThanOrEqual(schedule.anchorTarget);
        else expect(target).toBeGreaterThanOrEqual(schedule.anchorTarget);
      }),
      { numRuns: 500 },
    );
  });

  it('moves monotonically: a later parent time never gives a harder target, a higher parent never an easier one', () => {
    fc.assert(
      fc.property(
        caseArbitrary,
        fc.bigInt({ min: 1n, max: 1n << 40n }),
        fc.bigInt({ min: 1n, max: 1n << 20n }),
        ({ schedule, parentHeight, parentTime }, later, higher) => {
          const target = asertTarget(schedule, parentHeight, parentTime);
          expect(asertTarget(schedule, parentHeight, parentTime + later)).toBeGreaterThanOrEqual(target);
          expect(asertTarget(schedule, parentHeight + higher, parentTime)).toBeLessThanOrEqual(target);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('halves the target one half-life ahead of schedule and doubles it one behind (within the cubic)', () => {
    const schedule: AsertSchedule = {
      anchorTarget: 1n << 200n,
      anchorHeight: 0,
      anchorParentTime: 0,
      idealBlockTime: 1_000,
      halfLife: 30_000,
    };
    // Parent at height 99, on schedule at time 100,000 ms.
    expect(asertTarget(schedule, 99, 100_000)).toBe(1n << 200n);
    expect(asertTarget(schedule, 99, 70_000)).toBe(1n << 199n);
    expect(asertTarget(schedule, 99, 130_000)).toBe(1n << 201n);
  });

  it('refuses a malformed schedule as a programming error', () => {
    const good: AsertSchedule = {
      anchorTarget: 1n << 200n,
      anchorHeight: 0,
      anchorParentTime: 0,
      idealBlockTime: 1,
      halfLife: 1,
    };
    expect(() => asertTarget({ ...good, anchorTarget: 0n }, 0, 0)).toThrow(RangeError);
    expect(() => asertTarget({ ...good, maxTarget: 1n << 100n }, 0, 0)).toThrow(RangeError);
    expect(() => asertTarget({ ...good, halfLife: 0 }, 0, 0)).toThrow(RangeError);
    expect(() => asertTarget({ ...good, idealBlockTime: -1 }, 0, 0)).toThrow(RangeError);
    expect(() => asertTarget(good, 0.5, 0)).toThrow(RangeError);
    expect(() => asertTarget(good, 0, 2 ** 60)).toThrow(RangeError);
  });

  it('names what is malformed, and takes every bound at its edge', () => {
    const good: AsertSchedule = {
      anchorTarget: 1n << 200n,
      anchorHeight: 0,
      anchorParentTime: 0,
      idealBlockTime: 1,
      halfLife: 1,
    };
    const refusal = (schedule: AsertSchedule, height: number | bigint = 0, time: number | bigint = 0): string => {
      try {
        asertTarget(schedule, height, time);
        return 'accepted';
      } catch (error) {
        expect(error).toBeInstanceOf(RangeError);
        return (error as Error).message;
      }
    };
    expect(refusal({ ...good, maxTarget: 0n })).toBe('maxTarget must be between 1 and 2^256-1');
    expect(refusal({ ...good, maxTarget: MAX_TARGET + 1n })).toBe('maxTarget must be between 1 and 2^256-1');
    expect(refusal({ ...good, maxTarget: MAX_TARGET })).toBe('accepted');
    expect(refusal({ ...good, anchorTarget: 1n, maxTarget: 1n })).toBe('accepted');
    expect(refusal({ ...good, anchorTarget: 0n })).toBe('anchorTarget must be between 1 and maxTarget');
    expect(refusal({ ...good, anchorTarget: 2n, maxTarget: 1n })).toBe('anchorTarget must be between 1 and maxTarget');
    expect(refusal({ ...good, anchorTarget: MAX_TARGET })).toBe('accepted');
    expect(refusal({ ...good, anchorTarget: MAX_TARGET + 1n })).toBe('anchorTarget must be between 1 and maxTarget');
    expect(refusal({ ...good, halfLife: 0 })).toBe('idealBlockTime and halfLife must be positive');
    expect(refusal({ ...good, idealBlockTime: 0 })).toBe('idealBlockTime and halfLife must be positive');
    expect(refusal({ ...good, idealBlockTime: 1n, halfLife: 1n })).toBe('accepted');
    for (const field of ['idealBlockTime', 'halfLife', 'anchorHeight', 'anchorParentTime'] as const) {
      expect(refusal({ ...good, [field]: 1.5 })).toBe(`${field} must be a safe integer, got 1.5`);
    }
    expect(refusal(good, 2 ** 53)).toBe(`parentHeight must be a safe integer, got ${2 ** 53}`);
    expect(refusal(good, 0, -0.5)).toBe('parentTime must be a safe integer, got -0.5');
    expect(refusal(good, 2n ** 60n, 2n ** 60n)).toBe('accepted');
  });

  it('never answers more than maxTarget, nor less than 1', () => {
    const schedule: AsertSchedule = {
      anchorTarget: 1n << 200n,
      anchorHeight: 0,
      anchorParentTime: 0,
      idealBlockTime: 1,
      halfLife: 1,
      maxTarget: (1n << 200n) + 5n,
    };
    // Behind schedule by a fraction of a half-life: more than the anchor, clamped to maxTarget.
    expect(asertTarget(schedule, 0, 2)).toBe((1n << 200n) + 5n);
    expect(asertTarget({ ...schedule, maxTarget: undefined }, 0, 2)).toBe(1n << 201n);
    // Far ahead: the target falls to 1, never 0.
    expect(asertTarget(schedule, 1_000, 0)).toBe(1n);
    expect(asertTarget({ ...schedule, anchorTarget: 1n }, 0, 1)).toBe(1n);
    expect(asertTarget({ ...schedule, anchorTarget: 1n }, 0, 0)).toBe(1n); // half of 1 is 0: answered as 1
  });
});

describe('powchainSchedule', () => {
  const params = { ...DEFAULT_PARAMS, genesisTimeMs: 1_700_000_000_000, initialTarget: 1n << 240n };
  const schedule = powchainSchedule(params);

  it('mines block 1 (parent: the genesis at its time) at exactly the initial target', () => {
    expect(asertTarget(schedule, 0, params.genesisTimeMs)).toBe(params.initialTarget);
  });

  it('keeps the initial target for a chain exactly on schedule, in milliseconds', () => {
    for (const height of [1, 2, 10, 1_000, 1_000_000]) {
      expect(asertTarget(schedule, height, params.genesisTimeMs + height * params.blockIntervalMs)).toBe(
        params.initialTarget,
      );
    }
  });

  it('halves the target when the chain is one half-life (30 s) ahead', () => {
    const height = 100;
    const time = params.genesisTimeMs + height * params.blockIntervalMs - params.halfLifeMs;
    expect(asertTarget(schedule, height, time)).toBe(params.initialTarget / 2n);
  });
});
