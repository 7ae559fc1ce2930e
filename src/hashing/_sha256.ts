/**
 * SHA-256 internals shared by the `js` engine (FIPS 180-4, section 6.2): the constants,
 * the message schedule and the compression rounds, in the noble-hashes style.
 *
 * Everything works on Int32Array rather than Uint32Array: V8 keeps int32 values in
 * registers, while a uint32 above 2^31 read from a Uint32Array becomes a double and
 * slows the round function down by half. Callers turn words unsigned (`>>> 0`) only
 * where they compare them.
 */

/** FIPS 180-4 section 4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
export const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

/** FIPS 180-4 section 5.3.3: the initial hash value H(0). */
export const IV = Int32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

/** Bytes in one SHA-256 message block. */
export const BLOCK_BYTES = 64;

/**
 * Expands the message schedule W[from..63] of the block whose schedule starts at
 * `offset` in `W` (FIPS 180-4 section 6.2.2 step 1; W[0..15] are the block's words).
 * `from` >= 16 lets a caller skip the words it knows are unchanged.
 */
export function expandSchedule(W: Int32Array, offset: number, from: number): void {
  for (let t = offset + from; t < offset + 64; t++) {
    const w15 = W[t - 15]!;
    const w2 = W[t - 2]!;
    // σ0 and σ1 of section 4.1.2 (4.6 and 4.7).
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[t] = (s1 + W[t - 7]! + s0 + W[t - 16]!) | 0;
  }
}

/**
 * Runs rounds [from, to) of FIPS 180-4 section 6.2.2 step 3 on the working variables
 * `v` = a..h, reading the schedule of the block that starts at `offset` in `W`.
 * Starting at `from` > 0 resumes from precomputed variables (rounds whose schedule
 * words do not depend on the nonce are done once per job, not once per nonce).
 */
export function rounds(v: Int32Array, W: Int32Array, offset: number, from: number, to: number): void {
  let a = v[0]!;
  let b = v[1]!;
  let c = v[2]!;
  let d = v[3]!;
  let e = v[4]!;
  let f = v[5]!;
  let g = v[6]!;
  let h = v[7]!;
  for (let t = from; t < to; t++) {
    // Σ1, Ch, Σ0 and Maj of section 4.1.2 (4.2 to 4.5).
    const sigma1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + sigma1 + ((e & f) ^ (~e & g)) + K[t]! + W[offset + t]!) | 0;
    const sigma0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (sigma0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  v[0] = a;
  v[1] = b;
  v[2] = c;
  v[3] = d;
  v[4] = e;
  v[5] = f;
  v[6] = g;
  v[7] = h;
}

/** Loads the big-endian words of one 64-byte block of `bytes` at `byteOffset` into W[offset..offset+15]. */
export function loadBlock(bytes: Uint8Array, byteOffset: number, W: Int32Array, offset: number): void {
  for (let i = 0; i < 16; i++) {
    const j = byteOffset + 4 * i;
    W[offset + i] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!;
  }
}

/** One full compression: state <- state + rounds(state, block) (section 6.2.2 steps 1 to 4). */
export function compressBlock(
  state: Int32Array,
  bytes: Uint8Array,
  byteOffset: number,
  W: Int32Array,
  v: Int32Array,
): void {
  loadBlock(bytes, byteOffset, W, 0);
  expandSchedule(W, 0, 16);
  v.set(state);
  rounds(v, W, 0, 0, 64);
  for (let i = 0; i < 8; i++) state[i] = (state[i]! + v[i]!) | 0;
}
