/**
 * What the miner pool (main thread) and its workers say to each other, written down once
 * (docs/hashing.md describes it, with how preemption is measured).
 *
 * Shared memory (SharedArrayBuffers handed to every worker at start; N = threads):
 *   control:  Int32Array[1 + 2N]
 *     control[GENERATION]       the generation of the job being mined. The main thread bumps
 *                               it to preempt; a worker checks it between batches (batches
 *                               last about BATCH_TARGET_MS) and drops its job as soon as it
 *                               differs from the job's own generation.
 *     control[jobSlot(i)]       the generation worker i is (or was last) searching.
 *     control[dropSlot(i)]      the generation worker i last dropped because it was preempted.
 *   counters: BigInt64Array[3N]
 *     counters[i]               nonces hashed by worker i since it started (the hashrate).
 *     counters[N + i]           nonces hashed by worker i for generation control[jobSlot(i)]
 *                               (a job's `hashes`: a batch of an older job that lands late
 *                               is not counted towards the new one).
 *     counters[dropTimeSlot(i)] process.hrtime.bigint() (ns, one clock for all threads) when
 *                               worker i stopped hashing generation control[dropSlot(i)]:
 *                               what preemption latency is measured from.
 *   Only worker i writes its own slots; the main thread only reads them.
 *
 * Messages (postMessage; bigints and WebAssembly.Module are structured-cloneable):
 *   main -> worker: job, engine (switch for the next job), shutdown.
 *   worker -> main: ready or init-failed once at start; per job at most one of found,
 *   exhausted, mismatch or failed, tagged with the job's generation. A preempted job
 *   says nothing: the main thread has already moved on.
 */
import type { EngineName } from './engine.js';

export const GENERATION = 0;

/**
 * A batch should take about this long: a new job stops every worker within about one batch,
 * and the check between batches costs well under 1% of the hashrate at this length
 * (docs/hashing.md has the measurements).
 */
export const BATCH_TARGET_MS = 0.5;

export const controlSlots = (threads: number): number => 1 + 2 * threads;
export const jobSlot = (index: number): number => 1 + index;
export const dropSlot = (threads: number, index: number): number => 1 + threads + index;
export const counterSlots = (threads: number): number => 3 * threads;
export const jobCounterSlot = (threads: number, index: number): number => threads + index;
export const dropTimeSlot = (threads: number, index: number): number => 2 * threads + index;

export interface WorkerSetup {
  readonly index: number;
  readonly threads: number;
  readonly control: SharedArrayBuffer;
  readonly counters: SharedArrayBuffer;
  readonly engine: EngineName;
  /** The module compiled once on the main thread, for a WASM engine. */
  readonly module: WebAssembly.Module | undefined;
  /** A fixed batch size, or undefined to adapt it to ~BATCH_TARGET_MS per batch. */
  readonly batchSize: number | undefined;
  readonly faultInjection: FaultInjection | undefined;
}

/**
 * Test hooks: 'lying-engine' makes the engine (unless node-crypto) report bogus nonces,
 * to exercise the fallback; 'unchecked-liar' does the same without the worker's own check,
 * so that only the pool's recheck stands in the way; 'stale-found' makes a worker that drops
 * a preempted job report a bogus nonce for it, tagged with the dropped generation (the race
 * of a nonce found just as a rival block arrives); 'worker-error' makes worker 0 throw an
 * uncaught error when it gets a job, to exercise a worker dying.
 */
export type FaultInjection = 'lying-engine' | 'unchecked-liar' | 'stale-found' | 'worker-error';

export type ToWorker =
  | {
      readonly type: 'job';
      readonly generation: number;
      readonly prefix: Uint8Array;
      readonly target: bigint;
      readonly start: bigint;
      readonly end: bigint;
    }
  | { readonly type: 'engine'; readonly engine: EngineName }
  | { readonly type: 'shutdown' };

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'init-failed'; readonly message: string }
  | { readonly type: 'found'; readonly generation: number; readonly nonce: bigint }
  | { readonly type: 'exhausted'; readonly generation: number }
  | {
      readonly type: 'mismatch';
      readonly generation: number;
      readonly engine: string;
      readonly nonce: bigint;
      readonly detail: string;
    }
  | { readonly type: 'failed'; readonly generation: number; readonly message: string };
