/** A NonceMiner whose searches end only when the test says so: deterministic node tests. */
import type { NonceMiner } from '../../src/node/miner-node.js';

type Outcome = Awaited<ReturnType<NonceMiner['mine']>>;

export interface FakeJob {
  prefix: Uint8Array;
  target: bigint;
  outcome: Outcome | undefined;
}

export class FakeMiner implements NonceMiner {
  readonly engine = 'fake';
  readonly threads = 1;
  readonly jobs: FakeJob[] = [];
  closed = false;
  #resolve: ((outcome: Outcome) => void) | undefined;
  #reject: ((error: Error) => void) | undefined;

  mine(job: { prefix: Uint8Array; target: bigint }): Promise<Outcome> {
    this.#finish({ status: 'preempted', hashes: 0 });
    const record: FakeJob = { ...job, outcome: undefined };
    this.jobs.push(record);
    return new Promise((resolve, reject) => {
      this.#reject = reject;
      this.#resolve = (outcome) => {
        record.outcome = outcome;
        resolve(outcome);
      };
    });
  }

  /** Ends the running search with `nonce` as its answer (valid under a maximal target). */
  solve(nonce = 1n): void {
    this.#finish({ status: 'found', nonce, hashes: Number(nonce) });
  }

  get current(): FakeJob | undefined {
    const last = this.jobs.at(-1);
    return last && last.outcome === undefined ? last : undefined;
  }

  cancel(): void {
    this.#finish({ status: 'preempted', hashes: 0 });
  }

  /** Ends the running search as a broken pool does: the promise rejects. */
  fail(error: Error): void {
    const reject = this.#reject;
    this.#resolve = undefined;
    this.#reject = undefined;
    reject?.(error);
  }

  hashrate(): { hashesPerSecond: number } {
    return { hashesPerSecond: 0 };
  }

  async close(): Promise<void> {
    this.cancel();
    this.closed = true;
  }

  #finish(outcome: Outcome): void {
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.(outcome);
  }
}
