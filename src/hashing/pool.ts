/**
 * The miner pool: N worker threads searching disjoint nonce ranges of one job.
 *
 * - With one thread the worker scans upward from 1 (the tutorial's order, docs/hashing.md), so it
 *   finds exactly the nonce the tutorial finds; with N threads [1, 2^64) is cut into N equal
 *   disjoint ranges and the first valid nonce reported wins.
 * - Preemption goes through shared memory, not terminate()/respawn: mine() bumps a
 *   generation counter that every worker reads between batches (pool-protocol.ts), so a
 *   new job replaces the old one within a batch (~0.5 ms), and the workers (and the
 *   compiled WebAssembly.Module they were given once) stay alive between jobs.
 * - A found nonce is rechecked here with node:crypto (verify.ts's checkResult, against the
 *   range of the worker that reported it), on top of the worker's own check.
 *   An engine caught lying (EngineMismatchError) emits 'mismatch', switches the whole
 *   pool to node-crypto and restarts the job: 'found' is never resolved unverified.
 */
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { HASH_SPACE, NONCE_LIMIT } from '../primitives/limits.js';
import type { EngineName } from './engine.js';
import {
  type FaultInjection,
  type FromWorker,
  GENERATION,
  type ToWorker,
  type WorkerSetup,
  controlSlots,
  counterSlots,
  dropSlot,
  dropTimeSlot,
  jobCounterSlot,
  jobSlot,
} from './pool-protocol.js';
import { defaultEngine, tryWasmModule, wasmFlavorOf } from './registry.js';
import { EngineMismatchError, checkResult } from './verify.js';

export interface MiningJob {
  /** data || previous_hash. */
  prefix: Uint8Array;
  target: bigint;
  /** Nonce range [start, end) to search; default [1, 2^64), the tutorial's range. */
  range?: readonly [start: bigint, end: bigint];
}

export type MineOutcome =
  | { status: 'found'; nonce: bigint; hashes: number } // nonce already rechecked with node:crypto on the main thread
  | { status: 'preempted'; hashes: number } // a newer job (or cancel()/close()) replaced it
  | { status: 'exhausted'; hashes: number }; // the whole range had no valid nonce

export interface PoolOptions {
  /** Worker threads; default os.availableParallelism(). */
  threads?: number;
  /** Default defaultEngine(), the fastest that works here. */
  engine?: EngineName;
  /** Nonces per batch; default adapts to ~BATCH_TARGET_MS (pool-protocol.ts) per batch. */
  batchSize?: number;
  /** Test hooks only (see pool-protocol.ts). */
  faultInjection?: FaultInjection;
}

/** How far back hashrate() looks. */
const HASHRATE_WINDOW_MS = 2_000;
const HASHRATE_SAMPLE_MS = 250;
/** close() waits this long for workers to leave on their own before terminating them. */
const CLOSE_GRACE_MS = 2_000;

/**
 * The worker's entry point. From dist/ it is plain worker.js. Under vitest or tsx we run
 * the .ts sources, and a worker thread does not inherit the parent's TypeScript loader.
 * `execArgv: ['--import', 'tsx']` would be the obvious fix, but on Node 20 the hooks that
 * flag registers are not yet active when the worker loads its entry module (it fails with
 * ERR_UNKNOWN_FILE_EXTENSION), so the worker starts from a one-line bootstrap that
 * registers tsx's loader (tsx/esm/api, a devDependency used only then) and then imports
 * worker.ts.
 */
function workerEntry(): { entry: URL | string; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { entry: new URL('./worker.js', import.meta.url), eval: false };
  const worker = new URL('./worker.ts', import.meta.url).href;
  let tsxApi = 'tsx/esm/api';
  try {
    tsxApi = import.meta.resolve(tsxApi);
  } catch {
    // Left bare, it resolves from the working directory: the repository root under vitest.
  }
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(worker)}); });`;
  return { entry: bootstrap, eval: true };
}

interface RunningJob {
  readonly job: MiningJob;
  readonly start: bigint;
  readonly end: bigint;
  /** Worker i searches ranges[i]. */
  readonly ranges: ReadonlyArray<readonly [bigint, bigint]>;
  generation: number;
  exhausted: number;
  readonly resolve: (outcome: MineOutcome) => void;
  readonly reject: (error: Error) => void;
}

interface Sample {
  readonly time: number;
  readonly counts: number[];
}

/** The events a pool emits; declaration-merged into the class's EventEmitter methods. */
export interface MinerPool {
  /** An engine reported a nonce node:crypto rejects (or failed); the pool has switched to node-crypto. */
  on(event: 'mismatch', listener: (error: Error) => void): this;
  once(event: 'mismatch', listener: (error: Error) => void): this;
}

export class MinerPool extends EventEmitter {
  readonly threads: number;
  private engineName: EngineName;
  private readonly control: Int32Array;
  private readonly counters: BigInt64Array;
  private readonly workers: Worker[] = [];
  private running: RunningJob | null = null;
  private samples: Sample[] = [];
  private readonly sampler: NodeJS.Timeout;
  private closed = false;
  /** Set once a worker died: the pool cannot search its range any more. */
  private broken: Error | null = null;
  private readonly exited: Promise<void>[] = [];

  private constructor(threads: number, engine: EngineName) {
    super();
    this.threads = threads;
    this.engineName = engine;
    this.control = new Int32Array(new SharedArrayBuffer(controlSlots(threads) * Int32Array.BYTES_PER_ELEMENT));
    this.counters = new BigInt64Array(new SharedArrayBuffer(counterSlots(threads) * BigInt64Array.BYTES_PER_ELEMENT));
    this.sampler = setInterval(() => this.sample(), HASHRATE_SAMPLE_MS);
    // The sampler alone must not keep a process alive.
    this.sampler.unref();
  }

  /** Spawns the workers once; resolves when every one of them has its engine ready. */
  static async create(options: PoolOptions = {}): Promise<MinerPool> {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1)
      throw new RangeError(`threads must be a whole number >= 1, got ${threads}`);
    const batchSize = options.batchSize;
    if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 0xffffffff)) {
      throw new RangeError(`batchSize must be a whole number between 1 and 2^32 - 1, got ${batchSize}`);
    }
    const engine = options.engine ?? defaultEngine();
    const flavor = wasmFlavorOf(engine);
    // Compiled once here and handed to every worker.
    const module = flavor === null ? undefined : (tryWasmModule(flavor) ?? undefined);
    if (flavor !== null && module === undefined) {
      throw new Error(
        `engine "${engine}" is not available here (WebAssembly build missing or ${flavor === 'simd' ? 'SIMD ' : ''}unsupported)`,
      );
    }

    const pool = new MinerPool(threads, engine);
    try {
      await Promise.all(
        Array.from({ length: threads }, (_, index) =>
          pool.spawn({
            index,
            threads,
            control: pool.control.buffer as SharedArrayBuffer,
            counters: pool.counters.buffer as SharedArrayBuffer,
            engine,
            module,
            batchSize,
            faultInjection: options.faultInjection,
          }),
        ),
      );
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get engine(): EngineName {
    return this.engineName;
  }

  /** Mines `job`; a running job is preempted first (its promise resolves 'preempted'). */
  mine(job: MiningJob): Promise<MineOutcome> {
    if (this.closed) return Promise.reject(new Error('MinerPool is closed'));
    if (this.broken) return Promise.reject(this.broken);
    if (job.target < 0n || job.target >= HASH_SPACE) {
      return Promise.reject(new RangeError(`target must be in [0, 2^256), got ${job.target}`));
    }
    const [start, end] = job.range ?? [1n, NONCE_LIMIT];
    if (start < 0n || start > end || end > NONCE_LIMIT) {
      return Promise.reject(
        new RangeError(`nonce range must satisfy 0 <= start <= end <= 2^64, got [${start}, ${end})`),
      );
    }
    this.preempt();
    return new Promise<MineOutcome>((resolve, reject) => {
      this.running = {
        job: { ...job, prefix: Uint8Array.from(job.prefix) },
        start,
        end,
        ranges: splitRange(start, end, this.threads),
        generation: 0,
        exhausted: 0,
        resolve,
        reject,
      };
      this.dispatch(this.running);
    });
  }

  /** Preempts the running job, if any. */
  cancel(): void {
    this.preempt();
  }

  /** Hashes per second over the last ~2 s, in total and per worker. */
  hashrate(): { hashesPerSecond: number; perWorker: number[] } {
    const now = this.sample();
    const oldest = this.samples.find((sample) => sample.time >= now.time - HASHRATE_WINDOW_MS);
    const seconds = oldest === undefined ? 0 : (now.time - oldest.time) / 1000;
    if (oldest === undefined || seconds <= 0) return { hashesPerSecond: 0, perWorker: now.counts.map(() => 0) };
    const perWorker = now.counts.map((count, i) => (count - oldest.counts[i]!) / seconds);
    return { hashesPerSecond: perWorker.reduce((sum, rate) => sum + rate, 0), perWorker };
  }

  /** Nonces hashed by all workers since the pool started (the benchmark reads this). */
  totalHashes(): number {
    let total = 0;
    for (let i = 0; i < this.threads; i++) total += Number(Atomics.load(this.counters, i));
    return total;
  }

  /** The generation of the job being mined (or of the last one): bumped by every new job, restart and preemption. */
  get generation(): number {
    return Atomics.load(this.control, GENERATION);
  }

  /** Per worker, the generation it is (or was last) searching: how tests see the workers move to a new job. */
  workerGenerations(): number[] {
    return Array.from({ length: this.threads }, (_, i) => Atomics.load(this.control, jobSlot(i)));
  }

  /**
   * Per worker, the last job it dropped because it was preempted: its generation and when
   * it stopped hashing it, in process.hrtime.bigint() nanoseconds (one clock for every
   * thread), or null before its first preemption. bench/preemption.ts measures with it.
   */
  workerDrops(): Array<{ generation: number; stoppedAtNs: bigint } | null> {
    return Array.from({ length: this.threads }, (_, i) => {
      // The worker writes the time before the generation: read in the other order, a new
      // generation always comes with its own time.
      const generation = Atomics.load(this.control, dropSlot(this.threads, i));
      const stoppedAtNs = Atomics.load(this.counters, dropTimeSlot(this.threads, i));
      return stoppedAtNs === 0n ? null : { generation, stoppedAtNs };
    });
  }

  /** The workers' thread ids; -1 for a worker that has exited (how tests see that close() joined them). */
  threadIds(): number[] {
    return this.workers.map((worker) => worker.threadId);
  }

  /** Stops the workers and waits until every one has exited; a pending mine() resolves 'preempted'. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      clearInterval(this.sampler);
      this.preempt();
      for (const worker of this.workers) this.send(worker, { type: 'shutdown' });
      // A worker stuck in a long batch (or a broken one) is terminated after a grace period.
      const grace = setTimeout(() => {
        for (const worker of this.workers) void worker.terminate();
      }, CLOSE_GRACE_MS);
      await Promise.all(this.exited);
      clearTimeout(grace);
    }
    await Promise.all(this.exited);
  }

  private spawn(setup: WorkerSetup): Promise<void> {
    const { entry, eval: isEval } = workerEntry();
    const worker = new Worker(entry, { workerData: setup, eval: isEval });
    this.workers.push(worker);
    this.exited.push(new Promise((resolve) => worker.once('exit', () => resolve())));
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          ready = true;
          resolve();
        } else if (message.type === 'init-failed') {
          reject(new Error(`worker ${setup.index} could not start engine "${setup.engine}": ${message.message}`));
        } else {
          this.onWorkerMessage(setup.index, message);
        }
      });
      worker.on('error', (error) => {
        if (!ready) reject(error);
        else this.fail(new Error(`worker ${setup.index} crashed: ${error.message}`, { cause: error }), true);
      });
      worker.on('exit', (code) => {
        if (!ready) reject(new Error(`worker ${setup.index} exited with code ${code} before it was ready`));
        else if (!this.closed)
          this.fail(new Error(`worker ${setup.index} exited unexpectedly with code ${code}`), true);
      });
    });
  }

  private send(worker: Worker, message: ToWorker): void {
    worker.postMessage(message);
  }

  /** Starts (or restarts) a job under a fresh generation, one range per worker. */
  private dispatch(running: RunningJob): void {
    running.generation = this.bumpGeneration();
    running.exhausted = 0;
    this.workers.forEach((worker, index) => {
      const [start, end] = running.ranges[index]!;
      const { prefix, target } = running.job;
      this.send(worker, { type: 'job', generation: running.generation, prefix, target, start, end });
    });
  }

  private bumpGeneration(): number {
    return Atomics.add(this.control, GENERATION, 1) + 1;
  }

  private onWorkerMessage(index: number, message: FromWorker): void {
    const running = this.running;
    if (running === null || !('generation' in message) || message.generation !== running.generation) return;
    switch (message.type) {
      case 'found':
        this.onFound(running, index, message.nonce);
        break;
      case 'exhausted':
        running.exhausted += 1;
        if (running.exhausted === this.threads) this.settle({ status: 'exhausted', hashes: this.jobHashes(running) });
        break;
      case 'mismatch':
        this.onMismatch(new EngineMismatchError(message.engine, message.nonce, message.detail));
        break;
      case 'failed':
        this.onMismatch(new Error(`engine "${this.engineName}" failed in worker ${index}: ${message.message}`));
        break;
    }
  }

  private onFound(running: RunningJob, index: number, nonce: bigint): void {
    const { prefix, target } = running.job;
    const [start, end] = running.ranges[index]!;
    try {
      // The worker's own range; no tried count: the worker counts its hashes itself.
      checkResult(this.engineName, prefix, target, start, end, { nonce });
    } catch (error) {
      if (!(error instanceof EngineMismatchError)) throw error;
      this.onMismatch(
        new EngineMismatchError(error.engine, nonce, `the pool rechecked it on the main thread: ${error.detail}`),
      );
      return;
    }
    this.settle({ status: 'found', nonce, hashes: this.jobHashes(running) });
  }

  /** An engine lied or failed: fall back to node-crypto and restart the job, or give up if that was node-crypto. */
  private onMismatch(error: Error): void {
    this.emit('mismatch', error);
    const running = this.running;
    if (this.engineName === 'node-crypto') {
      this.fail(error);
      return;
    }
    this.engineName = 'node-crypto';
    this.bumpGeneration();
    for (const worker of this.workers) this.send(worker, { type: 'engine', engine: 'node-crypto' });
    if (running !== null) this.dispatch(running);
  }

  private preempt(): void {
    const running = this.running;
    if (running === null) return;
    this.settle({ status: 'preempted', hashes: this.jobHashes(running) });
  }

  /** Ends the running job: stops the workers' search and resolves its promise. */
  private settle(outcome: MineOutcome): void {
    const running = this.running;
    if (running === null) return;
    this.running = null;
    this.bumpGeneration();
    running.resolve(outcome);
  }

  /**
   * The running job cannot go on: it is rejected. `poolBroken` when a worker died, so
   * the pool can no longer cover the nonce space and refuses further jobs.
   */
  private fail(error: Error, poolBroken = false): void {
    if (poolBroken && !this.closed) this.broken = error;
    const running = this.running;
    if (running === null) return;
    this.running = null;
    this.bumpGeneration();
    running.reject(error);
  }

  /**
   * Nonces hashed for the running job (since its last restart) by the workers still on it.
   * A worker that is just switching jobs may be missed: good enough for a statistic.
   */
  private jobHashes(running: RunningJob): number {
    let total = 0;
    for (let i = 0; i < this.threads; i++) {
      if (Atomics.load(this.control, jobSlot(i)) !== running.generation) continue;
      const hashes = Atomics.load(this.counters, jobCounterSlot(this.threads, i));
      if (Atomics.load(this.control, jobSlot(i)) === running.generation) total += Number(hashes);
    }
    return total;
  }

  private sample(): Sample {
    const time = performance.now();
    const counts = Array.from({ length: this.threads }, (_, i) => Number(Atomics.load(this.counters, i)));
    const sample = { time, counts };
    this.samples.push(sample);
    // Keep one sample older than the window so the rate always spans the whole window.
    while (this.samples.length > 2 && this.samples[1]!.time < time - HASHRATE_WINDOW_MS) this.samples.shift();
    return sample;
  }
}

/** Cuts [start, end) into `parts` disjoint consecutive ranges of (nearly) equal size. */
export function splitRange(start: bigint, end: bigint, parts: number): Array<[bigint, bigint]> {
  const size = (end - start) / BigInt(parts);
  return Array.from({ length: parts }, (_, i) => {
    const from = start + size * BigInt(i);
    return [from, i === parts - 1 ? end : from + size];
  });
}
