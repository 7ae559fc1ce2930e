/*
 * Native reference for `powchain bench`: the per-nonce work of assembly/kernel.ts (the
 * specialised kernel, prefix length mod 64 = 48) written with SSE2 intrinsics, four
 * consecutive nonces per __m128i, built with `cc -O3` and no -march, so it has what the
 * WebAssembly SIMD build has: 128-bit vectors and no vector rotate (ROTR = two shifts
 * and an OR). It answers how far the WebAssembly build is from native code doing the same
 * work on the same machine. docs/hashing.md describes the split it mirrors.
 *
 *   sha256x4 PREFIX_HEX                 then reads commands, one a line, on stdin:
 *     run MS        hashes nonces from where the last run stopped for about MS ms of wall
 *                   time, in batches of 4096; prints "HASHES WALL_NS CPU_NS BATCH_NS"
 *                   (CPU_NS: this thread's CPU time; BATCH_NS: the median wall time of one
 *                   batch, which a batch interrupted by the scheduler does not move)
 *     find START COUNT TARGET0_HEX
 *                   prints the first nonce in [START, START + COUNT) whose hash word 0 is
 *                   <= TARGET0 (a 32-bit target on the top word, enough for the caller
 *                   to check this program against node:crypto), or "none"
 *     quit
 *
 * It refuses (exit 2, a line on stderr) a prefix whose length mod 64 is not 48.
 */
#include <emmintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef __m128i v;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};
static const uint32_t H0[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* ---- scalar SHA-256, for the per-job and per-high-word precomputation ---- */

static uint32_t ror32(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
static uint32_t bs0(uint32_t x) { return ror32(x, 2) ^ ror32(x, 13) ^ ror32(x, 22); }
static uint32_t bs1(uint32_t x) { return ror32(x, 6) ^ ror32(x, 11) ^ ror32(x, 25); }
static uint32_t ss0(uint32_t x) { return ror32(x, 7) ^ ror32(x, 18) ^ (x >> 3); }
static uint32_t ss1(uint32_t x) { return ror32(x, 17) ^ ror32(x, 19) ^ (x >> 10); }
static uint32_t ch(uint32_t x, uint32_t y, uint32_t z) { return z ^ (x & (y ^ z)); }
static uint32_t maj(uint32_t x, uint32_t y, uint32_t z) { return (x & y) | (z & (x | y)); }

static void expand(uint32_t w[64]) {
  for (int t = 16; t < 64; t++) w[t] = ss1(w[t - 2]) + w[t - 7] + ss0(w[t - 15]) + w[t - 16];
}
/* Rounds [from, to) on s = a..h. */
static void rounds(uint32_t s[8], const uint32_t w[64], int from, int to) {
  for (int t = from; t < to; t++) {
    uint32_t t1 = s[7] + bs1(s[4]) + ch(s[4], s[5], s[6]) + K[t] + w[t];
    uint32_t t2 = bs0(s[0]) + maj(s[0], s[1], s[2]);
    memmove(s + 1, s, 7 * sizeof s[0]);
    s[4] += t1;
    s[0] = t1 + t2;
  }
}
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* ---- the job: what assembly/sha256.ts prepareJob/prepareHigh/prepareFast compute ---- */

enum { A13, E13, B13, C13, D13, F13, G13, X14, X15, X16, WK17, WK18, WK19, WK21, WK23, WK25, FOLD };
#define C(t) table[FOLD + (t) - 20]
static uint32_t table[FOLD + 22];
static uint32_t mid[8], block1wk[64];
static uint32_t block0[16];

static void prepare_high(uint32_t hi) {
  uint32_t w[64], s[8];
  memcpy(w, block0, sizeof block0);
  w[12] = hi;
  w[13] = 0; /* lo: none of the words read below depends on it */
  expand(w);
  memcpy(s, mid, sizeof s);
  rounds(s, w, 0, 13);
  uint32_t t13 = s[7] + bs1(s[4]) + ch(s[4], s[5], s[6]) + K[13];
  table[A13] = t13 + bs0(s[0]) + maj(s[0], s[1], s[2]);
  table[E13] = s[3] + t13;
  table[B13] = s[0], table[C13] = s[1], table[D13] = s[2], table[F13] = s[4], table[G13] = s[5];
  table[X14] = s[6] + w[14] + K[14];
  table[X15] = s[5] + w[15] + K[15];
  table[X16] = s[4] + w[16] + K[16];
  table[WK17] = w[17] + K[17], table[WK18] = w[18] + K[18], table[WK19] = w[19] + K[19];
  table[WK21] = w[21] + K[21], table[WK23] = w[23] + K[23], table[WK25] = w[25] + K[25];
  C(20) = ss1(w[18]) + ss0(w[5]) + w[4];
  C(22) = w[15] + ss0(w[7]) + w[6];
  C(24) = w[17] + ss0(w[9]) + w[8];
  C(26) = w[19] + ss0(w[11]) + w[10];
  C(27) = ss1(w[25]) + ss0(w[12]) + w[11];
  C(28) = w[21] + w[12];
  C(29) = ss0(w[14]);
  C(30) = w[23] + ss0(w[15]) + w[14];
  C(31) = ss0(w[16]) + w[15];
  C(32) = w[25] + ss0(w[17]) + w[16];
  C(33) = ss0(w[18]) + w[17];
  C(34) = ss0(w[19]) + w[18];
  C(35) = w[19];
  C(36) = ss0(w[21]);
  C(37) = w[21];
  C(38) = ss0(w[23]);
  C(39) = w[23];
  C(40) = ss0(w[25]);
  C(41) = w[25];
}

static int prepare_job(const uint8_t *prefix, size_t length) {
  if (length % 64 != 48) return 0;
  memcpy(mid, H0, sizeof mid);
  uint32_t w[64];
  for (size_t at = 0; at + 64 <= length; at += 64) {
    for (int i = 0; i < 16; i++) w[i] = be32(prefix + at + 4 * i);
    expand(w);
    uint32_t s[8];
    memcpy(s, mid, sizeof s);
    rounds(s, w, 0, 64);
    for (int i = 0; i < 8; i++) mid[i] += s[i];
  }
  const uint8_t *tail = prefix + length - 48;
  for (int i = 0; i < 12; i++) block0[i] = be32(tail + 4 * i);
  block0[14] = 0x80000000u;
  block0[15] = 0;
  uint64_t bits = (uint64_t)(length + 8) * 8;
  memset(w, 0, sizeof w);
  w[14] = (uint32_t)(bits >> 32);
  w[15] = (uint32_t)bits;
  expand(w);
  for (int t = 0; t < 64; t++) block1wk[t] = w[t] + K[t];
  return 1;
}

/* ---- the per-nonce kernel, four lanes ---- */

#define SPLAT(x) _mm_set1_epi32((int)(x))
#define ADD(x, y) _mm_add_epi32(x, y)
#define XOR(x, y) _mm_xor_si128(x, y)
#define AND(x, y) _mm_and_si128(x, y)
#define ROR(x, n) _mm_or_si128(_mm_srli_epi32(x, n), _mm_slli_epi32(x, 32 - (n)))
#define SHR(x, n) _mm_srli_epi32(x, n)
#define S0(x) XOR(XOR(ROR(x, 2), ROR(x, 13)), ROR(x, 22))
#define S1(x) XOR(XOR(ROR(x, 6), ROR(x, 11)), ROR(x, 25))
#define s0(x) XOR(XOR(ROR(x, 7), ROR(x, 18)), SHR(x, 3))
#define s1(x) XOR(XOR(ROR(x, 17), ROR(x, 19)), SHR(x, 10))
#define CH(x, y, z) XOR(z, AND(x, XOR(y, z)))
#define SCHED(w2, w7, w15, w16) ADD(ADD(s1(w2), w7), ADD(s0(w15), w16))
/* One round on (a..h) with W + K = wk; `hk` is h + wk when h is folded (h unused then).
 * Maj(a, b, c) = b ^ ((a ^ b) & (b ^ c)), with a ^ b kept as the next round's b ^ c. */
#define ROUND_HK(a, b, c, d, e, f, g, hk)                                   \
  do {                                                                      \
    v ab_ = XOR(a, b);                                                      \
    v t1_ = ADD(ADD(S1(e), CH(e, f, g)), hk);                               \
    d = ADD(d, t1_);                                                        \
    h_next = ADD(t1_, ADD(S0(a), XOR(b, AND(ab_, bc))));                    \
    bc = ab_;                                                               \
  } while (0)
#define ROUND(a, b, c, d, e, f, g, h, wk)                                   \
  do {                                                                      \
    ROUND_HK(a, b, c, d, e, f, g, ADD(h, wk));                              \
    h = h_next;                                                             \
  } while (0)
/* Eight rounds from t, roles rotated by name as in kernel.ts. */
#define ROUNDS8(WK)                                                         \
  ROUND(a, b, c, d, e, f, g, h, WK(0));                                     \
  ROUND(h, a, b, c, d, e, f, g, WK(1));                                     \
  ROUND(g, h, a, b, c, d, e, f, WK(2));                                     \
  ROUND(f, g, h, a, b, c, d, e, WK(3));                                     \
  ROUND(e, f, g, h, a, b, c, d, WK(4));                                     \
  ROUND(d, e, f, g, h, a, b, c, WK(5));                                     \
  ROUND(c, d, e, f, g, h, a, b, WK(6));                                     \
  ROUND(b, c, d, e, f, g, h, a, WK(7))

static v T[FOLD + 22], B1[64], M[8], KV[64];

static void splat_tables(void) {
  for (int i = 0; i < FOLD + 22; i++) T[i] = SPLAT(table[i]);
  for (int t = 0; t < 64; t++) B1[t] = SPLAT(block1wk[t]), KV[t] = SPLAT(K[t]);
  for (int i = 0; i < 8; i++) M[i] = SPLAT(mid[i]);
}

/* Hash word 0 of the four nonces hi:lo (lanes lo .. lo + 3); tables prepared for hi. */
static v __attribute__((noinline)) word0(v lo) {
  v a = ADD(T[A13], lo), e = ADD(T[E13], lo);
  v b = T[B13], c = T[C13], d = T[D13], f = T[F13], g = T[G13], h, h_next;
  v bc = XOR(b, c);
#define WKK(w, t) ADD(w, KV[t])
  ROUND_HK(a, b, c, d, e, f, g, T[X14]); h = h_next;
  ROUND_HK(h, a, b, c, d, e, f, T[X15]); g = h_next;
  ROUND_HK(g, h, a, b, c, d, e, T[X16]); f = h_next;
  ROUND(f, g, h, a, b, c, d, e, T[WK17]);
  ROUND(e, f, g, h, a, b, c, d, T[WK18]);
  ROUND(d, e, f, g, h, a, b, c, T[WK19]);
  v w20 = ADD(lo, T[FOLD + 0]);
  ROUND(c, d, e, f, g, h, a, b, WKK(w20, 20));
  ROUND(b, c, d, e, f, g, h, a, T[WK21]);
  v w22 = ADD(s1(w20), T[FOLD + 2]);
  ROUND(a, b, c, d, e, f, g, h, WKK(w22, 22));
  ROUND(h, a, b, c, d, e, f, g, T[WK23]);
  v w24 = ADD(s1(w22), T[FOLD + 4]);
  ROUND(g, h, a, b, c, d, e, f, WKK(w24, 24));
  ROUND(f, g, h, a, b, c, d, e, T[WK25]);
  v w26 = ADD(s1(w24), T[FOLD + 6]);
  ROUND(e, f, g, h, a, b, c, d, WKK(w26, 26));
  v w27 = ADD(w20, T[FOLD + 7]);
  ROUND(d, e, f, g, h, a, b, c, WKK(w27, 27));
  v w28 = ADD(ADD(s1(w26), s0(lo)), T[FOLD + 8]);
  ROUND(c, d, e, f, g, h, a, b, WKK(w28, 28));
  v w29 = ADD(ADD(s1(w27), w22), ADD(lo, T[FOLD + 9]));
  ROUND(b, c, d, e, f, g, h, a, WKK(w29, 29));
  v w30 = ADD(s1(w28), T[FOLD + 10]);
  ROUND(a, b, c, d, e, f, g, h, WKK(w30, 30));
  v w31 = ADD(ADD(s1(w29), w24), T[FOLD + 11]);
  ROUND(h, a, b, c, d, e, f, g, WKK(w31, 31));
  v w32 = ADD(s1(w30), T[FOLD + 12]);
  ROUND(g, h, a, b, c, d, e, f, WKK(w32, 32));
  v w33 = ADD(ADD(s1(w31), w26), T[FOLD + 13]);
  ROUND(f, g, h, a, b, c, d, e, WKK(w33, 33));
  v w34 = ADD(ADD(s1(w32), w27), T[FOLD + 14]);
  ROUND(e, f, g, h, a, b, c, d, WKK(w34, 34));
  v w35 = ADD(ADD(s1(w33), w28), ADD(s0(w20), T[FOLD + 15]));
  ROUND(d, e, f, g, h, a, b, c, WKK(w35, 35));
  v w36 = ADD(ADD(s1(w34), w29), ADD(w20, T[FOLD + 16]));
  ROUND(c, d, e, f, g, h, a, b, WKK(w36, 36));
  v w37 = ADD(ADD(s1(w35), w30), ADD(s0(w22), T[FOLD + 17]));
  ROUND(b, c, d, e, f, g, h, a, WKK(w37, 37));
  v w38 = ADD(ADD(s1(w36), w31), ADD(w22, T[FOLD + 18]));
  ROUND(a, b, c, d, e, f, g, h, WKK(w38, 38));
  v w39 = ADD(ADD(s1(w37), w32), ADD(s0(w24), T[FOLD + 19]));
  ROUND(h, a, b, c, d, e, f, g, WKK(w39, 39));
  v w40 = ADD(ADD(s1(w38), w33), ADD(w24, T[FOLD + 20]));
  ROUND(g, h, a, b, c, d, e, f, WKK(w40, 40));
  v w41 = ADD(ADD(s1(w39), w34), ADD(s0(w26), T[FOLD + 21]));
  ROUND(f, g, h, a, b, c, d, e, WKK(w41, 41));
  v w42 = SCHED(w40, w35, w27, w26);
  ROUND(e, f, g, h, a, b, c, d, WKK(w42, 42));
  v w43 = SCHED(w41, w36, w28, w27);
  ROUND(d, e, f, g, h, a, b, c, WKK(w43, 43));
  v w44 = SCHED(w42, w37, w29, w28);
  ROUND(c, d, e, f, g, h, a, b, WKK(w44, 44));
  v w45 = SCHED(w43, w38, w30, w29);
  ROUND(b, c, d, e, f, g, h, a, WKK(w45, 45));
  v w46 = SCHED(w44, w39, w31, w30);
  ROUND(a, b, c, d, e, f, g, h, WKK(w46, 46));
  v w47 = SCHED(w45, w40, w32, w31);
  ROUND(h, a, b, c, d, e, f, g, WKK(w47, 47));
  v w48 = SCHED(w46, w41, w33, w32);
  ROUND(g, h, a, b, c, d, e, f, WKK(w48, 48));
  v w49 = SCHED(w47, w42, w34, w33);
  ROUND(f, g, h, a, b, c, d, e, WKK(w49, 49));
  v w50 = SCHED(w48, w43, w35, w34);
  ROUND(e, f, g, h, a, b, c, d, WKK(w50, 50));
  v w51 = SCHED(w49, w44, w36, w35);
  ROUND(d, e, f, g, h, a, b, c, WKK(w51, 51));
  v w52 = SCHED(w50, w45, w37, w36);
  ROUND(c, d, e, f, g, h, a, b, WKK(w52, 52));
  v w53 = SCHED(w51, w46, w38, w37);
  ROUND(b, c, d, e, f, g, h, a, WKK(w53, 53));
  v w54 = SCHED(w52, w47, w39, w38);
  ROUND(a, b, c, d, e, f, g, h, WKK(w54, 54));
  v w55 = SCHED(w53, w48, w40, w39);
  ROUND(h, a, b, c, d, e, f, g, WKK(w55, 55));
  v w56 = SCHED(w54, w49, w41, w40);
  ROUND(g, h, a, b, c, d, e, f, WKK(w56, 56));
  v w57 = SCHED(w55, w50, w42, w41);
  ROUND(f, g, h, a, b, c, d, e, WKK(w57, 57));
  v w58 = SCHED(w56, w51, w43, w42);
  ROUND(e, f, g, h, a, b, c, d, WKK(w58, 58));
  v w59 = SCHED(w57, w52, w44, w43);
  ROUND(d, e, f, g, h, a, b, c, WKK(w59, 59));
  v w60 = SCHED(w58, w53, w45, w44);
  ROUND(c, d, e, f, g, h, a, b, WKK(w60, 60));
  v w61 = SCHED(w59, w54, w46, w45);
  ROUND(b, c, d, e, f, g, h, a, WKK(w61, 61));
  v w62 = SCHED(w60, w55, w47, w46);
  ROUND(a, b, c, d, e, f, g, h, WKK(w62, 62));
  v w63 = SCHED(w61, w56, w48, w47);
  ROUND(h, a, b, c, d, e, f, g, WKK(w63, 63));
  /* Block 1 from H(1) = midstate + a..h (now in g, h, a, b, c, d, e, f). */
  v h0 = ADD(M[0], g);
  {
    v a1 = h0, b1 = ADD(M[1], h), c1 = ADD(M[2], a), d1 = ADD(M[3], b);
    v e1 = ADD(M[4], c), f1 = ADD(M[5], d), g1 = ADD(M[6], e), h1 = ADD(M[7], f);
    a = a1, b = b1, c = c1, d = d1, e = e1, f = f1, g = g1, h = h1;
  }
  bc = XOR(b, c);
  /* A loop of eight unrolled rounds (one period of the role rotation), as kernel.ts does. */
  for (int t = 0; t < 64; t += 8) {
#define B1K(i) B1[t + (i)]
    ROUNDS8(B1K);
  }
  return ADD(h0, a);
}

/* ---- driver ---- */

static uint64_t next_nonce = 1;
static uint32_t prepared_hi;
static int have_high;

static void ensure_high(uint32_t hi) {
  if (have_high && prepared_hi == hi) return;
  prepare_high(hi);
  splat_tables();
  prepared_hi = hi;
  have_high = 1;
}

/* Word 0 for nonces n .. n + 3 (same high word), into out[4]. */
static void group(uint64_t n, uint32_t out[4]) {
  ensure_high((uint32_t)(n >> 32));
  uint32_t lo = (uint32_t)n;
  v lanes = _mm_add_epi32(SPLAT(lo), _mm_set_epi32(3, 2, 1, 0));
  _mm_storeu_si128((v *)out, word0(lanes));
}

static int64_t ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static volatile uint32_t sink;

static int compare_ns(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

#define MAX_BATCHES 65536
static int64_t batch_ns[MAX_BATCHES];

static void run(double ms) {
  int64_t wall0 = ns(CLOCK_MONOTONIC), cpu0 = ns(CLOCK_THREAD_CPUTIME_ID), deadline = wall0 + (int64_t)(ms * 1e6);
  uint64_t hashes = 0;
  uint32_t out[4], acc = 0;
  int batches = 0;
  int64_t now = wall0;
  do {
    int64_t began = now;
    for (int i = 0; i < 4096; i += 4) {
      /* Keep the four lanes inside one high word, as the WebAssembly search does. */
      if ((uint32_t)next_nonce > 0xfffffffcu) next_nonce = (next_nonce | 0xffffffffu) + 1;
      group(next_nonce, out);
      acc ^= out[0] ^ out[1] ^ out[2] ^ out[3];
      next_nonce += 4;
      hashes += 4;
    }
    now = ns(CLOCK_MONOTONIC);
    if (batches < MAX_BATCHES) batch_ns[batches++] = now - began;
  } while (now < deadline);
  sink = acc;
  qsort(batch_ns, (size_t)batches, sizeof batch_ns[0], compare_ns);
  printf("%llu %lld %lld %lld\n", (unsigned long long)hashes, (long long)(now - wall0),
         (long long)(ns(CLOCK_THREAD_CPUTIME_ID) - cpu0), (long long)batch_ns[batches / 2]);
}

static void find(uint64_t start, uint64_t count, uint32_t target0) {
  uint32_t out[4];
  for (uint64_t n = start; n < start + count; n++) {
    group(n, out); /* lane 0 is n; the other lanes are ignored here */
    if (out[0] <= target0) {
      printf("%llu\n", (unsigned long long)n);
      return;
    }
  }
  printf("none\n");
}

int main(int argc, char **argv) {
  if (argc != 2 || strlen(argv[1]) % 2 != 0) {
    fprintf(stderr, "usage: sha256x4 PREFIX_HEX (then commands on stdin)\n");
    return 2;
  }
  size_t length = strlen(argv[1]) / 2;
  uint8_t *prefix = malloc(length + 1);
  for (size_t i = 0; i < length; i++) {
    unsigned byte;
    if (sscanf(argv[1] + 2 * i, "%2x", &byte) != 1) {
      fprintf(stderr, "sha256x4: the prefix is not hex\n");
      return 2;
    }
    prefix[i] = (uint8_t)byte;
  }
  if (!prepare_job(prefix, length)) {
    fprintf(stderr, "sha256x4: prefix length %zu: only length mod 64 = 48 is implemented\n", length);
    return 2;
  }
  char line[256];
  while (fgets(line, sizeof line, stdin) != NULL) {
    double ms;
    unsigned long long start, count;
    unsigned target0;
    if (sscanf(line, "run %lf", &ms) == 1) {
      run(ms);
    } else if (sscanf(line, "find %llu %llu %x", &start, &count, &target0) == 3) {
      find(start, count, target0);
    } else if (strncmp(line, "quit", 4) == 0) {
      break;
    } else {
      fprintf(stderr, "sha256x4: unknown command: %s", line);
      return 2;
    }
    fflush(stdout);
  }
  free(prefix);
  return 0;
}
