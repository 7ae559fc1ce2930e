/**
 * SIMD build: four consecutive nonces per v128, one per i32x4 lane. The interface and the
 * memory layout are those of the scalar build, documented once in `sha256.ts`; absorption,
 * digest and the per-job and per-high-word precomputation are shared (scalar), and each
 * table is then splatted into four identical lanes, since lanes differ only in the words
 * holding the nonce's low word. The fast layout runs kernel.ts on v128 (the scalar build runs
 * the same source on u32); other layouts run the general path below. A group of four that
 * would cross a change of the high word goes through the shared scalar path instead.
 */
import {
  K, W, WK, MID, PRE, HASH, TARGET_WORDS, RESULT,
  nonceShift, nonceIndex1, nonceIndex2, nonceTemplate2,
  firstBase, firstRound, firstIsBlock1, firstVarying, secondBlock, secondVarying,
  highPrepared, preparedHigh, fastPath,
  prepareJob, prepareHigh, hashNonce, hashAtMostTarget, writeDigest,
} from './sha256';
import { FAST32, FASTV, FAST_ENTRIES, fastWord0 } from './kernel';

export { INPUT, INPUT_LENGTH, TARGET, RESULT, DIGEST, begin, absorb, digest } from './sha256';

// Vector twins of the scalar tables: entry i is 16 bytes, four copies of (or four lanes of) word i.
const KV: usize = memory.data(64 * 16, 16);
const WV: usize = memory.data(128 * 16, 16);
const WKV: usize = memory.data(128 * 16, 16);
const MIDV: usize = memory.data(8 * 16, 16);
const PREV: usize = memory.data(8 * 16, 16);
const HASHV: usize = memory.data(8 * 16, 16);
/** Lane i holds i: the offsets of four consecutive nonces. */
const LANE_OFFSETS = i32x4(0, 1, 2, 3);
/** One lane's hash words, gathered for the full comparison and the digest. */
const LANE_HASH: usize = memory.data(32, 16);

// FIPS 180-4 §4.1.2 on four lanes. WebAssembly SIMD has no rotate: ROTR^n = SHR^n | SHL^(32-n).

// @ts-ignore: decorator
@inline function rotr4(x: v128, n: i32): v128 {
  return v128.or(i32x4.shr_u(x, n), i32x4.shl(x, 32 - n));
}
// @ts-ignore: decorator
@inline function Sigma0(x: v128): v128 {
  return v128.xor(v128.xor(rotr4(x, 2), rotr4(x, 13)), rotr4(x, 22));
}
// @ts-ignore: decorator
@inline function Sigma1(x: v128): v128 {
  return v128.xor(v128.xor(rotr4(x, 6), rotr4(x, 11)), rotr4(x, 25));
}
// @ts-ignore: decorator
@inline function sigma0(x: v128): v128 {
  return v128.xor(v128.xor(rotr4(x, 7), rotr4(x, 18)), i32x4.shr_u(x, 3));
}
// @ts-ignore: decorator
@inline function sigma1(x: v128): v128 {
  return v128.xor(v128.xor(rotr4(x, 17), rotr4(x, 19)), i32x4.shr_u(x, 10));
}
/** Ch(x, y, z): y where x is set, else z: exactly bitselect. */
// @ts-ignore: decorator
@inline function Ch(x: v128, y: v128, z: v128): v128 {
  return v128.bitselect(y, z, x);
}
/** Maj(x, y, z): where x and y agree, their bit; where they differ, z's. */
// @ts-ignore: decorator
@inline function Maj(x: v128, y: v128, z: v128): v128 {
  return v128.bitselect(z, y, v128.xor(x, y));
}
// @ts-ignore: decorator
@inline function add(x: v128, y: v128): v128 {
  return i32x4.add(x, y);
}
// @ts-ignore: decorator
@inline function vec(base: usize, i: i32): v128 {
  return v128.load(base + (<usize>i << 4));
}
// @ts-ignore: decorator
@inline function setVec(base: usize, i: i32, value: v128): void {
  v128.store(base + (<usize>i << 4), value);
}

/** §6.2.2 step 1 for the words t whose bit is set in `varying`, and WK(t), on four lanes. */
function expandVarying(w: usize, wk: usize, varying: u64): void {
  while (varying != 0) {
    const t = <i32>ctz<u64>(varying);
    varying &= varying - 1;
    const value = add(add(sigma1(vec(w, t - 2)), vec(w, t - 7)), add(sigma0(vec(w, t - 15)), vec(w, t - 16)));
    setVec(w, t, value);
    setVec(wk, t, add(value, vec(KV, t)));
  }
}

/**
 * §6.2.2 steps 3 and 4 on four lanes: loads a..h from `state`, runs rounds from .. 63, and
 * writes out(i) = add(i) + a..h(i) (`out` may be `state` or `add`). The role rotation of the
 * scalar `rounds`; Maj(a, b, c) = b ^ ((a ^ b) & (b ^ c)) with this round's a ^ b kept as the
 * next round's b ^ c (the roles of ab and bc alternate, so they too come back after 8 rounds).
 */
function rounds(wk: usize, from: i32, state: usize, addend: usize, out: usize): void {
  let a = vec(state, 0), b = vec(state, 1), c = vec(state, 2), d = vec(state, 3);
  let e = vec(state, 4), f = vec(state, 5), g = vec(state, 6), h = vec(state, 7);
  let bc = v128.xor(b, c);
  let t = from;
  for (; t & 7; t++) {
    const ab = v128.xor(a, b);
    const t1 = add(add(h, Sigma1(e)), add(Ch(e, f, g), vec(wk, t)));
    const t2 = add(Sigma0(a), v128.xor(b, v128.and(ab, bc)));
    bc = ab;
    h = g; g = f; f = e; e = add(d, t1); d = c; c = b; b = a; a = add(t1, t2);
  }
  let ab: v128;
  for (; t < 64; t += 8) {
    const p = wk + (<usize>t << 4);
    let t1: v128;
    ab = v128.xor(a, b); t1 = add(add(h, Sigma1(e)), add(Ch(e, f, g), v128.load(p, 0)));   d = add(d, t1); h = add(t1, add(Sigma0(a), v128.xor(b, v128.and(ab, bc))));
    bc = v128.xor(h, a); t1 = add(add(g, Sigma1(d)), add(Ch(d, e, f), v128.load(p, 16)));  c = add(c, t1); g = add(t1, add(Sigma0(h), v128.xor(a, v128.and(bc, ab))));
    ab = v128.xor(g, h); t1 = add(add(f, Sigma1(c)), add(Ch(c, d, e), v128.load(p, 32)));  b = add(b, t1); f = add(t1, add(Sigma0(g), v128.xor(h, v128.and(ab, bc))));
    bc = v128.xor(f, g); t1 = add(add(e, Sigma1(b)), add(Ch(b, c, d), v128.load(p, 48)));  a = add(a, t1); e = add(t1, add(Sigma0(f), v128.xor(g, v128.and(bc, ab))));
    ab = v128.xor(e, f); t1 = add(add(d, Sigma1(a)), add(Ch(a, b, c), v128.load(p, 64)));  h = add(h, t1); d = add(t1, add(Sigma0(e), v128.xor(f, v128.and(ab, bc))));
    bc = v128.xor(d, e); t1 = add(add(c, Sigma1(h)), add(Ch(h, a, b), v128.load(p, 80)));  g = add(g, t1); c = add(t1, add(Sigma0(d), v128.xor(e, v128.and(bc, ab))));
    ab = v128.xor(c, d); t1 = add(add(b, Sigma1(g)), add(Ch(g, h, a), v128.load(p, 96)));  f = add(f, t1); b = add(t1, add(Sigma0(c), v128.xor(d, v128.and(ab, bc))));
    bc = v128.xor(b, c); t1 = add(add(a, Sigma1(f)), add(Ch(f, g, h), v128.load(p, 112))); e = add(e, t1); a = add(t1, add(Sigma0(b), v128.xor(c, v128.and(bc, ab))));
  }
  setVec(out, 0, add(vec(addend, 0), a)); setVec(out, 1, add(vec(addend, 1), b));
  setVec(out, 2, add(vec(addend, 2), c)); setVec(out, 3, add(vec(addend, 3), d));
  setVec(out, 4, add(vec(addend, 4), e)); setVec(out, 5, add(vec(addend, 5), f));
  setVec(out, 6, add(vec(addend, 6), g)); setVec(out, 7, add(vec(addend, 7), h));
}

/** Splats n words at `words` into n vectors at `vectors`. */
function splatWords(vectors: usize, words: usize, n: i32): void {
  for (let i = 0; i < n; i++) setVec(vectors, i, i32x4.splat(load<i32>(words + (<usize>i << 2))));
}

export function prepare(): void {
  prepareJob();
  splatWords(KV, K, 64);
}

/** prepareHigh(), then the lanes' copies of every table it and prepareJob() wrote. */
function prepareHighLanes(hi: u32): void {
  prepareHigh(hi);
  if (fastPath) {
    splatWords(FASTV, FAST32, FAST_ENTRIES);
    return;
  }
  splatWords(WV, W, 128);
  splatWords(WKV, WK, 128);
  splatWords(MIDV, MID, 8);
  splatWords(PREV, PRE, 8);
}

// @ts-ignore: decorator
@inline function setNonceWord(index: i32, value: v128): void {
  setVec(WV, index, value);
  setVec(WKV, index, add(value, vec(KV, index & 15)));
}

/**
 * SHA-256(prefix || nonce) for the four nonces hi:lo .. hi:lo + 3 into HASHV; lo <= 2^32 - 4,
 * so the lanes share the high word, and only the low word's schedule words differ.
 */
function hashNonces(hi: u32, lo: u32): void {
  const loV = i32x4.add(i32x4.splat(lo), i32x4(0, 1, 2, 3));
  if (nonceShift == 0) {
    setNonceWord(nonceIndex1, loV);
  } else {
    const shift = nonceShift;
    setNonceWord(nonceIndex1, v128.or(i32x4.splat(hi << (32 - shift)), i32x4.shr_u(loV, shift)));
    setNonceWord(nonceIndex2, v128.or(i32x4.splat(nonceTemplate2), i32x4.shl(loV, 32 - shift)));
  }
  const base = <usize>firstBase << 4;
  expandVarying(WV + base, WKV + base, firstVarying);
  rounds(WKV + base, firstRound, PREV, firstIsBlock1 ? PREV : MIDV, HASHV);
  if (secondBlock) {
    expandVarying(WV + 64 * 16, WKV + 64 * 16, secondVarying);
    rounds(WKV + 64 * 16, 0, HASHV, HASHV, HASHV);
  }
}

/** The fast kernel on four lanes (a function of its own: see kernel.ts). */
function word0(lo: v128): v128 {
  return fastWord0<v128>(lo);
}

/** Copies lane `lane` of the eight hash vectors into LANE_HASH. */
function gatherLane(lane: i32): void {
  for (let i = 0; i < 8; i++) {
    store<u32>(LANE_HASH + (<usize>i << 2), load<u32>(HASHV + (<usize>i << 4) + (<usize>lane << 2)));
  }
}

function found(hi: u32, lo: u32, tried: u32, hashWords: usize): i32 {
  store<u32>(RESULT, hi, 0);
  store<u32>(RESULT, lo, 4);
  store<u32>(RESULT, tried, 8);
  writeDigest(hashWords);
  return 1;
}

export function search(startHi: u32, startLo: u32, count: u32): i32 {
  const target0 = load<u32>(TARGET_WORDS);
  const target0V = i32x4.splat(target0);
  let hi = startHi;
  let lo = startLo;
  if (!highPrepared || preparedHigh != hi) prepareHighLanes(hi);
  let done: u32 = 0;
  while (done < count) {
    const left = count - done;
    if (lo > 0xffff_fffc) {
      // The four lanes would straddle a change of the high word: the nonces up to the change
      // go one at a time through the scalar path (whose tables prepareHigh() keeps too).
      const n = min<u32>(left, <u32>(<u64>0x1_0000_0000 - <u64>lo));
      for (let i: u32 = 0; i < n; i++) {
        hashNonce(hi, lo);
        if (load<u32>(HASH) <= target0 && hashAtMostTarget(HASH, 4)) return found(hi, lo, done + 1, HASH);
        done++;
        lo++;
        if (lo == 0) prepareHighLanes(++hi);
      }
      continue;
    }
    let candidates: i32;
    if (fastPath) {
      candidates = i32x4.bitmask(i32x4.le_u(word0(i32x4.add(i32x4.splat(lo), LANE_OFFSETS)), target0V));
    } else {
      hashNonces(hi, lo);
      candidates = i32x4.bitmask(i32x4.le_u(vec(HASHV, 0), target0V));
    }
    // Lanes past the range's end do not count.
    if (left < 4) candidates &= (1 << left) - 1;
    // Lowest lane first: the answer is the first nonce in the range. The fast kernel gives
    // hash word 0 only, so its candidates are hashed again, whole, by the scalar path.
    while (candidates != 0) {
      const lane = ctz(candidates);
      candidates &= candidates - 1;
      let hashWords = LANE_HASH;
      if (fastPath) {
        hashNonce(hi, lo + <u32>lane);
        hashWords = HASH;
      } else {
        gatherLane(lane);
      }
      if (hashAtMostTarget(hashWords, 4)) return found(hi, lo + <u32>lane, done + <u32>lane + 1, hashWords);
    }
    if (left <= 4) break;
    done += 4;
    lo += 4;
    if (lo == 0) prepareHighLanes(++hi);
  }
  store<u32>(RESULT, count, 8);
  return 0;
}
