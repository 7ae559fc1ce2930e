/**
 * The native C reference (bench/native/sha256x4.c): compiled on demand into build/native/
 * with the system's `cc -O3`, checked against node:crypto, then driven over its stdin
 * protocol (`run MS`, `find START COUNT TARGET0`) to measure hashes per second. It does the
 * per-nonce work of the WebAssembly SIMD kernel with SSE intrinsics, four lanes per vector,
 * so that `powchain bench` shows how far WebAssembly is from native code on this machine.
 *
 * Two builds when the processor has AVX: plain `-O3` (SSE2 encoding, two-operand
 * instructions and the register copies they need) and `-O3 -mavx` (the same 128-bit
 * operations in the VEX encoding V8 itself emits on such a processor); the second is the
 * like-for-like comparison. No -march=native: AVX-512 has a vector rotate, which WebAssembly
 * does not, and that would be a different algorithm.
 */
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { blockHash } from './pow-check.js';
import { median } from './measure.js';
import type { ReferenceJob, ReferenceName, ReferenceOutcome } from './references.js';

/** The layout the C kernel implements (the WebAssembly fast path's). */
const NATIVE_TAIL = 48;
/** Both src/hashing/ and dist/hashing/ sit two levels below the repository root. */
const SOURCE = new URL('../../bench/native/sha256x4.c', import.meta.url);
const BUILD_DIR = new URL('../../build/native/', import.meta.url);

export interface NativeBuild {
  readonly name: Extract<ReferenceName, 'native-sse2' | 'native-avx'>;
  readonly label: string;
  readonly path: string;
}

/** Does this processor have AVX? Read from /proc/cpuinfo (Linux); elsewhere, assume not. */
function hasAvx(): boolean {
  try {
    return /^flags\s*:.*\bavx\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

function compile(output: string, flags: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('cc', [...flags, '-o', output, fileURLToPath(SOURCE)], (error, _stdout, stderr) => {
      if (error === null) resolve(null);
      else if ((error as NodeJS.ErrnoException).code === 'ENOENT') resolve('no C compiler (cc) on PATH');
      else resolve(`cc failed: ${stderr.trim().split('\n')[0] ?? error.message}`);
    });
  });
}

/** The builds this machine can run, compiled when missing or older than the source; or why there are none. */
export async function buildNativeReference(): Promise<
  { ok: true; builds: NativeBuild[] } | { ok: false; reason: string }
> {
  if (!existsSync(SOURCE)) return { ok: false, reason: `${fileURLToPath(SOURCE)} is not here (not a source checkout)` };
  mkdirSync(BUILD_DIR, { recursive: true });
  const wanted: Array<NativeBuild & { flags: string[] }> = [
    { name: 'native-sse2', label: 'native C, SSE2 (cc -O3)', path: '', flags: ['-O3'] },
  ];
  if (hasAvx())
    wanted.push({
      name: 'native-avx',
      label: 'native C, AVX encoding (cc -O3 -mavx)',
      path: '',
      flags: ['-O3', '-mavx'],
    });
  const builds: NativeBuild[] = [];
  const sourceTime = statSync(SOURCE).mtimeMs;
  for (const build of wanted) {
    const path = fileURLToPath(new URL(`sha256x4-${build.name.slice('native-'.length)}`, BUILD_DIR));
    if (!existsSync(path) || statSync(path).mtimeMs < sourceTime) {
      const failure = await compile(path, build.flags);
      if (failure !== null) return { ok: false, reason: failure };
    }
    builds.push({ name: build.name, label: build.label, path });
  }
  return { ok: true, builds };
}

/** One running reference process and its line protocol (bench/native/sha256x4.c). */
export class NativeProcess {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;

  constructor(path: string, prefix: Uint8Array) {
    this.#child = spawn(path, [Buffer.from(prefix).toString('hex')], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.on('error', () => undefined); // reported as a missing answer below
    this.#lines = createInterface({ input: this.#child.stdout })[Symbol.asyncIterator]();
  }

  async ask(command: string): Promise<string | null> {
    this.#child.stdin.write(`${command}\n`);
    const { value, done } = await this.#lines.next();
    return done === true ? null : (value as string);
  }

  close(): void {
    this.#child.stdin.end('quit\n');
    this.#child.kill();
  }
}

/**
 * The first nonce >= 1 whose hash word 0 is <= 2^24 - 1, by node:crypto and by the native
 * process: they must agree before its speed means anything.
 */
export async function agreesWithNodeCrypto(native: NativeProcess, prefix: Uint8Array): Promise<boolean> {
  const answer = await native.ask('find 1 1048576 00ffffff');
  for (let nonce = 1n; nonce <= 1_048_576n; nonce++) {
    const hash = blockHash(prefix, nonce);
    if (((hash[0]! << 24) | (hash[1]! << 16) | (hash[2]! << 8) | hash[3]!) >>> 0 <= 0x00ff_ffff) {
      return answer === String(nonce);
    }
  }
  return answer === 'none';
}

/** Hashes per second of one native build on `job`'s message, one thread, checked first. */
export async function measureNative(build: NativeBuild, job: ReferenceJob): Promise<ReferenceOutcome> {
  const { name } = build;
  if (job.prefix.length % 64 !== NATIVE_TAIL) {
    return {
      ok: false,
      name,
      reason: `implements only prefixes of length ${NATIVE_TAIL} mod 64 (messages of 56, 120, ... bytes)`,
    };
  }
  const native = new NativeProcess(build.path, job.prefix);
  try {
    if (!(await agreesWithNodeCrypto(native, job.prefix))) {
      return { ok: false, name, reason: 'its answer disagrees with node:crypto' };
    }
    const samples: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < job.samples; i++) {
      const answer = await native.ask(`run ${(job.seconds * 1_000) / job.samples}`);
      const [hashes = NaN, wallNs = NaN, cpuNs = NaN] = (answer ?? '').split(' ').map(Number);
      if (!(hashes > 0 && wallNs > 0 && cpuNs > 0)) {
        return { ok: false, name, reason: `it stopped answering (${answer ?? 'no output'})` };
      }
      samples.push((hashes * 1e9) / wallNs);
      cpu.push((hashes * 1e9) / cpuNs);
    }
    return {
      ok: true,
      measurement: {
        name,
        label: build.label,
        threads: 1,
        hashesPerSecond: median(samples),
        samples,
        hashesPerCpuSecond: median(cpu),
      },
    };
  } finally {
    native.close();
  }
}
