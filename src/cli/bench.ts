/**
 * `powchain bench`: hashes per second of each engine x thread count, measured through the
 * real worker pool (src/hashing/measure.ts: the median of equal time slices), beside the
 * references people compare with, each on one thread: the nonce loop written the obvious way
 * with hash-wasm and with @noble/hashes, the tutorial's Python loop, and the native C
 * reference of the SIMD kernel (compiled with `cc` when there is one). Progress and notes go
 * to stderr; the result is a table on stdout, or with --json exactly one JSON object:
 *
 *   {"message_bytes": 56, "seconds": 2, "cores": 2, "load_average": [..],
 *    "results": [{"engine": "wasm-simd", "kind": "engine", "threads": 1,
 *                 "hashes_per_second": n, "samples": [...], "speedup_vs_node_crypto_1_thread": x}, ...],
 *    "references": [{"engine": "hash-wasm", "kind": "reference", "reference": true, "label": "...",
 *                    "threads": 1, "hashes_per_second": n, ...}, ...],
 *    "notes": ["native-avx: ...", ...]}
 *
 * `results` holds engines only, as it always did; references (and their `kind`) are extra.
 * Every row also has `hashes_per_cpu_second` (the "MH per CPU-s" column): hashes per second
 * of CPU time, the speed of a thread while it runs, which a machine shared with other
 * processes lowers much less than the wall-clock rate (N threads: per thread, not in total).
 * `--svg <file>` also draws the table as a bar chart (docs/bench.svg is one).
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { ENGINE_NAMES, type EngineName, isEngineName } from '../hashing/engine.js';
import { quote } from '../primitives/quote.js';
import { MIN_MESSAGE_BYTES, SEED_MESSAGE_BYTES, measureHashrate, samplePrefix } from '../hashing/measure.js';
import { buildNativeReference, measureNative } from '../hashing/native-reference.js';
import {
  type ReferenceJob,
  type ReferenceMeasurement,
  type ReferenceOutcome,
  measureHashWasm,
  measureNobleHashes,
  measurePythonSeed,
} from '../hashing/references.js';
import { availableEngines } from '../hashing/registry.js';
import { type ChartRow, renderBenchSvg } from './bench-chart.js';
import { integerOption, threadsOption } from './options.js';

const MAX_MESSAGE_BYTES = 64 * 1024 + MIN_MESSAGE_BYTES;
const SAMPLES = 4;

interface BenchOptions {
  engines?: string;
  threads?: number[];
  dataBytes: number;
  seconds: number;
  json?: boolean;
  python: boolean;
  references: boolean;
  svg?: string;
}

interface EngineRow {
  engine: EngineName;
  threads: number;
  hashes_per_second: number;
  samples: number[];
  hashes_per_cpu_second: number;
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

const megahashes = (rate: number): string => (rate / 1e6).toFixed(3);

/** The references in table order, each with its outcome. */
async function measureReferences(
  job: ReferenceJob,
  options: BenchOptions,
  progress: (text: string) => void,
): Promise<ReferenceOutcome[]> {
  const outcomes: ReferenceOutcome[] = [];
  const native = await buildNativeReference();
  if (native.ok) {
    for (const build of native.builds) outcomes.push(await measureNative(build, job));
  } else {
    outcomes.push({ ok: false, name: 'native-sse2', reason: native.reason });
  }
  outcomes.push(await measureHashWasm(job));
  outcomes.push(await measureNobleHashes(job));
  if (options.python) outcomes.push(await measurePythonSeed(job));
  for (const outcome of outcomes) {
    if (outcome.ok) progress(`${outcome.measurement.label}: ${megahashes(outcome.measurement.hashesPerSecond)} MH/s`);
    else progress(`no ${outcome.name} row: ${outcome.reason}`);
  }
  return outcomes;
}

function renderTable(engines: EngineRow[], references: ReferenceMeasurement[], baseline: number | undefined): string {
  const speedup = (rate: number): string => (baseline ? `${(rate / baseline).toFixed(2)}x` : '-');
  const rows = [
    ['engine', 'kind', 'threads', 'MH/s', 'vs node-crypto x1', 'MH per CPU-s'],
    ...engines.map((m) => [
      m.engine,
      'engine',
      String(m.threads),
      megahashes(m.hashes_per_second),
      speedup(m.hashes_per_second),
      megahashes(m.hashes_per_cpu_second),
    ]),
    ...references.map((m) => [
      m.label,
      'reference',
      String(m.threads),
      megahashes(m.hashesPerSecond),
      speedup(m.hashesPerSecond),
      megahashes(m.hashesPerCpuSecond),
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]): string =>
    row.map((cell, column) => (column <= 1 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [line(rows[0]!), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/**
 * "wasm-simd on one thread is ..." against each reference measured, for the table's foot; per
 * CPU second, since every reference runs on one thread too and that rate does not depend on
 * what else the machine runs.
 */
function comparisons(engines: EngineRow[], references: ReferenceMeasurement[]): string[] {
  const ours = engines.find((m) => m.engine === 'wasm-simd' && m.threads === 1);
  if (ours === undefined) return [];
  return references.map((m) => {
    const ratio = ours.hashes_per_cpu_second / m.hashesPerCpuSecond;
    const said = ratio < 1.5 ? `${(ratio * 100).toFixed(0)}% of` : `${ratio.toFixed(1)}x`;
    return `per CPU second, wasm-simd on 1 thread is ${said} ${m.label}`;
  });
}

function chartRows(engines: EngineRow[], references: ReferenceMeasurement[]): ChartRow[] {
  return [
    ...engines.map((m) => ({
      label: `${m.engine}, ${m.threads} thread${m.threads === 1 ? '' : 's'}`,
      kind: 'engine' as const,
      hashesPerSecond: m.hashes_per_second,
      hashesPerCpuSecond: m.hashes_per_cpu_second,
    })),
    ...references.map((m) => ({
      label: m.label,
      kind: 'reference' as const,
      hashesPerSecond: m.hashesPerSecond,
      hashesPerCpuSecond: m.hashesPerCpuSecond,
    })),
  ];
}

export function benchCommand(): Command {
  const cores = availableParallelism();
  return new Command('bench')
    .description(
      'compare the hashing engines (through the worker pool) with hash-wasm, @noble/hashes, the tutorial loop and native C',
    )
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
      "message size including the 32-byte parent and the 8-byte nonce (56 is the tutorial's)",
      integerOption('data-bytes', MIN_MESSAGE_BYTES, MAX_MESSAGE_BYTES),
      SEED_MESSAGE_BYTES,
    )
    .option('--seconds <s>', 'measuring time per row', secondsOption, 2)
    .option('--json', 'print one JSON object on stdout instead of the table')
    .option('--svg <file>', 'also draw the results as a bar chart into <file> (SVG)')
    .option('--no-python', "skip the reference measurement of the tutorial's Python loop")
    .option('--no-references', 'measure the engines only (no hash-wasm, @noble/hashes, Python or native rows)')
    .action(async (options: BenchOptions, command: Command) => {
      const available = availableEngines();
      let engines: EngineName[] = available;
      if (options.engines !== undefined) {
        engines = [];
        for (const name of options.engines.split(',').map((part) => part.trim())) {
          if (!isEngineName(name))
            command.error(`error: unknown engine ${quote(name)} (choose from ${ENGINE_NAMES.join(', ')})`);
          if (!available.includes(name)) {
            command.error(
              `error: engine ${quote(name)} is not available here (available: ${available.join(', ')}); is the WebAssembly built (npm run build:wasm)?`,
            );
          }
          if (!engines.includes(name)) engines.push(name);
        }
      }
      const threadCounts = options.threads ?? [...new Set([1, cores])];
      const { data, previousHash } = samplePrefix(options.dataBytes);
      const prefix = new Uint8Array([...data, ...previousHash]);
      const progress = (text: string): void => void process.stderr.write(`bench: ${text}\n`);
      const loadBefore = loadavg();

      progress(
        `${options.dataBytes}-byte message, ${options.seconds} s per row (median of ${SAMPLES} samples), ${cores} cores, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
      );
      const measured: EngineRow[] = [];
      for (const engine of engines) {
        for (const threads of threadCounts) {
          const m = await measureHashrate({
            engine,
            threads,
            messageBytes: options.dataBytes,
            seconds: options.seconds,
            samples: SAMPLES,
          });
          progress(`${engine} x ${threads} thread${threads === 1 ? '' : 's'}: ${megahashes(m.hashesPerSecond)} MH/s`);
          measured.push({
            engine,
            threads,
            hashes_per_second: m.hashesPerSecond,
            samples: m.samples,
            hashes_per_cpu_second: m.hashesPerCpuSecond,
          });
        }
      }
      const outcomes = options.references
        ? await measureReferences({ prefix, seconds: options.seconds, samples: SAMPLES }, options, progress)
        : [];
      const references = outcomes.flatMap((outcome) => (outcome.ok ? [outcome.measurement] : []));
      const notes = outcomes.flatMap((outcome) => (outcome.ok ? [] : [`${outcome.name}: ${outcome.reason}`]));
      const loadAfter = loadavg();

      const baseline = measured.find((m) => m.engine === 'node-crypto' && m.threads === 1)?.hashes_per_second;
      const speedup = (rate: number): number | null => (baseline ? rate / baseline : null);
      if (options.svg !== undefined) {
        const machine = `${cores} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node.js ${process.versions.node}`;
        const caption = [
          `${options.dataBytes}-byte message, median of ${SAMPLES} samples of ${options.seconds / SAMPLES} s; ${machine}; load average ${loadBefore[0]!.toFixed(1)}`,
          "Blue: powchain's engines through the worker pool. Grey: references, one thread each. (In brackets: MH per CPU second.)",
        ];
        writeFileSync(
          options.svg,
          renderBenchSvg(chartRows(measured, references), 'powchain bench: SHA-256 nonce search', caption),
        );
        progress(`chart written to ${options.svg}`);
      }
      if (options.json) {
        const report = {
          message_bytes: options.dataBytes,
          seconds: options.seconds,
          cores,
          load_average: { before: loadBefore, after: loadAfter },
          results: measured.map((m) => ({
            engine: m.engine,
            kind: 'engine',
            threads: m.threads,
            hashes_per_second: m.hashes_per_second,
            samples: m.samples,
            hashes_per_cpu_second: m.hashes_per_cpu_second,
            speedup_vs_node_crypto_1_thread: speedup(m.hashes_per_second),
          })),
          references: references.map((m) => ({
            engine: m.name,
            kind: 'reference',
            reference: true,
            label: m.label,
            threads: m.threads,
            hashes_per_second: m.hashesPerSecond,
            samples: m.samples,
            hashes_per_cpu_second: m.hashesPerCpuSecond,
            speedup_vs_node_crypto_1_thread: speedup(m.hashesPerSecond),
          })),
          notes,
        };
        process.stdout.write(`${JSON.stringify(report)}\n`);
      } else {
        const foot = [...comparisons(measured, references), ...notes.map((note) => `no row for ${note}`)];
        process.stdout.write(`${renderTable(measured, references, baseline)}\n`);
        if (foot.length > 0) process.stdout.write(`\n${foot.join('\n')}\n`);
      }
    });
}
