/**
 * Preemption latency and its hashrate cost, through the real worker pool.
 *
 *   npx tsx bench/preemption.ts [jobs=200] [threads=1,2] [engine=wasm-simd]
 *
 * Latency: the pool mines an unreachable target; `jobs` times, after a random pause of 2 to
 * 9 ms (so that the new job lands anywhere in a batch), a new job replaces it. The latency of
 * one replacement is from just before mine() (which bumps the generation) until the last
 * worker has stopped hashing the old job, as the workers record it themselves
 * (MinerPool.workerDrops(), process.hrtime.bigint(): one clock for every thread).
 *
 * Cost: the same pool setup with the default adaptive batches (~0.5 ms) against fixed
 * batches 32 times longer (~16 ms, the old ~10 ms design and then some), sampled alternately
 * for 1 s each; hashes per second of wall time and hashes per CPU second of the process
 * (robust to other processes taking the cores: the main thread sleeps meanwhile).
 *
 * Overhead per batch, the same cost seen closer: on one thread, batches of 4,096 nonces
 * (~0.5 ms) through the engine path a worker uses (verified engine, bigint range, checks)
 * against the bare WebAssembly export, interleaved; the difference of the median batch times
 * is what every batch costs on top of hashing, whatever the machine's load.
 *
 * The machine's load average is printed before and after: on a shared machine a worker can
 * be descheduled for milliseconds, which no batch size can hide.
 */
import { loadavg } from 'node:os';
import { instantiateSync } from '@assemblyscript/loader';
import type { EngineName } from '../src/hashing/engine.js';
import { createEngine } from '../src/hashing/registry.js';
import { type NonceSearchExports, wasmModule } from '../src/hashing/wasm.js';
import { MinerPool } from '../src/hashing/pool.js';
import { isEngineName } from '../src/hashing/engine.js';

const [jobsArg = '200', threadsArg = '1,2', engineArg = 'wasm-simd'] = process.argv.slice(2);
const jobs = Number(jobsArg);
const threadCounts = threadsArg.split(',').map(Number);
if (!isEngineName(engineArg)) throw new Error(`unknown engine ${engineArg}`);
const engine: EngineName = engineArg;
const COST_SAMPLES = 8;
const COST_SAMPLE_MS = 1_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const prefix = (k: number): Uint8Array =>
  new Uint8Array(Buffer.concat([Buffer.from(`job ${k}`.padEnd(16)), Buffer.alloc(32, k)]));
const cpuMs = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1_000;
};

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
}

const load = (): string =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(5);
}

/** Milliseconds from each of `jobs` replacements until every worker stopped the old job. */
async function latencies(threads: number): Promise<number[]> {
  const pool = await MinerPool.create({ threads, engine });
  try {
    void pool.mine({ prefix: prefix(0), target: 0n });
    await sleep(1_000); // JIT tiers and batch sizes settle
    const result: number[] = [];
    let skipped = 0;
    for (let k = 1; k <= jobs; k++) {
      await sleep(2 + Math.random() * 7);
      const old = pool.generation;
      const bumped = process.hrtime.bigint();
      void pool.mine({ prefix: prefix(k), target: 0n });
      // The workers time-stamp their own stop, so the main thread need not watch: it sleeps
      // (a main thread waking every millisecond would take the cores from the workers).
      await sleep(15);
      // A worker that had not yet taken the old job when the new one came skips it (it
      // checks the generation before claiming a job): it was not hashing it, so it does not
      // count. Every other worker records dropping the old job.
      const settled = (): boolean =>
        pool.workerDrops().every((drop, i) => drop?.generation === old || pool.workerGenerations()[i]! > old);
      await until(settled);
      const stops = pool.workerDrops().flatMap((drop) => (drop?.generation === old ? [drop.stoppedAtNs] : []));
      if (stops.length < threads) skipped += threads - stops.length;
      const last = stops.reduce((latest, stop) => (stop > latest ? stop : latest), bumped);
      result.push(Number(last - bumped) / 1e6);
    }
    pool.cancel();
    if (skipped > 0) console.log(`  (${skipped} times a worker had not yet taken the job being replaced)`);
    return result;
  } finally {
    await pool.close();
  }
}

interface Rate {
  wall: number;
  cpu: number;
}

async function sampleRate(pool: MinerPool, k: number): Promise<Rate> {
  const job = pool.mine({ prefix: prefix(1_000 + k), target: 0n });
  await sleep(200);
  const hashes0 = pool.totalHashes();
  const wall0 = performance.now();
  const cpu0 = cpuMs();
  await sleep(COST_SAMPLE_MS);
  const hashes = pool.totalHashes() - hashes0;
  const rate = { wall: (hashes * 1_000) / (performance.now() - wall0), cpu: (hashes * 1_000) / (cpuMs() - cpu0) };
  pool.cancel();
  await job;
  return rate;
}

/** Adaptive (~0.5 ms) batches against fixed ~16 ms ones, alternately. */
async function cost(threads: number): Promise<{ adaptive: Rate[]; long: Rate[]; longBatch: number }> {
  const adaptivePool = await MinerPool.create({ threads, engine });
  let longPool: MinerPool | undefined;
  try {
    const calibration = await sampleRate(adaptivePool, 0);
    // Hashes per CPU second is one thread's rate while it runs, whatever else takes the cores.
    const longBatch = Math.round((calibration.cpu * 16) / 1_000);
    longPool = await MinerPool.create({ threads, engine, batchSize: longBatch });
    await sampleRate(longPool, 0);
    const adaptive: Rate[] = [];
    const long: Rate[] = [];
    for (let k = 1; k <= COST_SAMPLES; k++) {
      adaptive.push(await sampleRate(adaptivePool, k));
      long.push(await sampleRate(longPool, k));
    }
    return { adaptive, long, longBatch };
  } finally {
    await adaptivePool.close();
    await longPool?.close();
  }
}

const median = (values: number[]): number => quantile(values, 0.5);

/** Median ns of a 4,096-nonce batch through the verified wasm-simd engine and through the bare export, interleaved. */
function batchOverhead(): { engineNs: number; rawNs: number } {
  const BATCH = 4_096;
  const job = prefix(7);
  const searcher = createEngine('wasm-simd').prepare(job, 0n);
  const { instance } = instantiateSync<Record<string, unknown>>(wasmModule('simd'));
  const raw = instance.exports as unknown as NonceSearchExports;
  new Uint8Array(raw.memory.buffer).set(job, raw.INPUT.value as number);
  raw.begin();
  raw.absorb(job.length);
  new Uint32Array(raw.memory.buffer, raw.TARGET.value as number, 8).fill(0);
  raw.prepare();
  const engineTimes: number[] = [];
  const rawTimes: number[] = [];
  let next = 1n;
  let lo = 1;
  for (let i = 0; i < 6_000; i++) {
    let began = process.hrtime.bigint();
    searcher.search(next, next + BigInt(BATCH));
    engineTimes.push(Number(process.hrtime.bigint() - began));
    next += BigInt(BATCH);
    began = process.hrtime.bigint();
    raw.search(0, lo, BATCH);
    rawTimes.push(Number(process.hrtime.bigint() - began));
    lo += BATCH;
  }
  // The first thousand of each are warmup (tiers).
  return { engineNs: median(engineTimes.slice(1_000)), rawNs: median(rawTimes.slice(1_000)) };
}
const ms = (value: number): string => `${value.toFixed(3)} ms`;

console.log(`engine ${engine}, ${jobs} replacements per thread count; load average before: ${load()}`);
for (const threads of threadCounts) {
  const measured = await latencies(threads);
  console.log(
    `${threads} thread${threads === 1 ? '' : 's'}: preemption p50 ${ms(quantile(measured, 0.5))}, p95 ${ms(quantile(measured, 0.95))}, max ${ms(Math.max(...measured))} (load ${load()})`,
  );
}
const overhead = batchOverhead();
console.log(
  `one batch of 4,096 nonces: ${(overhead.engineNs / 1e3).toFixed(1)} µs through the engine path, ${(overhead.rawNs / 1e3).toFixed(1)} µs bare: ` +
    `${((overhead.engineNs - overhead.rawNs) / 1e3).toFixed(2)} µs a batch, ${((100 * (overhead.engineNs - overhead.rawNs)) / overhead.rawNs).toFixed(2)}% (load ${load()})`,
);
for (const threads of threadCounts) {
  const { adaptive, long, longBatch } = await cost(threads);
  const wallRatio = median(adaptive.map((rate, i) => rate.wall / long[i]!.wall));
  const cpuRatio = median(adaptive.map((rate, i) => rate.cpu / long[i]!.cpu));
  console.log(
    `${threads} thread${threads === 1 ? '' : 's'}: adaptive batches ${(median(adaptive.map((r) => r.wall)) / 1e6).toFixed(3)} MH/s against fixed ${longBatch}-nonce batches ${(median(long.map((r) => r.wall)) / 1e6).toFixed(3)} MH/s; ` +
      `median ratio ${wallRatio.toFixed(4)} per wall second, ${cpuRatio.toFixed(4)} per CPU second (load ${load()})`,
  );
}
