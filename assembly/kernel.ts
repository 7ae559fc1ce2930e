/**
 * The specialised per-nonce kernel, one source for both builds: `fastWord0<T>` is generic
 * over the lane type, instantiated as u32 (one nonce) by the scalar build and as v128 (four
 * consecutive nonces, one per i32x4 lane) by the SIMD build, so the two cannot drift apart.
 *
 * It covers the layout the tutorial's messages and powchain's block template have: prefix length
 * mod 64 = 48, so the nonce fills words 12 (high 32 bits) and 13 (low 32 bits) of the
 * second-to-last block, 0x80 starts word 14, and the last block is pure padding (zeros and
 * the bit length): two compressions per nonce. docs/hashing.md derives the split below.
 *
 *   per job        the midstate; block 1's whole W + K (it does not depend on the nonce)
 *   per high word  rounds 0..12 of block 0 (W12 = hi); the schedule words that depend on hi
 *                  but not lo; round 13 folded into two constants, a = A13 + lo and
 *                  e = E13 + lo; round 14..16's h (still constant) added to their W + K; the
 *                  nonce-independent terms of each varying schedule word W20..W41 summed into
 *                  one constant C(t) (`prepareFast`, in sha256.ts)
 *   per nonce      the 41 varying schedule words with only their varying terms, rounds 14..63
 *                  of block 0, all 64 rounds of block 1, and hash word 0 (the caller compares
 *                  it with target word 0, and rehashes a candidate with the general path for
 *                  its full 256-bit comparison and digest)
 *
 * Everything per nonce stays in locals: rounds are unrolled (block 1's as a loop of eight
 * unrolled rounds, see block1) with the roles of a..h rotated by name instead of moved (round t writes the new `a` into the variable that held `h` and the
 * new `e` into the one that held `d`; the roles come back every eight rounds), and
 * Maj(a, b, c) = b ^ ((a ^ b) & (b ^ c)) keeps this round's a ^ b as the next round's b ^ c
 * (`ab` and `bc` swap roles every round). The only memory it reads is the table below.
 *
 * WebAssembly SIMD has no rotate: ROTR^n is SHR^n | SHL^(32-n), two shifts. Shifts are the
 * bottleneck (docs/hashing.md counts them), so none is spent where a fold can avoid it.
 */

// ---------------------------------------------------------------------------------------
// The table: entry i is one u32 (FAST32, computed by prepareFast) and its four-lane splat
// (FASTV, for the SIMD build). Entries by name:

/** State after round 13 without lo: a = A13 + lo, e = E13 + lo; B13..G13 do not depend on lo. */
export const A13 = 0;
export const E13 = 1;
export const B13 = 2;
export const C13 = 3;
export const D13 = 4;
export const F13 = 5;
export const G13 = 6;
/** h + W(t) + K(t) of rounds 14, 15 and 16, whose h is still a constant. */
export const X14 = 7;
export const X15 = 8;
export const X16 = 9;
/** W(t) + K(t) of the other schedule words that do not depend on lo. */
export const WK17 = 10;
export const WK18 = 11;
export const WK19 = 12;
export const WK21 = 13;
export const WK23 = 14;
export const WK25 = 15;
/** C(t), t = 20..41: the sum of the terms of W(t) that do not depend on lo, at FOLD + t - 20. */
export const FOLD = 16;
/** K(t) at KT + t. */
export const KT = FOLD + 22;
/** The midstate, a..h. */
export const MIDSTATE = KT + 64;
/** W(t) + K(t) of block 1 (pure padding), t = 0..63. */
export const BLOCK1 = MIDSTATE + 8;
export const FAST_ENTRIES = BLOCK1 + 64;

export const FAST32: usize = memory.data(FAST_ENTRIES * 4, 16);
export const FASTV: usize = memory.data(FAST_ENTRIES * 16, 16);

// ---------------------------------------------------------------------------------------
// Lane-generic operations: compile-time branches, only one side is compiled per T.

// @ts-ignore: decorator
@inline function at<T>(entry: i32): T {
  if (isVector<T>()) return v128.load(FASTV + (<usize>entry << 4));
  return load<u32>(FAST32 + (<usize>entry << 2));
}
// @ts-ignore: decorator
@inline function add<T>(x: T, y: T): T {
  if (isVector<T>()) return i32x4.add(x, y);
  return x + y;
}
// @ts-ignore: decorator
@inline function xor<T>(x: T, y: T): T {
  if (isVector<T>()) return v128.xor(x, y);
  return x ^ y;
}
// @ts-ignore: decorator
@inline function and<T>(x: T, y: T): T {
  if (isVector<T>()) return v128.and(x, y);
  return x & y;
}
// @ts-ignore: decorator
@inline function shr<T>(x: T, n: i32): T {
  if (isVector<T>()) return i32x4.shr_u(x, n);
  return x >>> n;
}
// @ts-ignore: decorator
@inline function ror<T>(x: T, n: i32): T {
  if (isVector<T>()) return v128.or(i32x4.shr_u(x, n), i32x4.shl(x, 32 - n));
  return rotr<T>(x, n);
}

// FIPS 180-4 §4.1.2.
// @ts-ignore: decorator
@inline function Sigma0<T>(x: T): T {
  return xor<T>(ror<T>(x, 2), xor<T>(ror<T>(x, 13), ror<T>(x, 22)));
}
// @ts-ignore: decorator
@inline function Sigma1<T>(x: T): T {
  return xor<T>(ror<T>(x, 6), xor<T>(ror<T>(x, 11), ror<T>(x, 25)));
}
// @ts-ignore: decorator
@inline function sigma0<T>(x: T): T {
  return xor<T>(ror<T>(x, 7), xor<T>(ror<T>(x, 18), shr<T>(x, 3)));
}
// @ts-ignore: decorator
@inline function sigma1<T>(x: T): T {
  return xor<T>(ror<T>(x, 17), xor<T>(ror<T>(x, 19), shr<T>(x, 10)));
}
/** Ch(e, f, g) = (e & f) ^ (~e & g): f where e is set, else g (a bitselect on four lanes). */
// @ts-ignore: decorator
@inline function Ch<T>(e: T, f: T, g: T): T {
  if (isVector<T>()) return v128.bitselect(f, g, e);
  return g ^ (e & (f ^ g));
}
/**
 * T1 of §6.2.2 step 3: (Σ1(e) + Ch(e, f, g)) + (h + W(t) + K(t)). The shape matters to V8:
 * the deepest subtree (Σ1) first keeps few values live while it is computed, and adding
 * h + W + K last keeps the chain from e to the next e short (docs/hashing.md).
 */
// @ts-ignore: decorator
@inline function t1of<T>(e: T, f: T, g: T, h: T, wk: T): T {
  return add<T>(add<T>(Sigma1<T>(e), Ch<T>(e, f, g)), add<T>(h, wk));
}
/** T1 when h + W(t) + K(t) is a constant (rounds 14..16). */
// @ts-ignore: decorator
@inline function t1hk<T>(e: T, f: T, g: T, hwk: T): T {
  return add<T>(add<T>(Sigma1<T>(e), Ch<T>(e, f, g)), hwk);
}
/** T2 of §6.2.2 step 3: Maj(a, b, c) + Σ0(a), given a ^ b and b ^ c. */
// @ts-ignore: decorator
@inline function t2of<T>(a: T, b: T, ab: T, bc: T): T {
  return add<T>(xor<T>(b, and<T>(ab, bc)), Sigma0<T>(a));
}
/** §6.2.2 step 1: W(t) from W(t-2), W(t-7), W(t-15) and W(t-16). */
// @ts-ignore: decorator
@inline function schedule<T>(w2: T, w7: T, w15: T, w16: T): T {
  return add<T>(add<T>(add<T>(sigma1<T>(w2), w7), sigma0<T>(w15)), w16);
}
/** W(t) + K(t). */
// @ts-ignore: decorator
@inline function wk<T>(w: T, t: i32): T {
  return add<T>(w, at<T>(KT + t));
}

/**
 * Hash word 0 of SHA-256(prefix || hi:lo) for the lane(s) in `lo`, the table being prepared
 * for hi (prepareFast). Each build wraps it in a function of its own (`word0`) that the
 * search loop calls: V8 has no on-stack replacement for WebAssembly, so a long-running caller
 * stays in baseline code while the function it calls once per nonce group tiers up.
 */
// @ts-ignore: decorator
@inline export function fastWord0<T>(lo: T): T {
  // Round 13 (W13 = lo), folded; the state after it, in the natural roles.
  let a = add<T>(at<T>(A13), lo);
  let e = add<T>(at<T>(E13), lo);
  let b = at<T>(B13), c = at<T>(C13), d = at<T>(D13), f = at<T>(F13), g = at<T>(G13);
  let h: T;
  let t1: T, ab: T;
  let bc = xor<T>(b, c);

  // Block 0, rounds 14..21. Rounds 14..16 still have a constant h, already in X14..X16.
  ab = xor<T>(a, b); t1 = t1hk<T>(e, f, g, at<T>(X14)); d = add<T>(d, t1); h = add<T>(t1, t2of<T>(a, b, ab, bc));
  bc = xor<T>(h, a); t1 = t1hk<T>(d, e, f, at<T>(X15)); c = add<T>(c, t1); g = add<T>(t1, t2of<T>(h, a, bc, ab));
  ab = xor<T>(g, h); t1 = t1hk<T>(c, d, e, at<T>(X16)); b = add<T>(b, t1); f = add<T>(t1, t2of<T>(g, h, ab, bc));
  bc = xor<T>(f, g); t1 = t1of<T>(b, c, d, e, at<T>(WK17)); a = add<T>(a, t1); e = add<T>(t1, t2of<T>(f, g, bc, ab));
  ab = xor<T>(e, f); t1 = t1of<T>(a, b, c, d, at<T>(WK18)); h = add<T>(h, t1); d = add<T>(t1, t2of<T>(e, f, ab, bc));
  bc = xor<T>(d, e); t1 = t1of<T>(h, a, b, c, at<T>(WK19)); g = add<T>(g, t1); c = add<T>(t1, t2of<T>(d, e, bc, ab));
  const w20 = add<T>(lo, at<T>(FOLD + 0));
  ab = xor<T>(c, d); t1 = t1of<T>(g, h, a, b, wk<T>(w20, 20)); f = add<T>(f, t1); b = add<T>(t1, t2of<T>(c, d, ab, bc));
  bc = xor<T>(b, c); t1 = t1of<T>(f, g, h, a, at<T>(WK21)); e = add<T>(e, t1); a = add<T>(t1, t2of<T>(b, c, bc, ab));

  // Rounds 22..29, and the schedule words that depend on lo, with only their varying terms.
  const w22 = add<T>(sigma1<T>(w20), at<T>(FOLD + 2));
  ab = xor<T>(a, b); t1 = t1of<T>(e, f, g, h, wk<T>(w22, 22)); d = add<T>(d, t1); h = add<T>(t1, t2of<T>(a, b, ab, bc));
  bc = xor<T>(h, a); t1 = t1of<T>(d, e, f, g, at<T>(WK23)); c = add<T>(c, t1); g = add<T>(t1, t2of<T>(h, a, bc, ab));
  const w24 = add<T>(sigma1<T>(w22), at<T>(FOLD + 4));
  ab = xor<T>(g, h); t1 = t1of<T>(c, d, e, f, wk<T>(w24, 24)); b = add<T>(b, t1); f = add<T>(t1, t2of<T>(g, h, ab, bc));
  bc = xor<T>(f, g); t1 = t1of<T>(b, c, d, e, at<T>(WK25)); a = add<T>(a, t1); e = add<T>(t1, t2of<T>(f, g, bc, ab));
  const w26 = add<T>(sigma1<T>(w24), at<T>(FOLD + 6));
  ab = xor<T>(e, f); t1 = t1of<T>(a, b, c, d, wk<T>(w26, 26)); h = add<T>(h, t1); d = add<T>(t1, t2of<T>(e, f, ab, bc));
  const w27 = add<T>(w20, at<T>(FOLD + 7));
  bc = xor<T>(d, e); t1 = t1of<T>(h, a, b, c, wk<T>(w27, 27)); g = add<T>(g, t1); c = add<T>(t1, t2of<T>(d, e, bc, ab));
  const w28 = add<T>(add<T>(sigma1<T>(w26), sigma0<T>(lo)), at<T>(FOLD + 8));
  ab = xor<T>(c, d); t1 = t1of<T>(g, h, a, b, wk<T>(w28, 28)); f = add<T>(f, t1); b = add<T>(t1, t2of<T>(c, d, ab, bc));
  const w29 = add<T>(add<T>(sigma1<T>(w27), w22), add<T>(lo, at<T>(FOLD + 9)));
  bc = xor<T>(b, c); t1 = t1of<T>(f, g, h, a, wk<T>(w29, 29)); e = add<T>(e, t1); a = add<T>(t1, t2of<T>(b, c, bc, ab));

  // Rounds 30..37.
  const w30 = add<T>(sigma1<T>(w28), at<T>(FOLD + 10));
  ab = xor<T>(a, b); t1 = t1of<T>(e, f, g, h, wk<T>(w30, 30)); d = add<T>(d, t1); h = add<T>(t1, t2of<T>(a, b, ab, bc));
  const w31 = add<T>(add<T>(sigma1<T>(w29), w24), at<T>(FOLD + 11));
  bc = xor<T>(h, a); t1 = t1of<T>(d, e, f, g, wk<T>(w31, 31)); c = add<T>(c, t1); g = add<T>(t1, t2of<T>(h, a, bc, ab));
  const w32 = add<T>(sigma1<T>(w30), at<T>(FOLD + 12));
  ab = xor<T>(g, h); t1 = t1of<T>(c, d, e, f, wk<T>(w32, 32)); b = add<T>(b, t1); f = add<T>(t1, t2of<T>(g, h, ab, bc));
  const w33 = add<T>(add<T>(sigma1<T>(w31), w26), at<T>(FOLD + 13));
  bc = xor<T>(f, g); t1 = t1of<T>(b, c, d, e, wk<T>(w33, 33)); a = add<T>(a, t1); e = add<T>(t1, t2of<T>(f, g, bc, ab));
  const w34 = add<T>(add<T>(sigma1<T>(w32), w27), at<T>(FOLD + 14));
  ab = xor<T>(e, f); t1 = t1of<T>(a, b, c, d, wk<T>(w34, 34)); h = add<T>(h, t1); d = add<T>(t1, t2of<T>(e, f, ab, bc));
  const w35 = add<T>(add<T>(sigma1<T>(w33), w28), add<T>(sigma0<T>(w20), at<T>(FOLD + 15)));
  bc = xor<T>(d, e); t1 = t1of<T>(h, a, b, c, wk<T>(w35, 35)); g = add<T>(g, t1); c = add<T>(t1, t2of<T>(d, e, bc, ab));
  const w36 = add<T>(add<T>(sigma1<T>(w34), w29), add<T>(w20, at<T>(FOLD + 16)));
  ab = xor<T>(c, d); t1 = t1of<T>(g, h, a, b, wk<T>(w36, 36)); f = add<T>(f, t1); b = add<T>(t1, t2of<T>(c, d, ab, bc));
  const w37 = add<T>(add<T>(sigma1<T>(w35), w30), add<T>(sigma0<T>(w22), at<T>(FOLD + 17)));
  bc = xor<T>(b, c); t1 = t1of<T>(f, g, h, a, wk<T>(w37, 37)); e = add<T>(e, t1); a = add<T>(t1, t2of<T>(b, c, bc, ab));

  // Rounds 38..45; from W42 on, every term of the schedule depends on lo.
  const w38 = add<T>(add<T>(sigma1<T>(w36), w31), add<T>(w22, at<T>(FOLD + 18)));
  ab = xor<T>(a, b); t1 = t1of<T>(e, f, g, h, wk<T>(w38, 38)); d = add<T>(d, t1); h = add<T>(t1, t2of<T>(a, b, ab, bc));
  const w39 = add<T>(add<T>(sigma1<T>(w37), w32), add<T>(sigma0<T>(w24), at<T>(FOLD + 19)));
  bc = xor<T>(h, a); t1 = t1of<T>(d, e, f, g, wk<T>(w39, 39)); c = add<T>(c, t1); g = add<T>(t1, t2of<T>(h, a, bc, ab));
  const w40 = add<T>(add<T>(sigma1<T>(w38), w33), add<T>(w24, at<T>(FOLD + 20)));
  ab = xor<T>(g, h); t1 = t1of<T>(c, d, e, f, wk<T>(w40, 40)); b = add<T>(b, t1); f = add<T>(t1, t2of<T>(g, h, ab, bc));
  const w41 = add<T>(add<T>(sigma1<T>(w39), w34), add<T>(sigma0<T>(w26), at<T>(FOLD + 21)));
  bc = xor<T>(f, g); t1 = t1of<T>(b, c, d, e, wk<T>(w41, 41)); a = add<T>(a, t1); e = add<T>(t1, t2of<T>(f, g, bc, ab));
  const w42 = schedule<T>(w40, w35, w27, w26);
  ab = xor<T>(e, f); t1 = t1of<T>(a, b, c, d, wk<T>(w42, 42)); h = add<T>(h, t1); d = add<T>(t1, t2of<T>(e, f, ab, bc));
  const w43 = schedule<T>(w41, w36, w28, w27);
  bc = xor<T>(d, e); t1 = t1of<T>(h, a, b, c, wk<T>(w43, 43)); g = add<T>(g, t1); c = add<T>(t1, t2of<T>(d, e, bc, ab));
  const w44 = schedule<T>(w42, w37, w29, w28);
  ab = xor<T>(c, d); t1 = t1of<T>(g, h, a, b, wk<T>(w44, 44)); f = add<T>(f, t1); b = add<T>(t1, t2of<T>(c, d, ab, bc));
  const w45 = schedule<T>(w43, w38, w30, w29);
  bc = xor<T>(b, c); t1 = t1of<T>(f, g, h, a, wk<T>(w45, 45)); e = add<T>(e, t1); a = add<T>(t1, t2of<T>(b, c, bc, ab));

  // Rounds 46..53.
  const w46 = schedule<T>(w44, w39, w31, w30);
  ab = xor<T>(a, b); t1 = t1of<T>(e, f, g, h, wk<T>(w46, 46)); d = add<T>(d, t1); h = add<T>(t1, t2of<T>(a, b, ab, bc));
  const w47 = schedule<T>(w45, w40, w32, w31);
  bc = xor<T>(h, a); t1 = t1of<T>(d, e, f, g, wk<T>(w47, 47)); c = add<T>(c, t1); g = add<T>(t1, t2of<T>(h, a, bc, ab));
  const w48 = schedule<T>(w46, w41, w33, w32);
  ab = xor<T>(g, h); t1 = t1of<T>(c, d, e, f, wk<T>(w48, 48)); b = add<T>(b, t1); f = add<T>(t1, t2of<T>(g, h, ab, bc));
  const w49 = schedule<T>(w47, w42, w34, w33);
  bc = xor<T>(f, g); t1 = t1of<T>(b, c, d, e, wk<T>(w49, 49)); a = add<T>(a, t1); e = add<T>(t1, t2of<T>(f, g, bc, ab));
  const w50 = schedule<T>(w48, w43, w35, w34);
  ab = xor<T>(e, f); t1 = t1of<T>(a, b, c, d, wk<T>(w50, 50)); h = add<T>(h, t1); d = add<T>(t1, t2of<T>(e, f, ab, bc));
  const w51 = schedule<T>(w49, w44, w36, w35);
  bc = xor<T>(d, e); t1 = t1of<T>(h, a, b, c, wk<T>(w51, 51)); g = add<T>(g, t1); c = add<T>(t1, t2of<T>(d, e, bc, ab));
  const w52 = schedule<T>(w50, w45, w37, w36);
  ab = xor<T>(c, d); t1 = t1of<T>(g, h, a, b, wk<T>(w52, 52)); f = add<T>(f, t1); b = add<T>(t1, t2of<T>(c, d, ab, bc));
  const w53 = schedule<T>(w51, w46, w38, w37);
  bc = xor<T>(b, c); t1 = t1of<T>(f, g, h, a, wk<T>(w53, 53)); e = add<T>(e, t1); a = add<T>(t1, t2of<T>(b, c, bc, ab));

  // Rounds 54..61.
  const w54 = schedule<T>(w52, w47, w39, w38);
  ab = xor<T>(a, b); t1 = t1of<T>(e, f, g, h, wk<T>(w54, 54)); d = add<T>(d, t1); h = add<T>(t1, t2of<T>(a, b, ab, bc));
  const w55 = schedule<T>(w53, w48, w40, w39);
  bc = xor<T>(h, a); t1 = t1of<T>(d, e, f, g, wk<T>(w55, 55)); c = add<T>(c, t1); g = add<T>(t1, t2of<T>(h, a, bc, ab));
  const w56 = schedule<T>(w54, w49, w41, w40);
  ab = xor<T>(g, h); t1 = t1of<T>(c, d, e, f, wk<T>(w56, 56)); b = add<T>(b, t1); f = add<T>(t1, t2of<T>(g, h, ab, bc));
  const w57 = schedule<T>(w55, w50, w42, w41);
  bc = xor<T>(f, g); t1 = t1of<T>(b, c, d, e, wk<T>(w57, 57)); a = add<T>(a, t1); e = add<T>(t1, t2of<T>(f, g, bc, ab));
  const w58 = schedule<T>(w56, w51, w43, w42);
  ab = xor<T>(e, f); t1 = t1of<T>(a, b, c, d, wk<T>(w58, 58)); h = add<T>(h, t1); d = add<T>(t1, t2of<T>(e, f, ab, bc));
  const w59 = schedule<T>(w57, w52, w44, w43);
  bc = xor<T>(d, e); t1 = t1of<T>(h, a, b, c, wk<T>(w59, 59)); g = add<T>(g, t1); c = add<T>(t1, t2of<T>(d, e, bc, ab));
  const w60 = schedule<T>(w58, w53, w45, w44);
  ab = xor<T>(c, d); t1 = t1of<T>(g, h, a, b, wk<T>(w60, 60)); f = add<T>(f, t1); b = add<T>(t1, t2of<T>(c, d, ab, bc));
  const w61 = schedule<T>(w59, w54, w46, w45);
  bc = xor<T>(b, c); t1 = t1of<T>(f, g, h, a, wk<T>(w61, 61)); e = add<T>(e, t1); a = add<T>(t1, t2of<T>(b, c, bc, ab));

  // Rounds 62 and 63: the roles end rotated by two (a..h are in g, h, a, b, c, d, e, f).
  const w62 = schedule<T>(w60, w55, w47, w46);
  ab = xor<T>(a, b); t1 = t1of<T>(e, f, g, h, wk<T>(w62, 62)); d = add<T>(d, t1); h = add<T>(t1, t2of<T>(a, b, ab, bc));
  const w63 = schedule<T>(w61, w56, w48, w47);
  bc = xor<T>(h, a); t1 = t1of<T>(d, e, f, g, wk<T>(w63, 63)); c = add<T>(c, t1); g = add<T>(t1, t2of<T>(h, a, bc, ab));

  // Block 1 starts from H(1) = midstate + block 0's a..h, and its W + K is constant.
  const h0 = add<T>(at<T>(MIDSTATE + 0), g);
  return add<T>(h0, block1<T>(
    h0, add<T>(at<T>(MIDSTATE + 1), h), add<T>(at<T>(MIDSTATE + 2), a), add<T>(at<T>(MIDSTATE + 3), b),
    add<T>(at<T>(MIDSTATE + 4), c), add<T>(at<T>(MIDSTATE + 5), d), add<T>(at<T>(MIDSTATE + 6), e),
    add<T>(at<T>(MIDSTATE + 7), f),
  ));
}

/**
 * The 64 rounds of block 1 from a..h (inlined: its parameters are the caller's locals);
 * returns the final a. A loop of eight unrolled rounds, one period of the role rotation, not
 * 64 unrolled rounds: W + K comes from the table either way, and the smaller function (3,500
 * instructions instead of 5,600 in V8's code) runs 5-6% faster here, and without the slow
 * runs of the longer one (a code-size effect: docs/hashing.md).
 */
// @ts-ignore: decorator
@inline function block1<T>(a: T, b: T, c: T, d: T, e: T, f: T, g: T, h: T): T {
  let t1: T, ab: T;
  let bc = xor<T>(b, c);
  for (let t = 0; t < 64; t += 8) {
    ab = xor<T>(a, b); t1 = t1of<T>(e, f, g, h, at<T>(BLOCK1 + t + 0)); d = add<T>(d, t1); h = add<T>(t1, t2of<T>(a, b, ab, bc));
    bc = xor<T>(h, a); t1 = t1of<T>(d, e, f, g, at<T>(BLOCK1 + t + 1)); c = add<T>(c, t1); g = add<T>(t1, t2of<T>(h, a, bc, ab));
    ab = xor<T>(g, h); t1 = t1of<T>(c, d, e, f, at<T>(BLOCK1 + t + 2)); b = add<T>(b, t1); f = add<T>(t1, t2of<T>(g, h, ab, bc));
    bc = xor<T>(f, g); t1 = t1of<T>(b, c, d, e, at<T>(BLOCK1 + t + 3)); a = add<T>(a, t1); e = add<T>(t1, t2of<T>(f, g, bc, ab));
    ab = xor<T>(e, f); t1 = t1of<T>(a, b, c, d, at<T>(BLOCK1 + t + 4)); h = add<T>(h, t1); d = add<T>(t1, t2of<T>(e, f, ab, bc));
    bc = xor<T>(d, e); t1 = t1of<T>(h, a, b, c, at<T>(BLOCK1 + t + 5)); g = add<T>(g, t1); c = add<T>(t1, t2of<T>(d, e, bc, ab));
    ab = xor<T>(c, d); t1 = t1of<T>(g, h, a, b, at<T>(BLOCK1 + t + 6)); f = add<T>(f, t1); b = add<T>(t1, t2of<T>(c, d, ab, bc));
    bc = xor<T>(b, c); t1 = t1of<T>(f, g, h, a, at<T>(BLOCK1 + t + 7)); e = add<T>(e, t1); a = add<T>(t1, t2of<T>(b, c, bc, ab));
  }
  return a;
}
