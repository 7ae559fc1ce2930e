/**
 * The `js` engine: the same midstate nonce loop as the WebAssembly core, in plain
 * TypeScript (docs/hashing.md). It is the portable fallback when WebAssembly is unavailable and
 * a second, independent implementation to test the WASM builds against.
 *
 * The trick, as in every SHA-256 miner: prefix = data || previous_hash never changes
 * during a job, so prepare() compresses its full 64-byte blocks once (the midstate) and
 * search() compresses only the one or two tail blocks that hold the nonce:
 *
 *   tail = last (prefix.length mod 64) prefix bytes | nonce (8) | 0x80 | zeros | bit length (8)
 *
 * which fits one block when the tail is at most 47 bytes, otherwise two. On top of that,
 * prepare() also precomputes what within the tail does not depend on the nonce: the
 * rounds before the first nonce word, the schedule words before the first one the nonce
 * reaches, and the whole second block's schedule when the nonce lies in the first.
 */
import type { Engine, NonceSearcher, SearchResult } from './engine.js';
import { BLOCK_BYTES, IV, compressBlock, expandSchedule, loadBlock, rounds } from './_sha256.js';
import { targetWords, wordsMeetTarget } from './pow-check.js';

export function createJsEngine(): Engine {
  return { name: 'js', prepare };
}

/** Where the second tail block's schedule lives in the shared W array. */
const SECOND_BLOCK = 64;

function prepare(prefix: Uint8Array, target: bigint): NonceSearcher {
  const W = new Int32Array(128);
  const v = new Int32Array(8);

  // The midstate: the prefix's full blocks, compressed once per job.
  const midstate = Int32Array.from(IV);
  const fullBlockBytes = prefix.length - (prefix.length % BLOCK_BYTES);
  for (let offset = 0; offset < fullBlockBytes; offset += BLOCK_BYTES) compressBlock(midstate, prefix, offset, W, v);

  // The tail blocks with the nonce bytes zeroed, padded as FIPS 180-4 section 5.1.1 says.
  const nonceByte = prefix.length - fullBlockBytes;
  const twoBlocks = nonceByte + 8 + 1 + 8 > BLOCK_BYTES;
  const tail = new Uint8Array(twoBlocks ? 2 * BLOCK_BYTES : BLOCK_BYTES);
  tail.set(prefix.subarray(fullBlockBytes), 0);
  tail[nonceByte + 8] = 0x80;
  new DataView(tail.buffer).setBigUint64(tail.length - 8, BigInt(prefix.length + 8) * 8n, false);
  loadBlock(tail, 0, W, 0);
  if (twoBlocks) loadBlock(tail, BLOCK_BYTES, W, SECOND_BLOCK);

  // The nonce covers tail words firstWord..firstWord+1, or ..+2 when it is not 4-byte aligned.
  const firstWord = nonceByte >> 2;
  const shift = (nonceByte & 3) * 8;
  const aligned = shift === 0;
  const back = 32 - shift;
  const nonceWords = aligned ? [firstWord, firstWord + 1] : [firstWord, firstWord + 1, firstWord + 2];
  const position = (word: number): number => (word < 16 ? word : SECOND_BLOCK + word - 16);
  const posA = position(nonceWords[0]!);
  const posB = position(nonceWords[1]!);
  const posC = position(nonceWords[2] ?? nonceWords[1]!);
  const templateA = W[posA]!;
  const templateC = aligned ? 0 : W[posC]!;

  // Schedule words that do not depend on the nonce are expanded here once.
  const firstBlockFrom = firstDependentScheduleWord(nonceWords.filter((word) => word < 16));
  const secondBlockWords = nonceWords.filter((word) => word >= 16).map((word) => word - 16);
  const secondBlockVaries = secondBlockWords.length > 0;
  const secondBlockFrom = firstDependentScheduleWord(secondBlockWords);
  expandSchedule(W, 0, 16);
  if (twoBlocks) expandSchedule(W, SECOND_BLOCK, 16);

  // Rounds 0..firstWord-1 of the first tail block read only prefix bytes: run them once.
  const afterFixedRounds = Int32Array.from(midstate);
  rounds(afterFixedRounds, W, 0, 0, firstWord);

  const target32 = targetWords(target);
  const targetTop = target32[0]!;
  const chain = new Int32Array(8);
  const hashWords = new Uint32Array(8);

  return {
    search(start: bigint, end: bigint): SearchResult {
      const count = Number(end - start);
      let hi = Number(start >> 32n) | 0;
      let lo = Number(start & 0xffffffffn) | 0;
      for (let i = 0; i < count; i++) {
        if (aligned) {
          W[posA] = hi;
          W[posB] = lo;
        } else {
          W[posA] = templateA | (hi >>> shift);
          W[posB] = (hi << back) | (lo >>> shift);
          W[posC] = templateC | (lo << back);
        }
        expandSchedule(W, 0, firstBlockFrom);
        v.set(afterFixedRounds);
        rounds(v, W, 0, firstWord, 64);
        let last: Int32Array = midstate;
        if (twoBlocks) {
          for (let j = 0; j < 8; j++) chain[j] = (midstate[j]! + v[j]!) | 0;
          if (secondBlockVaries) expandSchedule(W, SECOND_BLOCK, secondBlockFrom);
          v.set(chain);
          rounds(v, W, SECOND_BLOCK, 0, 64);
          last = chain;
        }
        // Fast path: the top word decides all but one in 2^32 comparisons.
        if ((last[0]! + v[0]!) >>> 0 <= targetTop) {
          for (let j = 0; j < 8; j++) hashWords[j] = (last[j]! + v[j]!) >>> 0;
          if (wordsMeetTarget(hashWords, target32)) return { nonce: start + BigInt(i), tried: i + 1 };
        }
        lo = (lo + 1) | 0;
        if (lo === 0) hi = (hi + 1) | 0;
      }
      return { nonce: null, tried: count };
    },
  };
}

/**
 * The first schedule index t >= 16 whose W[t] depends on one of `varying` (block word
 * indices 0..15), following W[t] = f(W[t-2], W[t-7], W[t-15], W[t-16]); 64 if none.
 */
function firstDependentScheduleWord(varying: number[]): number {
  const depends = new Array<boolean>(64).fill(false);
  for (const word of varying) depends[word] = true;
  for (let t = 16; t < 64; t++) {
    if (depends[t - 2] || depends[t - 7] || depends[t - 15] || depends[t - 16]) return t;
  }
  return 64;
}
