/**
 * The SIMD kernel against its native C reference and against an older kernel, alternately in
 * one run: the numbers the kernel work is judged by.
 *
 *   npx tsx bench/kernel.ts [rounds=30] [baseline git ref=main]
 *
 * Each round times, in turn, batches of 4,096 nonces (the tutorial's 56-byte message, one thread)
 * for ~150 ms with: this checkout's build/release-simd.wasm, the same build of `baseline`
 * (compiled from `git archive <ref> assembly asconfig.json` with this checkout's asc), and
 * the native reference (cc -O3, and cc -O3 -mavx when the CPU has AVX). A kernel's rate in a
 * round is 4,096 / (median time of one batch): a batch the scheduler interrupts (the machine
 * is shared) is an outlier that the median ignores. The ratios are taken round by round and
 * their median printed, with the 10th and 90th percentiles.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { instantiateSync } from '@assemblyscript/loader';
import { samplePrefix } from '../src/hashing/measure.js';
import { NativeProcess, agreesWithNodeCrypto, buildNativeReference } from '../src/hashing/native-reference.js';
import type { NonceSearchExports } from '../src/hashing/wasm.js';

const [roundsArg = '30', baseline = 'main'] = process.argv.slice(2);
const rounds = Number(roundsArg);
const BATCH = 4_096;
const ROUND_MS = 150;
const root = fileURLToPath(new URL('..', import.meta.url));
const { data, previousHash } = samplePrefix(56);
const prefix = new Uint8Array([...data, ...previousHash]);

interface Kernel {
  readonly name: string;
  /** Median nanoseconds of one batch of BATCH nonces over about `ms`. */
  batchNs(ms: number): Promise<number>;
  close(): void;
}

function wasmKernel(name: string, bytes: Uint8Array): Kernel {
  const { instance } = instantiateSync<Record<string, unknown>>(new WebAssembly.Module(bytes));
  const wasm = instance.exports as unknown as NonceSearchExports;
  new Uint8Array(wasm.memory.buffer).set(prefix, wasm.INPUT.value as number);
  wasm.begin();
  wasm.absorb(prefix.length);
  new Uint32Array(wasm.memory.buffer, wasm.TARGET.value as number, 8).fill(0);
  wasm.prepare();
  let lo = 1;
  return {
    name,
    batchNs(ms) {
      const times: number[] = [];
      const deadline = performance.now() + ms;
      while (performance.now() < deadline) {
        const began = process.hrtime.bigint();
        wasm.search(0, lo, BATCH);
        times.push(Number(process.hrtime.bigint() - began));
        lo = (lo + BATCH) >>> 0;
      }
      return Promise.resolve(median(times));
    },
    close() {},
  };
}

async function nativeKernels(): Promise<Kernel[]> {
  const built = await buildNativeReference();
  if (!built.ok) {
    console.log(`no native reference: ${built.reason}`);
    return [];
  }
  const kernels: Kernel[] = [];
  for (const build of built.builds) {
    const native = new NativeProcess(build.path, prefix);
    if (!(await agreesWithNodeCrypto(native, prefix))) throw new Error(`${build.label} disagrees with node:crypto`);
    kernels.push({
      name: build.label,
      async batchNs(ms) {
        const answer = await native.ask(`run ${ms}`);
        const batch = Number(answer?.split(' ')[3]);
        if (!(batch > 0)) throw new Error(`${build.label} answered ${answer}`);
        return batch;
      },
      close: () => native.close(),
    });
  }
  return kernels;
}

/** The SIMD build of `ref`'s assembly/, compiled with this checkout's AssemblyScript. */
function baselineBuild(ref: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'powchain-baseline-'));
  try {
    const archive = execFileSync('git', ['archive', ref, 'assembly', 'asconfig.json'], { cwd: root });
    execFileSync('tar', ['-x', '-C', dir], { input: archive });
    const out = join(dir, 'release-simd.wasm');
    execFileSync(
      join(root, 'node_modules', '.bin', 'asc'),
      [join(dir, 'assembly', 'simd.ts'), '--config', join(dir, 'asconfig.json'), '--target', 'release-simd', '-o', out],
      { cwd: dir, stdio: 'pipe' }, // its notes on stderr come with the exception if it fails
    );
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  return quantile(values, 0.5);
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  return sorted[low]! + (sorted[Math.ceil(at)]! - sorted[low]!) * (at - low);
}

const kernels: Kernel[] = [
  wasmKernel('wasm-simd (this checkout)', readFileSync(join(root, 'build', 'release-simd.wasm'))),
  wasmKernel(`wasm-simd (${baseline})`, baselineBuild(baseline)),
  ...(await nativeKernels()),
];
const load = (): string =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
console.log(`${rounds} rounds of ~${ROUND_MS} ms per kernel, batches of ${BATCH} nonces; load average ${load()}`);
try {
  for (const kernel of kernels) await kernel.batchNs(300); // warm up: JIT tiers, caches
  const rates = kernels.map((): number[] => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, kernel] of kernels.entries()) rates[i]!.push((BATCH * 1e3) / (await kernel.batchNs(ROUND_MS)));
  }
  const ours = rates[0]!;
  for (const [i, kernel] of kernels.entries()) {
    const ratios = rates[i]!.map((rate, round) => ours[round]! / rate);
    console.log(
      `${kernel.name.padEnd(42)} ${median(rates[i]!).toFixed(3)} MH/s` +
        (i === 0
          ? ''
          : `   this checkout / it: ${median(ratios).toFixed(3)} (p10 ${quantile(ratios, 0.1).toFixed(3)}, p90 ${quantile(ratios, 0.9).toFixed(3)})`),
    );
  }
  console.log(`load average after: ${load()}`);
} finally {
  for (const kernel of kernels) kernel.close();
}
