/**
 * Points of comparison for `powchain bench`, not engines: the same nonce search written the
 * obvious way with the two JavaScript hashing libraries people reach for (hash-wasm, the
 * most used WebAssembly one, and @noble/hashes, the reference pure-JS one), and the seed
 * tutorial's own Python loop. Each runs on one thread and is measured like an engine (the
 * median of equal time slices, hashes per second of wall time). The native C reference is in
 * native-reference.ts.
 *
 * "The obvious way": one hash of prefix || nonce per nonce with the library's one-shot API,
 * no midstate, the digest compared with the target as bytes; that is the loop a reader of
 * either library's README would write, and the one this project's engines are meant to beat.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpuMs, median } from './measure.js';

export type ReferenceName = 'hash-wasm' | 'noble-hashes' | 'python-seed' | 'native-sse2' | 'native-avx';

export interface ReferenceMeasurement {
  readonly name: ReferenceName;
  /** What it is, for the table and the chart. */
  readonly label: string;
  readonly threads: 1;
  readonly hashesPerSecond: number;
  readonly samples: number[];
  /** The median of hashes per CPU second of its thread (or process), sample by sample. */
  readonly hashesPerCpuSecond: number;
}

/** A measurement, or why there is none here (missing package, no python3, no C compiler...). */
export type ReferenceOutcome =
  | { readonly ok: true; readonly measurement: ReferenceMeasurement }
  | { readonly ok: false; readonly name: ReferenceName; readonly reason: string };

export interface ReferenceJob {
  /** data || previous_hash. */
  readonly prefix: Uint8Array;
  readonly seconds: number;
  readonly samples: number;
}

const UNREACHABLE_TARGET = new Uint8Array(32);
/** The loops look at the clock once per this many nonces. */
const CLOCK_EVERY = 1_024;
/** Untimed run first, as the engines get: JIT tiers (and hash-wasm's WebAssembly) settle. */
const WARMUP_MS = 500;

type OneShot = (message: Uint8Array) => Uint8Array;

/**
 * Hashes per second of `hash` over consecutive nonces for `seconds`, in `samples` slices
 * after an untimed warmup: the nonce written big-endian after the prefix, the digest compared
 * with an unreachable target, exactly as a one-thread miner would.
 */
function measureLoop(hash: OneShot, job: ReferenceJob): { wall: number[]; cpu: number[] } {
  const message = new Uint8Array(job.prefix.length + 8);
  message.set(job.prefix);
  const view = new DataView(message.buffer);
  const at = job.prefix.length;
  let nonce = 1;
  const hashSlice = (deadline: number): number => {
    let hashed = 0;
    while (performance.now() < deadline) {
      for (let i = 0; i < CLOCK_EVERY; i++, nonce++) {
        view.setUint32(at, Math.floor(nonce / 0x1_0000_0000));
        view.setUint32(at + 4, nonce >>> 0);
        if (Buffer.compare(hash(message), UNREACHABLE_TARGET) <= 0) throw new Error('unreachable target reached');
      }
      hashed += CLOCK_EVERY;
    }
    return hashed;
  };
  hashSlice(performance.now() + WARMUP_MS);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let s = 0; s < job.samples; s++) {
    const began = performance.now();
    const cpuBefore = cpuMs();
    const hashed = hashSlice(began + (job.seconds * 1_000) / job.samples);
    wall.push((hashed * 1_000) / (performance.now() - began));
    cpu.push((hashed * 1_000) / (cpuMs() - cpuBefore));
  }
  return { wall, cpu };
}

/** The library's answer for one message agrees with node:crypto (a broken install measures nothing). */
function agreesWithNodeCrypto(hash: OneShot): boolean {
  const message = new TextEncoder().encode('powchain reference check');
  return Buffer.from(hash(message)).equals(createHash('sha256').update(message).digest());
}

async function measureLibrary(
  name: ReferenceName,
  label: string,
  load: () => Promise<OneShot>,
  job: ReferenceJob,
): Promise<ReferenceOutcome> {
  let hash: OneShot;
  try {
    hash = await load();
  } catch (error) {
    return { ok: false, name, reason: `not installed (${error instanceof Error ? error.message : String(error)})` };
  }
  if (!agreesWithNodeCrypto(hash)) return { ok: false, name, reason: 'its SHA-256 disagrees with node:crypto' };
  const { wall, cpu } = measureLoop(hash, job);
  return {
    ok: true,
    measurement: {
      name,
      label,
      threads: 1,
      hashesPerSecond: median(wall),
      samples: wall,
      hashesPerCpuSecond: median(cpu),
    },
  };
}

/** hash-wasm: createSHA256() once, then init(), update(prefix || nonce), digest('binary') per nonce. */
export function measureHashWasm(job: ReferenceJob): Promise<ReferenceOutcome> {
  return measureLibrary(
    'hash-wasm',
    'hash-wasm (WebAssembly), one-shot per nonce',
    async () => {
      const { createSHA256 } = await import('hash-wasm');
      const hasher = await createSHA256();
      return (message) => {
        hasher.init();
        hasher.update(message);
        return hasher.digest('binary');
      };
    },
    job,
  );
}

/** @noble/hashes: sha256(prefix || nonce) per nonce. */
export function measureNobleHashes(job: ReferenceJob): Promise<ReferenceOutcome> {
  return measureLibrary(
    'noble-hashes',
    '@noble/hashes (pure JS), one-shot per nonce',
    async () => {
      const { sha256 } = await import('@noble/hashes/sha2.js');
      return (message) => sha256(message);
    },
    job,
  );
}

/**
 * The tutorial's mining loop (Block.mine), verbatim but for the clock check every 2^14 nonces:
 * hashlib with the prefix absorbed once and one copy() per nonce. One line per sample: hashes
 * per second of wall time, and per second of the process's CPU time.
 */
const SEED_LOOP = `
import sys, time
from hashlib import sha256
data_and_parent = bytes.fromhex(sys.argv[1])
seconds, samples, target = float(sys.argv[2]), int(sys.argv[3]), 0
h = sha256()
h.update(data_and_parent)
for _ in range(samples):
    inc, check = 0, 16384
    began, cpu_began = time.perf_counter(), time.process_time()
    deadline = began + seconds / samples
    hp = h.copy()
    while inc == 0 or int.from_bytes(hp.digest(), signed=False, byteorder="big") > target:
        hp = h.copy()
        inc += 1
        hp.update(inc.to_bytes(8, byteorder="big"))
        if inc == check:
            if time.perf_counter() >= deadline:
                break
            check += 16384
    print(inc / (time.perf_counter() - began), inc / (time.process_time() - cpu_began), flush=True)
`;

/** The tutorial's Python loop on one thread (python3 on PATH). */
export function measurePythonSeed(job: ReferenceJob): Promise<ReferenceOutcome> {
  const name = 'python-seed';
  return new Promise((resolve) => {
    const args = ['-c', SEED_LOOP, Buffer.from(job.prefix).toString('hex'), String(job.seconds), String(job.samples)];
    const child = spawn('python3', args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', () => resolve({ ok: false, name, reason: 'python3 not found' }));
    child.on('close', (code) => {
      const lines = output
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => line.trim().split(/\s+/).map(Number));
      const samples = lines.map((rates) => rates[0] ?? NaN);
      const cpu = lines.map((rates) => rates[1] ?? NaN);
      if (code !== 0 || samples.length === 0 || [...samples, ...cpu].some((rate) => !Number.isFinite(rate))) {
        resolve({ ok: false, name, reason: `python3 failed (exit code ${code})` });
        return;
      }
      resolve({
        ok: true,
        measurement: {
          name,
          label: "the tutorial's Python loop (hashlib, copy() per nonce)",
          threads: 1,
          hashesPerSecond: median(samples),
          samples,
          hashesPerCpuSecond: median(cpu),
        },
      });
    });
  });
}
