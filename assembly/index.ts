/**
 * Scalar build: one nonce at a time. The interface and the memory layout are documented
 * once, in `sha256.ts`.
 */
import {
  HASH, RESULT, TARGET_WORDS, highPrepared, preparedHigh,
  prepareJob, prepareHigh, hashNonce, hashAtMostTarget, writeDigest,
} from './sha256';

export { INPUT, INPUT_LENGTH, TARGET, RESULT, DIGEST, begin, absorb, digest } from './sha256';

export function prepare(): void {
  prepareJob();
}

export function search(startHi: u32, startLo: u32, count: u32): i32 {
  const target0 = load<u32>(TARGET_WORDS);
  let hi = startHi;
  let lo = startLo;
  if (!highPrepared || preparedHigh != hi) prepareHigh(hi);
  for (let i: u32 = 0; i < count; i++) {
    hashNonce(hi, lo);
    // Hash word 0 against target word 0 rejects all but about target0 / 2^32 of nonces.
    if (load<u32>(HASH) <= target0 && hashAtMostTarget(HASH, 4)) {
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
