/**
 * How powchain measures a hashrate, written once: an engine on a thread count, through the
 * real worker pool, mining an unreachable target on a message of a given size; after a warmup
 * (JIT tiers, batch sizes), `samples` equal slices of the measuring time, each turned into
 * hashes per second of wall time; the result is their median. Beside it, the median of hashes
 * per CPU second of the process in the same slices: the speed of a thread while it runs,
 * which other processes taking the cores (a shared machine) do not lower. `powchain bench` reports it;
 * `calibrateHashrate()` is the quick one-thread variant for picking a target (devnet).
 */
import { createHash } from 'node:crypto';
import { HASH_BYTES, NONCE_BYTES } from '../primitives/limits.js';
import type { EngineName } from './engine.js';
import { MinerPool } from './pool.js';

/** The tutorial's payload for the first block of node 127.0.0.1:5000: the bench's message filler. */
const SEED_PAYLOAD = '127.0.0.1:5000:0';
/** The smallest message: an empty payload, the 32-byte parent hash and the nonce. */
export const MIN_MESSAGE_BYTES = HASH_BYTES + NONCE_BYTES;
/** The tutorial's message: its 16-byte payload, parent hash and nonce (two compressions per nonce). */
export const SEED_MESSAGE_BYTES = 56;
const UNREACHABLE_TARGET = 0n;

export interface HashrateOptions {
  readonly engine: EngineName;
  readonly threads: number;
  /** Message size, nonce included; default 56, the tutorial's. */
  readonly messageBytes?: number;
  /** Measuring time after the warmup, in seconds. */
  readonly seconds: number;
  /** Equal slices of `seconds`; default 4. */
  readonly samples?: number;
  /** Default 500 ms. */
  readonly warmupMs?: number;
}

export interface HashrateMeasurement {
  readonly engine: EngineName;
  readonly threads: number;
  /** The median of `samples`. */
  readonly hashesPerSecond: number;
  readonly samples: number[];
  /** The median of hashes per CPU second of the process, slice by slice. */
  readonly hashesPerCpuSecond: number;
}

/** data || previous_hash of a message of `messageBytes` bytes in all (nonce included): the tutorial's payload repeated. */
export function samplePrefix(messageBytes: number): { data: Uint8Array; previousHash: Uint8Array } {
  if (!Number.isInteger(messageBytes) || messageBytes < MIN_MESSAGE_BYTES) {
    throw new RangeError(`a message has at least ${MIN_MESSAGE_BYTES} bytes, got ${messageBytes}`);
  }
  const dataBytes = messageBytes - MIN_MESSAGE_BYTES;
  const data = new Uint8Array(dataBytes);
  const payload = Buffer.from(SEED_PAYLOAD);
  for (let i = 0; i < dataBytes; i++) data[i] = payload[i % payload.length]!;
  const previousHash = new Uint8Array(createHash('sha256').update('powchain bench parent').digest());
  return { data, previousHash };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('the median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU time of the whole process (every thread), in milliseconds. */
export function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1_000;
}

/**
 * Hashes per second of `engine` on `threads` workers: the median of the samples. Throws if
 * the engine failed its node:crypto check during the run (the pool then falls back to
 * node-crypto, which would be measured instead).
 */
export async function measureHashrate(options: HashrateOptions): Promise<HashrateMeasurement> {
  const { engine, threads, seconds, samples = 4, warmupMs = 500 } = options;
  if (!(seconds > 0) || !Number.isInteger(samples) || samples < 1) {
    throw new RangeError(`measure for a positive time in at least one sample, got ${seconds} s, ${samples}`);
  }
  const { data, previousHash } = samplePrefix(options.messageBytes ?? SEED_MESSAGE_BYTES);
  const prefix = new Uint8Array([...data, ...previousHash]);
  const pool = await MinerPool.create({ engine, threads });
  try {
    let settled = false;
    const job = pool.mine({ prefix, target: UNREACHABLE_TARGET }).finally(() => (settled = true));
    // The warmup counts from the first hash: a worker's start can take a while on a busy machine.
    while (pool.totalHashes() === 0 && !settled) await sleep(10);
    await sleep(warmupMs);
    const rates: number[] = [];
    const cpuRates: number[] = [];
    for (let i = 0; i < samples; i++) {
      const hashesBefore = pool.totalHashes();
      const began = performance.now();
      const cpuBefore = cpuMs();
      await sleep((seconds * 1_000) / samples);
      const hashes = pool.totalHashes() - hashesBefore;
      rates.push((hashes * 1_000) / (performance.now() - began));
      cpuRates.push((hashes * 1_000) / (cpuMs() - cpuBefore));
    }
    pool.cancel();
    await job;
    if (pool.engine !== engine) throw new Error(`engine "${engine}" failed its node:crypto check and was replaced`);
    return {
      engine,
      threads,
      hashesPerSecond: median(rates),
      samples: rates,
      hashesPerCpuSecond: median(cpuRates),
    };
  } finally {
    await pool.close();
  }
}

/**
 * The hashrate of `engine` on `threads` workers at once, on the tutorial's message, in about
 * 300 ms (plus the workers' start): enough to pick a proof-of-work target for a wanted block
 * time. Measured together, the threads show what this machine really gives them (a second
 * thread on a busy core adds less than the first).
 */
export async function calibrateHashrate(engine: EngineName, threads = 1): Promise<number> {
  const measured = await measureHashrate({ engine, threads, seconds: 0.2, samples: 3, warmupMs: 100 });
  return measured.hashesPerSecond;
}
