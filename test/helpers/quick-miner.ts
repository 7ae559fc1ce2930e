/**
 * A NonceMiner that really searches, with node:crypto, in small slices on the event loop:
 * for tests of networks whose rules need real work at an easy target (the powchain
 * network's ASERT targets). `delayMs` spaces the blocks out; `enabled` pauses it.
 */
import { createHash } from 'node:crypto';
import type { NonceMiner } from '../../src/node/miner-node.js';
import { hashMeetsTarget } from '../../src/primitives/pow.js';

type Outcome = Awaited<ReturnType<NonceMiner['mine']>>;

export class QuickMiner implements NonceMiner {
  readonly engine = 'quick';
  readonly threads = 1;
  enabled = true;
  found = 0;
  #timer: NodeJS.Timeout | undefined;
  #resolve: ((outcome: Outcome) => void) | undefined;
  #nonce: bigint;

  constructor(
    readonly delayMs = 5,
    seed = 1,
  ) {
    this.#nonce = BigInt(seed) << 32n;
  }

  mine(job: { prefix: Uint8Array; target: bigint }): Promise<Outcome> {
    this.cancel();
    return new Promise((resolve) => {
      this.#resolve = resolve;
      let hashes = 0;
      const slice = (): void => {
        if (!this.enabled) {
          this.#timer = setTimeout(slice, this.delayMs);
          return;
        }
        const nonceBytes = Buffer.alloc(8);
        for (let i = 0; i < 5_000; i++) {
          const nonce = this.#nonce++;
          nonceBytes.writeBigUInt64BE(nonce);
          hashes++;
          const hash = createHash('sha256').update(job.prefix).update(nonceBytes).digest();
          if (hashMeetsTarget(hash, job.target)) {
            this.#resolve = undefined;
            this.found++;
            resolve({ status: 'found', nonce, hashes });
            return;
          }
        }
        this.#timer = setTimeout(slice, 0);
      };
      this.#timer = setTimeout(slice, this.delayMs);
    });
  }

  cancel(): void {
    clearTimeout(this.#timer);
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.({ status: 'preempted', hashes: 0 });
  }

  hashrate(): { hashesPerSecond: number } {
    return { hashesPerSecond: 0 };
  }

  async close(): Promise<void> {
    this.cancel();
  }
}
