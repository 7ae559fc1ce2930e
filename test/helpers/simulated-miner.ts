/**
 * A NonceMiner that "finds" a block after a random, seeded delay instead of hashing: with
 * the largest target every nonce is valid, so many nodes can run in one test process and
 * the network's behaviour, not the CPU, decides the outcome.
 */
import type { NonceMiner } from '../../src/node/miner-node.js';
import { seededRandom } from './memory-network.js';

type Outcome = Awaited<ReturnType<NonceMiner['mine']>>;

export class SimulatedMiner implements NonceMiner {
  readonly engine = 'simulated';
  readonly threads = 1;
  /** While false, searches never end on their own (only preemption ends them). */
  enabled = true;
  found = 0;
  readonly #random: () => number;
  readonly #meanMs: number;
  #timer: NodeJS.Timeout | undefined;
  #resolve: ((outcome: Outcome) => void) | undefined;

  constructor(seed: number, meanMs: number) {
    this.#random = seededRandom(seed);
    this.#meanMs = meanMs;
  }

  mine(): Promise<Outcome> {
    this.cancel();
    return new Promise((resolve) => {
      this.#resolve = resolve;
      const schedule = (): void => {
        // Exponential waiting time: mining is memoryless.
        const delay = -Math.log(1 - this.#random()) * this.#meanMs;
        this.#timer = setTimeout(() => {
          if (!this.enabled) return schedule();
          this.#resolve = undefined;
          this.found++;
          resolve({ status: 'found', nonce: BigInt(Math.floor(this.#random() * 2 ** 48)), hashes: 1 });
        }, delay);
      };
      schedule();
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
