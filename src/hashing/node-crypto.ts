/**
 * The `node-crypto` engine: one node:crypto `createHash('sha256')` over prefix || nonce
 * per nonce. The obvious host loop and the baseline every other engine is measured
 * against (docs/hashing.md). It does not use a midstate: OpenSSL rehashes the whole prefix for
 * every nonce, which is exactly the cost the other engines avoid.
 */
import { createHash } from 'node:crypto';
import type { Engine, NonceSearcher, SearchResult } from './engine.js';
import { targetWords, wordsMeetTarget } from './pow-check.js';

export function createNodeCryptoEngine(): Engine {
  return { name: 'node-crypto', prepare };
}

function prepare(prefix: Uint8Array, target: bigint): NonceSearcher {
  const target32 = targetWords(target);
  const targetTop = target32[0]!;
  // One message buffer per search; only its last 8 bytes (the nonce) change.
  const message = Buffer.alloc(prefix.length + 8);
  message.set(prefix, 0);
  const nonceOffset = prefix.length;
  const hashWords = new Uint32Array(8);

  return {
    search(start: bigint, end: bigint): SearchResult {
      const count = Number(end - start);
      let hi = Number(start >> 32n);
      let lo = Number(start & 0xffffffffn);
      for (let i = 0; i < count; i++) {
        message.writeUInt32BE(hi, nonceOffset);
        message.writeUInt32BE(lo, nonceOffset + 4);
        const digest = createHash('sha256').update(message).digest();
        const top = digest.readUInt32BE(0);
        // Fast path: the top word decides all but one in 2^32 comparisons.
        if (top <= targetTop) {
          for (let w = 0; w < 8; w++) hashWords[w] = digest.readUInt32BE(4 * w);
          if (wordsMeetTarget(hashWords, target32)) return { nonce: start + BigInt(i), tried: i + 1 };
        }
        lo = (lo + 1) >>> 0;
        if (lo === 0) hi = (hi + 1) >>> 0;
      }
      return { nonce: null, tried: count };
    },
  };
}
