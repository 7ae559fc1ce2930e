/**
 * `powchain bench`: hashes per second of each engine x thread count (SPEC 6), measured
 * through the real worker pool mining an unreachable target (0) for a fixed time, the
 * median of a few samples. Progress goes to stderr; the result is a table on stdout, or
 * with --json exactly one JSON object:
 *
 *   {"message_bytes": 56, "seconds": 2, "results": [{"engine": "wasm-simd", "threads": 1,
 *    "hashes_per_second": 0, "samples": [...], "speedup": 0}], "references": [...]}
 *
 * `references` holds the seed's own Python loop (hashlib with a midstate copy, one thread)
 * when python3 is on PATH: a point of comparison, not an engine.
 */
import { quote } from '../primitives/quote.js';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { HASH_BYTES, NONCE_BYTES } from '../primitives/limits.js';
import { ENGINE_NAMES, type EngineName, isEngineName } from '../hashing/engine.js';
import { MinerPool } from '../hashing/pool.js';
import { availableEngines } from '../hashing/registry.js';
import { integerOption, threadsOption } from './options.js';

/** The seed's payload for the first block of node 127.0.0.1:5000. */
const SEED_PAYLOAD = '127.0.0.1:5000:0';
const MIN_MESSAGE_BYTES = HASH_BYTES + NONCE_BYTES;
const MAX_MESSAGE_BYTES = 64 * 1024 + MIN_MESSAGE_BYTES;
const UNREACHABLE_TARGET = 0n;
const SAMPLES = 4;
/** Time for JIT tiers and the adaptive batch size to settle before sampling. */
const WARMUP_MS = 500;

interface BenchOptions {
  engines?: string;
  threads?: number[];
  dataBytes: number;
  seconds: number;
  json?: boolean;
  python: boolean;
}

interface Measurement {
  engine: string;
  threads: number;
  hashes_per_second: number;
  samples: number[];
}

function threadListOption(text: string): number[] {
  const counts = text.split(',').map((part) => threadsOption(part.trim()));
  return [...new Set(counts)];
}

function secondsOption(text: string): number {
  const seconds = Number(text);
  if (!/^\d*\.?\d+$/.test(text.trim()) || !(seconds >= 0.2 && seconds <= 600)) {
    throw new InvalidArgumentError(`seconds must be a number between 0.2 and 600, got ${quote(text)}`);
  }
  return seconds;
}

/** data || previous_hash of a message of `messageBytes` bytes in all (nonce included). */
export function benchPrefix(messageBytes: number): { data: Uint8Array; previousHash: Uint8Array } {
  const dataBytes = messageBytes - MIN_MESSAGE_BYTES;
  const data = new Uint8Array(dataBytes);
  const payload = Buffer.from(SEED_PAYLOAD);
  for (let i = 0; i < dataBytes; i++) data[i] = payload[i % payload.length]!;
  const previousHash = new Uint8Array(createHash('sha256').update('powchain bench parent').digest());
  return { data, previousHash };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Mines an unreachable target with a fresh pool and samples its hash counters. */
async function measurePool(
  engine: EngineName,
  threads: number,
  prefix: Uint8Array,
  seconds: number,
): Promise<Measurement> {
  const pool = await MinerPool.create({ engine, threads });
  try {
    const job = pool.mine({ prefix, target: UNREACHABLE_TARGET });
    await sleep(WARMUP_MS);
    const samples: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const hashesBefore = pool.totalHashes();
      const began = performance.now();
      await sleep((seconds * 1_000) / SAMPLES);
      samples.push(((pool.totalHashes() - hashesBefore) * 1_000) / (performance.now() - began));
    }
    pool.cancel();
    await job;
    if (pool.engine !== engine) throw new Error(`engine "${engine}" failed its node:crypto check and was replaced`);
    return { engine, threads, hashes_per_second: median(samples), samples };
  } finally {
    await pool.close();
  }
}

/**
 * The seed's mining loop (Block.mine), verbatim but for the clock check every 2^14
 * nonces, one line of rate per sample on stdout.
 */
const SEED_LOOP = `
import sys, time
from hashlib import sha256
data, previous_hash = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2])
seconds, samples, target = float(sys.argv[3]), int(sys.argv[4]), 0
h = sha256()
h.update(data)
h.update(previous_hash)
for _ in range(samples):
    inc, check = 0, 16384
    began = time.perf_counter()
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
    print(inc / (time.perf_counter() - began), flush=True)
`;

/** The seed's Python loop on one thread, or null when python3 cannot be run. */
function measurePython(data: Uint8Array, previousHash: Uint8Array, seconds: number): Promise<Measurement | null> {
  return new Promise((resolve) => {
    const args = [
      '-c',
      SEED_LOOP,
      Buffer.from(data).toString('hex'),
      Buffer.from(previousHash).toString('hex'),
      String(seconds),
      String(SAMPLES),
    ];
    const child = spawn('python3', args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', () => resolve(null));
    child.on('close', (code) => {
      const samples = output
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map(Number);
      if (code !== 0 || samples.length === 0 || samples.some((rate) => !Number.isFinite(rate))) resolve(null);
      else resolve({ engine: 'python-seed', threads: 1, hashes_per_second: median(samples), samples });
    });
  });
}

const megahashes = (rate: number): string => (rate / 1e6).toFixed(3);

function renderTable(measurements: Measurement[], references: Measurement[], baseline: number | undefined): string {
  const speedup = (rate: number): string => (baseline ? `${(rate / baseline).toFixed(2)}x` : '-');
  const rows = [
    ['engine', 'threads', 'MH/s', 'vs node-crypto x1'],
    ...measurements.map((m) => [
      m.engine,
      String(m.threads),
      megahashes(m.hashes_per_second),
      speedup(m.hashes_per_second),
    ]),
    ...references.map((m) => [
      `${m.engine} (reference, not an engine)`,
      String(m.threads),
      megahashes(m.hashes_per_second),
      speedup(m.hashes_per_second),
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]): string =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ');
  return [line(rows[0]!), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function benchCommand(): Command {
  const cores = availableParallelism();
  return new Command('bench')
    .description('compare the hashing engines: hashes per second per engine and thread count, through the worker pool')
    .option(
      '--engines <list>',
      `comma-separated engines (default: every one available here; from ${ENGINE_NAMES.join(', ')})`,
    )
    .option(
      '--threads <list>',
      `comma-separated thread counts (default: 1 and all cores, ${cores} here)`,
      threadListOption,
    )
    .option(
      '--data-bytes <n>',
      "message size including the 32-byte parent and the 8-byte nonce (56 is the seed's)",
      integerOption('data-bytes', MIN_MESSAGE_BYTES, MAX_MESSAGE_BYTES),
      56,
    )
    .option('--seconds <s>', 'measuring time per engine and thread count', secondsOption, 2)
    .option('--json', 'print one JSON object on stdout instead of the table')
    .option('--no-python', "skip the reference measurement of the seed's Python loop")
    .action(async (options: BenchOptions, command: Command) => {
      const available = availableEngines();
      let engines: EngineName[] = available;
      if (options.engines !== undefined) {
        engines = [];
        for (const name of options.engines.split(',').map((part) => part.trim())) {
          if (!isEngineName(name))
            command.error(`error: unknown engine "${name}" (choose from ${ENGINE_NAMES.join(', ')})`);
          if (!available.includes(name)) {
            command.error(
              `error: engine "${name}" is not available here (available: ${available.join(', ')}); is the WebAssembly built (npm run build:wasm)?`,
            );
          }
          if (!engines.includes(name)) engines.push(name);
        }
      }
      const threadCounts = options.threads ?? [...new Set([1, cores])];
      const { data, previousHash } = benchPrefix(options.dataBytes);
      const prefix = new Uint8Array([...data, ...previousHash]);
      const progress = (text: string): void => void process.stderr.write(`bench: ${text}\n`);

      progress(
        `${options.dataBytes}-byte message, ${options.seconds} s per measurement (median of ${SAMPLES} samples), ${cores} cores`,
      );
      const measurements: Measurement[] = [];
      for (const engine of engines) {
        for (const threads of threadCounts) {
          const measured = await measurePool(engine, threads, prefix, options.seconds);
          progress(
            `${engine} x ${threads} thread${threads === 1 ? '' : 's'}: ${megahashes(measured.hashes_per_second)} MH/s`,
          );
          measurements.push(measured);
        }
      }
      const references: Measurement[] = [];
      if (options.python) {
        const python = await measurePython(data, previousHash, options.seconds);
        if (python === null) progress('python3 not found or failed: no python-seed reference row');
        else {
          progress(`python-seed (reference) x 1 thread: ${megahashes(python.hashes_per_second)} MH/s`);
          references.push(python);
        }
      }

      const baseline = measurements.find((m) => m.engine === 'node-crypto' && m.threads === 1)?.hashes_per_second;
      const withSpeedup = (m: Measurement) => ({
        ...m,
        speedup_vs_node_crypto_1_thread: baseline ? m.hashes_per_second / baseline : null,
      });
      if (options.json) {
        const report = {
          message_bytes: options.dataBytes,
          seconds: options.seconds,
          cores,
          results: measurements.map(withSpeedup),
          references: references.map((m) => ({ ...withSpeedup(m), reference: true })),
        };
        process.stdout.write(`${JSON.stringify(report)}\n`);
      } else {
        process.stdout.write(`${renderTable(measurements, references, baseline)}\n`);
      }
    });
}
