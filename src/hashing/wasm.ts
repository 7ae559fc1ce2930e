/**
 * Loader for the AssemblyScript nonce search (assembly/): compiles each build once, and
 * wraps one instance per engine object in the Engine interface.
 *
 * Instances come from @assemblyscript/loader's instantiateSync, which supplies the `env`
 * imports AssemblyScript code expects (the debug builds' abort, with its message and file
 * read out of memory). The interface is a few functions taking and returning i32 over static
 * buffers whose addresses the module exports (docs/hashing.md), so there is nothing for the
 * loader to lift or lower; its demangled exports wrap every function in a rest-arguments
 * closure, so the engine calls the instance's own exports (`instance.exports`) instead, and
 * `search`, the hot call, stays a direct call into WebAssembly.
 */
import { instantiateSync } from '@assemblyscript/loader';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Engine, NonceSearcher, SearchResult } from './engine.js';
import { HASH_SPACE, NONCE_LIMIT } from '../primitives/limits.js';

export type WasmFlavor = 'scalar' | 'simd';

/** The exports of build/release.wasm and build/release-simd.wasm (see assembly/sha256.ts). */
export interface NonceSearchExports {
  readonly memory: WebAssembly.Memory;
  readonly INPUT: WebAssembly.Global;
  readonly INPUT_LENGTH: WebAssembly.Global;
  readonly TARGET: WebAssembly.Global;
  readonly RESULT: WebAssembly.Global;
  readonly DIGEST: WebAssembly.Global;
  begin(): void;
  absorb(length: number): void;
  digest(): void;
  prepare(): void;
  search(startHi: number, startLo: number, count: number): number;
}

const BUILD_FILES: Record<WasmFlavor, string> = {
  scalar: 'release.wasm',
  simd: 'release-simd.wasm',
};

/** The smallest module using a v128 instruction: (func (result v128) v128.const 0). */
const SIMD_PROBE = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00, // magic, version
  0x01,
  0x05,
  0x01,
  0x60,
  0x00,
  0x01,
  0x7b, // type section: () -> v128
  0x03,
  0x02,
  0x01,
  0x00, // function section
  0x0a,
  0x16,
  0x01,
  0x14,
  0x00,
  0xfd,
  0x0c, // code: v128.const
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0x0b, // end
]);

let simdSupport: boolean | undefined;

export function simdSupported(): boolean {
  simdSupport ??= WebAssembly.validate(SIMD_PROBE);
  return simdSupport;
}

const modules = new Map<WasmFlavor, WebAssembly.Module>();

/**
 * The compiled build of `flavor`, compiled once per thread and cached. Both src/hashing/ (run
 * by tsx and vitest) and dist/hashing/ (compiled) sit two levels below the repository root.
 */
export function wasmModule(flavor: WasmFlavor): WebAssembly.Module {
  let module = modules.get(flavor);
  if (module === undefined) {
    const url = new URL(`../../build/${BUILD_FILES[flavor]}`, import.meta.url);
    let bytes: Buffer;
    try {
      bytes = readFileSync(url);
    } catch (cause) {
      throw new Error(
        `WebAssembly build ${fileURLToPath(url)} is missing; run \`npm run build\` (or \`npm run build:wasm\`)`,
        { cause },
      );
    }
    module = new WebAssembly.Module(bytes);
    modules.set(flavor, module);
  }
  return module;
}

const TWO_32 = 0x1_0000_0000;
const MAX_COUNT = TWO_32 - 1;

/**
 * One instance per engine: its static buffers hold one job at a time, so the engine
 * remembers which searcher's job is loaded and reloads (absorbs again) when another
 * searcher of the same engine takes its turn.
 */
class WasmEngine implements Engine {
  readonly name: 'wasm' | 'wasm-simd';
  readonly #exports: NonceSearchExports;
  readonly #input: Uint8Array;
  readonly #target: Uint32Array;
  readonly #result: Uint32Array;
  #loaded: WasmSearcher | undefined;

  constructor(flavor: WasmFlavor, module: WebAssembly.Module) {
    const name = flavor === 'simd' ? 'wasm-simd' : 'wasm';
    this.name = name;
    // Only the debug builds import abort (assertions are off in release); the loader's own
    // abort names the message and the file.
    const { instance } = instantiateSync<Record<string, unknown>>(module);
    this.#exports = instance.exports as unknown as NonceSearchExports;
    // The module never grows its memory (no allocation at all), so these views stay valid.
    const buffer = this.#exports.memory.buffer;
    this.#input = new Uint8Array(buffer, this.#exports.INPUT.value, this.#exports.INPUT_LENGTH.value);
    this.#target = new Uint32Array(buffer, this.#exports.TARGET.value, 8);
    this.#result = new Uint32Array(buffer, this.#exports.RESULT.value, 3);
  }

  prepare(prefix: Uint8Array, target: bigint): NonceSearcher {
    if (target < 0n || target >= HASH_SPACE) throw new RangeError(`target must be in [0, 2^256), got ${target}`);
    const searcher = new WasmSearcher(this, prefix.slice(), target);
    this.load(searcher);
    return searcher;
  }

  /** Absorbs the searcher's prefix (by chunks of the input buffer) and binds its target. */
  load(searcher: WasmSearcher): void {
    if (this.#loaded === searcher) return;
    const { begin, absorb, prepare } = this.#exports;
    const { prefix, target } = searcher;
    begin();
    for (let offset = 0; offset < prefix.length; offset += this.#input.length) {
      const chunk = prefix.subarray(offset, offset + this.#input.length);
      this.#input.set(chunk);
      absorb(chunk.length);
    }
    for (let i = 0; i < 8; i++) this.#target[i] = Number((target >> BigInt(224 - 32 * i)) & 0xffff_ffffn);
    prepare();
    this.#loaded = searcher;
  }

  search(searcher: WasmSearcher, start: bigint, end: bigint): SearchResult {
    if (start < 0n || end < start || end > NONCE_LIMIT) {
      throw new RangeError(`search range must satisfy 0 <= start <= end <= 2^64, got [${start}, ${end})`);
    }
    this.load(searcher);
    const { search } = this.#exports;
    let tried = 0;
    let next = start;
    while (next < end) {
      const count = Number(end - next > BigInt(MAX_COUNT) ? BigInt(MAX_COUNT) : end - next);
      // `count` up to 2^32 - 1 reaches the module as the same 32 bits (ToInt32 wraps it).
      if (search(Number(next >> 32n), Number(next & 0xffff_ffffn), count) !== 0) {
        const [hi = 0, lo = 0, found = 0] = this.#result;
        return { nonce: (BigInt(hi) << 32n) | BigInt(lo), tried: tried + found };
      }
      tried += count;
      next += BigInt(count);
    }
    return { nonce: null, tried };
  }
}

class WasmSearcher implements NonceSearcher {
  constructor(
    readonly engine: WasmEngine,
    readonly prefix: Uint8Array,
    readonly target: bigint,
  ) {}

  search(start: bigint, end: bigint): SearchResult {
    return this.engine.search(this, start, end);
  }
}

/**
 * A fresh instance of `flavor`. A worker thread passes the module it received by
 * postMessage, so that each build is compiled once per process.
 */
export function createWasmEngine(flavor: WasmFlavor, module?: WebAssembly.Module): Engine {
  if (flavor === 'simd' && !simdSupported()) throw new Error('this runtime does not support WebAssembly SIMD');
  return new WasmEngine(flavor, module ?? wasmModule(flavor));
}
