/**
 * One miner worker thread: searches its nonce range of the current job in batches,
 * checking the shared generation counter between batches so that a newer job preempts
 * it within one batch (~BATCH_TARGET_MS). The protocol is described in pool-protocol.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Engine, EngineName, NonceSearcher } from './engine.js';
import {
  BATCH_TARGET_MS,
  GENERATION,
  type FromWorker,
  type ToWorker,
  type WorkerSetup,
  dropSlot,
  dropTimeSlot,
  jobCounterSlot,
  jobSlot,
} from './pool-protocol.js';
import { createEngine, createUnverifiedEngine } from './registry.js';
import { EngineMismatchError, verifiedEngine } from './verify.js';

const MIN_BATCH = 16;
const MAX_BATCH = 1 << 24;
/** First guesses per engine (about BATCH_TARGET_MS on a recent x86-64 core), adapted after every batch. */
const INITIAL_BATCH: Record<EngineName, number> = {
  'wasm-simd': 4_096,
  wasm: 2_048,
  js: 512,
  'node-crypto': 256,
};

const setup = workerData as WorkerSetup;
const port = parentPort!;
const control = new Int32Array(setup.control);
const counters = new BigInt64Array(setup.counters);
const totalSlot = setup.index;
const jobTotalSlot = jobCounterSlot(setup.threads, setup.index);
const ownDropSlot = dropSlot(setup.threads, setup.index);
const ownDropTimeSlot = dropTimeSlot(setup.threads, setup.index);
const post = (message: FromWorker): void => port.postMessage(message);

/** The test hook's liar: claims the first nonce of every batch. */
function lyingEngine(engine: Engine): Engine {
  return {
    name: engine.name,
    prepare: (prefix, target) => {
      engine.prepare(prefix, target);
      return { search: (start) => ({ nonce: start, tried: 1 }) };
    },
  };
}

function makeEngine(name: EngineName): Engine {
  if (setup.faultInjection === 'lying-engine' && name !== 'node-crypto') {
    return verifiedEngine(lyingEngine(createUnverifiedEngine(name, setup.module)));
  }
  if (setup.faultInjection === 'unchecked-liar' && name !== 'node-crypto') {
    return lyingEngine(createUnverifiedEngine(name, setup.module));
  }
  return createEngine(name, setup.module);
}

let engine: Engine;
let batch = setup.batchSize ?? INITIAL_BATCH[setup.engine];

function adaptBatch(elapsedMs: number): void {
  if (setup.batchSize !== undefined) return;
  // At most x2 or /2 a batch: one batch stretched by the scheduler (a shared machine) must
  // not shrink the next one to nothing, nor a tier-up grow it past preemption's bound.
  const factor = elapsedMs <= 0 ? 2 : Math.min(2, Math.max(0.5, BATCH_TARGET_MS / elapsedMs));
  batch = Math.round(Math.min(MAX_BATCH, Math.max(MIN_BATCH, batch * factor)));
}

/** Records that this worker stopped hashing `generation` now (pool-protocol.ts: drop slots). */
function recordDrop(generation: number): void {
  Atomics.store(counters, ownDropTimeSlot, process.hrtime.bigint());
  Atomics.store(control, ownDropSlot, generation);
}

function runJob(job: Extract<ToWorker, { type: 'job' }>): void {
  const { generation, start, end } = job;
  const preempted = (): boolean => Atomics.load(control, GENERATION) !== generation;
  if (preempted()) return;
  // Reset the per-job count before claiming the generation: a reader that sees the new
  // generation never sees the previous job's count.
  Atomics.store(counters, jobTotalSlot, 0n);
  Atomics.store(control, jobSlot(setup.index), generation);
  try {
    const searcher: NonceSearcher = engine.prepare(job.prefix, job.target);
    for (let next = start; next < end;) {
      if (preempted()) {
        recordDrop(generation);
        if (setup.faultInjection === 'stale-found') post({ type: 'found', generation, nonce: next });
        return;
      }
      const batchEnd = next + BigInt(batch) < end ? next + BigInt(batch) : end;
      const began = performance.now();
      const result = searcher.search(next, batchEnd);
      const tried = BigInt(result.tried);
      Atomics.add(counters, totalSlot, tried);
      Atomics.add(counters, jobTotalSlot, tried);
      if (result.nonce !== null) {
        post({ type: 'found', generation, nonce: result.nonce });
        return;
      }
      adaptBatch(performance.now() - began);
      next = batchEnd;
    }
    post({ type: 'exhausted', generation });
  } catch (error) {
    if (error instanceof EngineMismatchError) {
      post({ type: 'mismatch', generation, engine: error.engine, nonce: error.nonce, detail: error.detail });
    } else {
      post({
        type: 'failed',
        generation,
        message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
  }
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'job':
      if (setup.faultInjection === 'worker-error' && setup.index === 0) throw new Error('injected worker failure');
      runJob(message);
      break;
    case 'engine':
      engine = makeEngine(message.engine);
      if (setup.batchSize === undefined) batch = INITIAL_BATCH[message.engine];
      break;
    case 'shutdown':
      // Closing the port leaves the thread nothing to wait for, so it exits on its own.
      port.close();
      break;
  }
});

try {
  engine = makeEngine(setup.engine);
  post({ type: 'ready' });
} catch (error) {
  post({ type: 'init-failed', message: error instanceof Error ? error.message : String(error) });
}
