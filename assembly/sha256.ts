/**
 * SHA-256 (FIPS 180-4) specialised for one question: which nonce n makes
 * SHA-256(prefix || n) <= target, where n is 8 bytes, unsigned 64-bit big-endian.
 *
 * This module holds what the scalar build (`index.ts`) and the SIMD build (`simd.ts`) share:
 * the static memory layout, streaming absorption of the prefix into a midstate, the plain
 * digest, and `prepareJob()`, which turns the prefix tail and the target into per-job tables
 * the nonce searches read.
 *
 * ## The interface (both builds export the same functions over the same buffers)
 *
 *   begin()                  resets the running state to H(0) (§5.3.3) and the length to 0.
 *   absorb(length)           absorbs INPUT[0 .. length), length <= INPUT_LENGTH; call it as many
 *                            times as needed (a prefix of any length goes in by chunks). Every
 *                            full 64-byte block is compressed at once; the rest waits in a tail.
 *   digest()                 writes SHA-256 of everything absorbed to DIGEST (32 bytes). The
 *                            running state is kept, but a prepared job is overwritten: call
 *                            prepare() again before searching (absorb() likewise).
 *   prepare()                binds the job: the absorbed prefix, then the nonce, then the padding,
 *                            and the target the host wrote to TARGET.
 *   search(hi, lo, count)    hashes the nonces hi:lo, hi:lo + 1, ... (count of them, carrying into
 *                            hi, count <= 2^32 - 1) and stops at the first whose hash <= target.
 *                            Returns 1 if found, else 0. Writes RESULT and, when found, DIGEST.
 *
 * ## Memory layout (exported globals hold the addresses; none of this moves: no allocation)
 *
 *   INPUT   INPUT_LENGTH bytes  host -> wasm   the next chunk of the prefix, raw bytes
 *   TARGET  8 x u32             host -> wasm   target, word 0 the most significant 32 bits;
 *                                               each word a native (little-endian) u32
 *   RESULT  3 x u32             wasm -> host   [0] nonce high word, [1] nonce low word (valid
 *                                               when found), [2] nonces tried (n - start + 1
 *                                               if found, else count)
 *   DIGEST  32 bytes            wasm -> host   the hash as bytes (digest(), or the found nonce's)
 *
 * Everything below those is private scratch; a search never allocates.
 *
 * ## Where a nonce's time goes, and what is done once instead
 *
 * Per job (prepare): the midstate over the prefix's full blocks; the last block(s) laid out
 * with their padding; the whole W + K of a final block that is pure padding (for the tutorial's
 * 48-byte prefix the nonce ends block 0 and block 1 is constant). Per high word of the nonce
 * (prepareHigh, once in 2^32 nonces): the schedule words and the rounds of block 0 that come
 * before the first word holding low-word bytes (rounds 0..12 for the tutorial's prefix).
 *
 * Per nonce, two paths:
 * - the fast path (`fastPath`: prefix length mod 64 = 48, the tutorial's layout, which powchain's
 *   block template keeps): kernel.ts, unrolled with everything in locals, from the table
 *   prepareFast() fills per high word (round 13 and the nonce-independent terms of the
 *   varying schedule words folded in). It gives hash word 0; a nonce whose word 0 is <= target
 *   word 0 is hashed again by the general path for the full comparison and the digest.
 * - the general path (every other layout): the schedule words that depend on the low word
 *   (expandVarying over a precomputed bit mask), the remaining rounds, and a test of hash
 *   word 0 against target word 0 before the full 256-bit comparison.
 * docs/hashing.md has the memory layout and the per-job/per-nonce split in full.
 *
 * search() returns after `count` nonces: V8 has no on-stack replacement for WebAssembly, so
 * a call that began in baseline (Liftoff) code stays there; the per-nonce work lives in
 * separate functions (rounds, expandVarying, the kernel's word0), which V8 tiers up while a
 * batch runs.
 */

import {
  FAST32, A13, E13, B13, C13, D13, F13, G13, X14, X15, X16, WK17, WK18, WK19, WK21, WK23, WK25,
  FOLD, KT, MIDSTATE, BLOCK1,
} from './kernel';

// ---------------------------------------------------------------------------------------
// Constants

/** FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
export const K: usize = memory.data<u32>([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
], 16);

/** FIPS 180-4 §5.3.3: the initial hash value H(0). */
const H0: usize = memory.data<u32>([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
], 16);

// ---------------------------------------------------------------------------------------
// Host-visible buffers

/** 64 KiB: a whole prefix (a block is < 64 KiB on the wire) usually goes in with one call. */
export const INPUT_LENGTH: i32 = 65536;
export const INPUT: usize = memory.data(INPUT_LENGTH, 16);
export const TARGET: usize = memory.data(32, 16);
export const RESULT: usize = memory.data(12, 16);
export const DIGEST: usize = memory.data(32, 16);

// ---------------------------------------------------------------------------------------
// Private scratch (u32 words unless said otherwise)

/** The running hash H(i) over the absorbed full blocks. */
const H: usize = memory.data(32, 16);
/** Absorbed bytes not yet in a full block (fewer than 64). */
const TAIL: usize = memory.data(64, 16);
let tailLength: i32 = 0;
let absorbedLength: u64 = 0;

/** The last one or two blocks (tail || zero nonce || padding), as bytes. */
const TEMPLATE: usize = memory.data(128, 16);

/**
 * Message schedules W(0..63) (§6.2.2 step 1) of the job's last block(s): block 0 at word 0,
 * block 1 at word 64. WK holds W(t) + K(t), the only way the rounds use W.
 */
export const W: usize = memory.data(128 * 4, 16);
export const WK: usize = memory.data(128 * 4, 16);
/** The midstate: H before the job's first block. */
export const MID: usize = memory.data(32, 16);
/** a..h after the rounds of block 0 that precede the first nonce word (identical for every nonce). */
export const PRE: usize = memory.data(32, 16);
/** The hash of the current nonce, as words. */
export const HASH: usize = memory.data(32, 16);
/** The bound target, as words (copied from TARGET by prepare). */
export const TARGET_WORDS: usize = memory.data(32, 16);

// Job parameters, set by prepareJob(). The nonce's 8 bytes start at byte `tailLength` of the
// job's first block, so they touch words nonceWord .. nonceWord + 2 (3 words unless aligned).
// Word nonceWord holds only bytes of the nonce's high 32 bits, which change once in 2^32
// nonces: prepareHigh() precomputes everything that depends on it, once per high word.

/** Index in the 64-byte block of the first word holding nonce bytes. */
export let nonceWord: i32 = 0;
/** 8 * (tailLength % 4): how far the nonce is shifted right inside its first word. */
export let nonceShift: u32 = 0;
/** Index into W/WK (block * 64 + word) of each of the three words the nonce touches. */
export let nonceIndex0: i32 = 0;
export let nonceIndex1: i32 = 0;
export let nonceIndex2: i32 = 0;
/** The template's bytes sharing words 0 and 2 with the nonce (nonce bytes themselves are 0). */
export let nonceTemplate0: u32 = 0;
export let nonceTemplate2: u32 = 0;

// What one nonce costs: the first block (block 0, or block 1 when all of block 0 depends only
// on the high word) from round firstRound, then possibly block 1 (pure padding unless the
// nonce spills into it). Bit t of a varying mask: schedule word W(t), t >= 16, of that block
// depends on the low word; the others are computed once per high word.

/** Word index in W/WK (0 or 64) of the first block hashed per nonce. */
export let firstBase: i32 = 0;
/** Its first round that depends on the low word: rounds before it are PRE. */
export let firstRound: i32 = 0;
/** True when the first block is block 1, so PRE is also what its rounds are added to. */
export let firstIsBlock1: bool = false;
export let firstVarying: u64 = 0;
/** True when block 1 follows block 0 per nonce. */
export let secondBlock: bool = false;
export let secondVarying: u64 = 0;
/**
 * True when the prefix length mod 64 is 48 (the tutorial's layout: nonce in words 12 and 13 of
 * block 0, block 1 pure padding): the specialised kernel of kernel.ts does the per-nonce work.
 */
export let fastPath: bool = false;
/** The high word the tables were last prepared for. */
export let preparedHigh: u32 = 0;
export let highPrepared: bool = false;

// ---------------------------------------------------------------------------------------
// FIPS 180-4 §4.1.2 functions

// @ts-ignore: decorator
@inline export function Ch(x: u32, y: u32, z: u32): u32 {
  return z ^ (x & (y ^ z));
}
// @ts-ignore: decorator
@inline export function Maj(x: u32, y: u32, z: u32): u32 {
  return (x & y) | (z & (x | y));
}
// @ts-ignore: decorator
@inline export function Sigma0(x: u32): u32 {
  return rotr<u32>(x, 2) ^ rotr<u32>(x, 13) ^ rotr<u32>(x, 22);
}
// @ts-ignore: decorator
@inline export function Sigma1(x: u32): u32 {
  return rotr<u32>(x, 6) ^ rotr<u32>(x, 11) ^ rotr<u32>(x, 25);
}
// @ts-ignore: decorator
@inline export function sigma0(x: u32): u32 {
  return rotr<u32>(x, 7) ^ rotr<u32>(x, 18) ^ (x >>> 3);
}
// @ts-ignore: decorator
@inline export function sigma1(x: u32): u32 {
  return rotr<u32>(x, 17) ^ rotr<u32>(x, 19) ^ (x >>> 10);
}

// @ts-ignore: decorator
@inline function word(base: usize, i: i32): u32 {
  return load<u32>(base + (<usize>i << 2));
}
// @ts-ignore: decorator
@inline function setWord(base: usize, i: i32, value: u32): void {
  store<u32>(base + (<usize>i << 2), value);
}

// ---------------------------------------------------------------------------------------
// Scalar compression pieces

/**
 * §6.2.2 step 1 for t = from .. 63 of the 64-word schedule at w, and WK(t) = W(t) + K(t).
 * Words below `from` are left as they are: they do not depend on the nonce.
 */
export function expand(w: usize, wk: usize, from: i32): void {
  for (let t = from; t < 64; t++) {
    const value = sigma1(word(w, t - 2)) + word(w, t - 7) + sigma0(word(w, t - 15)) + word(w, t - 16);
    setWord(w, t, value);
    setWord(wk, t, value + word(K, t));
  }
}

/** §6.2.2 step 3 for t = from .. to - 1 on the a..h at `state`, one round at a time (per job, not per nonce). */
function roundsRange(wk: usize, from: i32, to: i32, state: usize): void {
  let a = word(state, 0), b = word(state, 1), c = word(state, 2), d = word(state, 3);
  let e = word(state, 4), f = word(state, 5), g = word(state, 6), h = word(state, 7);
  for (let t = from; t < to; t++) {
    const t1 = h + Sigma1(e) + Ch(e, f, g) + word(wk, t);
    const t2 = Sigma0(a) + Maj(a, b, c);
    h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  setWord(state, 0, a); setWord(state, 1, b); setWord(state, 2, c); setWord(state, 3, d);
  setWord(state, 4, e); setWord(state, 5, f); setWord(state, 6, g); setWord(state, 7, h);
}

/**
 * §6.2.2 steps 3 and 4, the hot path: loads a..h from `state`, runs rounds from .. 63, and
 * writes out(i) = addend(i) + a..h(i) (`out` may be `state` or `addend`). After the single
 * rounds up to the next multiple of 8, eight rounds per iteration with the variables' roles
 * rotated by name instead of shuffled (round t writes the new `a` into the variable that
 * held `h`, and the new `e` into the one that held `d`), so the roles come back after eight
 * rounds and no value is moved. Maj(a, b, c) = b ^ ((a ^ b) & (b ^ c)), with this round's
 * a ^ b kept as the next round's b ^ c (ab and bc swap roles each round).
 */
export function rounds(wk: usize, from: i32, state: usize, addend: usize, out: usize): void {
  let a = word(state, 0), b = word(state, 1), c = word(state, 2), d = word(state, 3);
  let e = word(state, 4), f = word(state, 5), g = word(state, 6), h = word(state, 7);
  let bc = b ^ c;
  let t = from;
  for (; t & 7; t++) {
    const ab = a ^ b;
    const t1 = h + Sigma1(e) + Ch(e, f, g) + word(wk, t);
    const t2 = Sigma0(a) + (b ^ (ab & bc));
    bc = ab;
    h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  let ab: u32;
  for (; t < 64; t += 8) {
    const p = wk + (<usize>t << 2);
    let t1: u32;
    ab = a ^ b; t1 = h + Sigma1(e) + Ch(e, f, g) + load<u32>(p, 0);  d += t1; h = t1 + Sigma0(a) + (b ^ (ab & bc));
    bc = h ^ a; t1 = g + Sigma1(d) + Ch(d, e, f) + load<u32>(p, 4);  c += t1; g = t1 + Sigma0(h) + (a ^ (bc & ab));
    ab = g ^ h; t1 = f + Sigma1(c) + Ch(c, d, e) + load<u32>(p, 8);  b += t1; f = t1 + Sigma0(g) + (h ^ (ab & bc));
    bc = f ^ g; t1 = e + Sigma1(b) + Ch(b, c, d) + load<u32>(p, 12); a += t1; e = t1 + Sigma0(f) + (g ^ (bc & ab));
    ab = e ^ f; t1 = d + Sigma1(a) + Ch(a, b, c) + load<u32>(p, 16); h += t1; d = t1 + Sigma0(e) + (f ^ (ab & bc));
    bc = d ^ e; t1 = c + Sigma1(h) + Ch(h, a, b) + load<u32>(p, 20); g += t1; c = t1 + Sigma0(d) + (e ^ (bc & ab));
    ab = c ^ d; t1 = b + Sigma1(g) + Ch(g, h, a) + load<u32>(p, 24); f += t1; b = t1 + Sigma0(c) + (d ^ (ab & bc));
    bc = b ^ c; t1 = a + Sigma1(f) + Ch(f, g, h) + load<u32>(p, 28); e += t1; a = t1 + Sigma0(b) + (c ^ (bc & ab));
  }
  setWord(out, 0, word(addend, 0) + a); setWord(out, 1, word(addend, 1) + b);
  setWord(out, 2, word(addend, 2) + c); setWord(out, 3, word(addend, 3) + d);
  setWord(out, 4, word(addend, 4) + e); setWord(out, 5, word(addend, 5) + f);
  setWord(out, 6, word(addend, 6) + g); setWord(out, 7, word(addend, 7) + h);
}

/** Loads the 64 bytes at `block` as 16 big-endian words into schedule `w` (§5.2.1). */
function loadBlock(w: usize, wk: usize, block: usize): void {
  for (let t = 0; t < 16; t++) {
    const value = bswap<u32>(load<u32>(block + (<usize>t << 2)));
    setWord(w, t, value);
    setWord(wk, t, value + word(K, t));
  }
  expand(w, wk, 16);
}

/** §6.2.2 on one whole block: H(i) = H(i-1) + rounds(H(i-1), block). Not the hot path. */
function compressInto(state: usize, block: usize): void {
  loadBlock(W, WK, block);
  rounds(WK, 0, state, state, state);
}

// ---------------------------------------------------------------------------------------
// Streaming absorption and plain digest

export function begin(): void {
  memory.copy(H, H0, 32);
  tailLength = 0;
  absorbedLength = 0;
}

export function absorb(length: i32): void {
  let p = INPUT;
  let remaining = length;
  absorbedLength += <u64>length;
  if (tailLength > 0) {
    const take = min(64 - tailLength, remaining);
    memory.copy(TAIL + <usize>tailLength, p, take);
    tailLength += take;
    p += take;
    remaining -= take;
    if (tailLength < 64) return;
    compressInto(H, TAIL);
    tailLength = 0;
  }
  while (remaining >= 64) {
    compressInto(H, p);
    p += 64;
    remaining -= 64;
  }
  memory.copy(TAIL, p, remaining);
  tailLength = remaining;
}

/** Writes `words` (8 words) to DIGEST as big-endian bytes (§6.2.2 step 4, final H(N)). */
export function writeDigest(words: usize): void {
  for (let i = 0; i < 8; i++) store<u32>(DIGEST + (<usize>i << 2), bswap<u32>(word(words, i)));
}

export function digest(): void {
  // §5.1.1 padding: tail || 0x80 || zeros || 64-bit big-endian bit length.
  memory.fill(TEMPLATE, 0, 128);
  memory.copy(TEMPLATE, TAIL, tailLength);
  store<u8>(TEMPLATE + <usize>tailLength, 0x80);
  const count: i32 = tailLength + 9 <= 64 ? 1 : 2;
  store<u64>(TEMPLATE + <usize>(count * 64 - 8), bswap<u64>(absorbedLength << 3));
  memory.copy(HASH, H, 32);
  compressInto(HASH, TEMPLATE);
  if (count == 2) compressInto(HASH, TEMPLATE + 64);
  writeDigest(HASH);
}

// ---------------------------------------------------------------------------------------
// The job

/** Bits t (16..63) of the schedule words that depend, through §6.2.2 step 1, on the words in `words` (bits 0..15). */
function dependentSchedule(words: u64): u64 {
  let depends = words;
  for (let t = 16; t < 64; t++) {
    const sources = (depends >> <u64>(t - 2)) | (depends >> <u64>(t - 7)) | (depends >> <u64>(t - 15)) | (depends >> <u64>(t - 16));
    if (sources & 1) depends |= <u64>1 << <u64>t;
  }
  return depends & ~<u64>0xffff;
}

/** Where in W/WK global word g (0..31, counted across the last two blocks) lives. */
// @ts-ignore: decorator
@inline function scheduleIndex(g: i32): i32 {
  return (g >> 4) * 64 + (g & 15);
}

/**
 * Lays out the job's last block(s), tail || nonce (zeros here) || 0x80 || zeros || bit length
 * of prefix + nonce (§5.1.1), with their full schedules (block 1's W + K then stays valid for
 * every nonce when it is pure padding), and works out which words and rounds depend on the
 * nonce's low word.
 */
export function prepareJob(): void {
  const tail = tailLength;
  memory.copy(MID, H, 32);
  for (let i = 0; i < 8; i++) setWord(TARGET_WORDS, i, word(TARGET, i));

  memory.fill(TEMPLATE, 0, 128);
  memory.copy(TEMPLATE, TAIL, tail);
  store<u8>(TEMPLATE + <usize>(tail + 8), 0x80);
  const blocks = tail + 8 + 9 <= 64 ? 1 : 2;
  store<u64>(TEMPLATE + <usize>(blocks * 64 - 8), bswap<u64>((absorbedLength + 8) << 3));
  loadBlock(W, WK, TEMPLATE);
  loadBlock(W + 256, WK + 256, TEMPLATE + 64);

  const g = tail >> 2;
  nonceWord = g;
  nonceShift = <u32>(tail & 3) << 3;
  nonceIndex0 = scheduleIndex(g);
  nonceIndex1 = scheduleIndex(g + 1);
  // When aligned the nonce touches two words; the third then just gets its own template
  // value rewritten every time, which keeps the hot path free of a third case.
  nonceIndex2 = scheduleIndex(g + 2);
  nonceTemplate0 = bswap<u32>(load<u32>(TEMPLATE + (<usize>g << 2)));
  nonceTemplate2 = bswap<u32>(load<u32>(TEMPLATE + (<usize>(g + 2) << 2)));

  // Words that depend on the low word: g + 1, and g + 2 unless aligned.
  let low0: u64 = 0, low1: u64 = 0;
  for (let gj = g + 1; gj <= g + (nonceShift == 0 ? 1 : 2); gj++) {
    if (gj < 16) low0 |= <u64>1 << <u64>gj;
    else low1 |= <u64>1 << <u64>(gj - 16);
  }
  firstIsBlock1 = g == 15;
  if (firstIsBlock1) {
    firstBase = 64;
    firstRound = 0;
    firstVarying = dependentSchedule(low1);
    secondBlock = false;
  } else {
    firstBase = 0;
    firstRound = g + 1;
    firstVarying = dependentSchedule(low0);
    secondBlock = blocks == 2;
    secondVarying = dependentSchedule(low1);
  }
  fastPath = tail == FAST_TAIL;
  highPrepared = false;
}

/**
 * Precomputes what depends on the nonce's high word but not its low word: the word
 * nonceWord, the schedule words of block 0 that follow from it, and PRE: a..h after rounds
 * 0 .. nonceWord of block 0 (or, when the low word starts in block 1, H after all of block 0).
 */
export function prepareHigh(hi: u32): void {
  setNonceWord(nonceIndex0, nonceWord0(hi));
  expand(W, WK, 16);
  memory.copy(PRE, MID, 32);
  if (firstIsBlock1) rounds(WK, 0, PRE, PRE, PRE);
  else roundsRange(WK, 0, firstRound, PRE);
  if (fastPath) prepareFast();
  preparedHigh = hi;
  highPrepared = true;
}

/** The tail length (prefix length mod 64) the specialised kernel covers. */
const FAST_TAIL = 48;

/**
 * The table of kernel.ts for the current high word, from W (block 0, W12 = hi, already
 * expanded by prepareHigh: the words that do not depend on W13 are final) and PRE (a..h
 * after rounds 0..12). Each C(t) is the sum of the terms of
 * W(t) = σ1(W(t-2)) + W(t-7) + σ0(W(t-15)) + W(t-16) that do not depend on W13 = lo
 * (docs/hashing.md lists which those are). Also the midstate and block 1's W + K: the whole
 * table is rewritten per high word, which is simpler than splitting it and costs nothing.
 */
function prepareFast(): void {
  const pa = word(PRE, 0), pb = word(PRE, 1), pc = word(PRE, 2), pd = word(PRE, 3);
  const pe = word(PRE, 4), pf = word(PRE, 5), pg = word(PRE, 6), ph = word(PRE, 7);
  // Round 13 without its W13: T1 = T13 + lo, so a = T13 + T2 + lo and e = d + T13 + lo.
  const t13 = ph + Sigma1(pe) + Ch(pe, pf, pg) + word(K, 13);
  setFast(A13, t13 + Sigma0(pa) + Maj(pa, pb, pc));
  setFast(E13, pd + t13);
  setFast(B13, pa);
  setFast(C13, pb);
  setFast(D13, pc);
  setFast(F13, pe);
  setFast(G13, pf);
  // Rounds 14..16: h is what was g, f and e after round 12.
  setFast(X14, pg + word(WK, 14));
  setFast(X15, pf + word(WK, 15));
  setFast(X16, pe + word(WK, 16));
  setFast(WK17, word(WK, 17));
  setFast(WK18, word(WK, 18));
  setFast(WK19, word(WK, 19));
  setFast(WK21, word(WK, 21));
  setFast(WK23, word(WK, 23));
  setFast(WK25, word(WK, 25));
  // W(t) for t = 0..12 and 14..19, 21, 23, 25 do not depend on lo.
  const w = W;
  setFold(20, sigma1(word(w, 18)) + sigma0(word(w, 5)) + word(w, 4)); // + W13
  setFold(21, 0);
  setFold(22, word(w, 15) + sigma0(word(w, 7)) + word(w, 6)); // + σ1(W20)
  setFold(23, 0);
  setFold(24, word(w, 17) + sigma0(word(w, 9)) + word(w, 8)); // + σ1(W22)
  setFold(25, 0);
  setFold(26, word(w, 19) + sigma0(word(w, 11)) + word(w, 10)); // + σ1(W24)
  setFold(27, sigma1(word(w, 25)) + sigma0(word(w, 12)) + word(w, 11)); // + W20
  setFold(28, word(w, 21) + word(w, 12)); // + σ1(W26) + σ0(W13)
  setFold(29, sigma0(word(w, 14))); // + σ1(W27) + W22 + W13
  setFold(30, word(w, 23) + sigma0(word(w, 15)) + word(w, 14)); // + σ1(W28)
  setFold(31, sigma0(word(w, 16)) + word(w, 15)); // + σ1(W29) + W24
  setFold(32, word(w, 25) + sigma0(word(w, 17)) + word(w, 16)); // + σ1(W30)
  setFold(33, sigma0(word(w, 18)) + word(w, 17)); // + σ1(W31) + W26
  setFold(34, sigma0(word(w, 19)) + word(w, 18)); // + σ1(W32) + W27
  setFold(35, word(w, 19)); // + σ1(W33) + W28 + σ0(W20)
  setFold(36, sigma0(word(w, 21))); // + σ1(W34) + W29 + W20
  setFold(37, word(w, 21)); // + σ1(W35) + W30 + σ0(W22)
  setFold(38, sigma0(word(w, 23))); // + σ1(W36) + W31 + W22
  setFold(39, word(w, 23)); // + σ1(W37) + W32 + σ0(W24)
  setFold(40, sigma0(word(w, 25))); // + σ1(W38) + W33 + W24
  setFold(41, word(w, 25)); // + σ1(W39) + W34 + σ0(W26)
  for (let t = 0; t < 64; t++) setFast(KT + t, word(K, t));
  for (let i = 0; i < 8; i++) setFast(MIDSTATE + i, word(MID, i));
  for (let t = 0; t < 64; t++) setFast(BLOCK1 + t, word(WK, 64 + t));
}

// @ts-ignore: decorator
@inline function setFast(entry: i32, value: u32): void {
  setWord(FAST32, entry, value);
}
// @ts-ignore: decorator
@inline function setFold(t: i32, value: u32): void {
  setWord(FAST32, FOLD + t - 20, value);
}

// @ts-ignore: decorator
@inline export function setNonceWord(index: i32, value: u32): void {
  const offset = <usize>index << 2;
  store<u32>(W + offset, value);
  store<u32>(WK + offset, value + load<u32>(K + (offset & 63)));
}

// The three schedule words the nonce hi:lo touches, in order (aligned: hi, lo, unchanged).
// @ts-ignore: decorator
@inline export function nonceWord0(hi: u32): u32 {
  return nonceShift == 0 ? hi : nonceTemplate0 | (hi >>> nonceShift);
}
// @ts-ignore: decorator
@inline export function nonceWord1(hi: u32, lo: u32): u32 {
  return nonceShift == 0 ? lo : (hi << (32 - nonceShift)) | (lo >>> nonceShift);
}
// @ts-ignore: decorator
@inline export function nonceWord2(lo: u32): u32 {
  return nonceShift == 0 ? nonceTemplate2 : nonceTemplate2 | (lo << (32 - nonceShift));
}

/** §6.2.2 step 1 for the words t whose bit is set in `varying`, and WK(t). */
export function expandVarying(w: usize, wk: usize, varying: u64): void {
  while (varying != 0) {
    const t = <i32>ctz<u64>(varying);
    varying &= varying - 1;
    const value = sigma1(word(w, t - 2)) + word(w, t - 7) + sigma0(word(w, t - 15)) + word(w, t - 16);
    setWord(w, t, value);
    setWord(wk, t, value + word(K, t));
  }
}

/** SHA-256(prefix || hi:lo) into HASH; the tables must be prepared for `hi` (prepareHigh). */
export function hashNonce(hi: u32, lo: u32): void {
  setNonceWord(nonceIndex1, nonceWord1(hi, lo));
  setNonceWord(nonceIndex2, nonceWord2(lo));
  const base = <usize>firstBase << 2;
  expandVarying(W + base, WK + base, firstVarying);
  rounds(WK + base, firstRound, PRE, firstIsBlock1 ? PRE : MID, HASH);
  if (secondBlock) {
    // Usually pure padding, whose W + K prepareJob() computed once for all nonces.
    expandVarying(W + 256, WK + 256, secondVarying);
    rounds(WK + 256, 0, HASH, HASH, HASH);
  }
}

/** hash <= target, comparing the 256-bit big-endian numbers word by word from the top. */
export function hashAtMostTarget(hashWords: usize, stride: usize): bool {
  for (let i = 0; i < 8; i++) {
    const hw = load<u32>(hashWords + <usize>i * stride);
    const tw = word(TARGET_WORDS, i);
    if (hw != tw) return hw < tw;
  }
  return true;
}
