/**
 * Scalar build: one nonce at a time. The interface and the memory layout are documented
 * once, in `sha256.ts`. The fast layout runs kernel.ts on u32 (the SIMD build runs the same
 * source on v128), other layouts the general path of sha256.ts.
 */
import {
  HASH, RESULT, TARGET_WORDS, highPrepared, preparedHigh, fastPath,
  prepareJob, prepareHigh, hashNonce, hashAtMostTarget, writeDigest,
} from './sha256';
import { fastWord0 } from './kernel';

export { INPUT, INPUT_LENGTH, TARGET, RESULT, DIGEST, begin, absorb, digest } from './sha256';

export function prepare(): void {
  prepareJob();
}

/** The fast kernel on one nonce (a function of its own: see kernel.ts). */
function word0(lo: u32): u32 {
  return fastWord0<u32>(lo);
}

export function search(startHi: u32, startLo: u32, count: u32): i32 {
  const target0 = load<u32>(TARGET_WORDS);
  let hi = startHi;
  let lo = startLo;
  if (!highPrepared || preparedHigh != hi) prepareHigh(hi);
  for (let i: u32 = 0; i < count; i++) {
    // Hash word 0 against target word 0 rejects all but about target0 / 2^32 of nonces. The
    // fast kernel gives word 0 only: a candidate is hashed again, whole, by the general path.
    let candidate: bool;
    if (fastPath) {
      candidate = word0(lo) <= target0;
      if (candidate) hashNonce(hi, lo);
    } else {
      hashNonce(hi, lo);
      candidate = load<u32>(HASH) <= target0;
    }
    if (candidate && hashAtMostTarget(HASH, 4)) {
      store<u32>(RESULT, hi, 0);
      store<u32>(RESULT, lo, 4);
      store<u32>(RESULT, i + 1, 8);
      writeDigest(HASH);
      return 1;
    }
    lo++;
    if (lo == 0) prepareHigh(++hi);
  }
  store<u32>(RESULT, count, 8);
  return 0;
}
