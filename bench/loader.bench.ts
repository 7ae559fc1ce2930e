/**
 * What loading the WebAssembly through @assemblyscript/loader costs the hot call: a search of
 * a small batch (64 nonces, so the call itself weighs) through a plain WebAssembly.Instance,
 * through the instance the loader made (what src/hashing/wasm.ts calls), and through the
 * loader's demangled wrapper (which wasm.ts does not use). Run with
 * `npx tsx bench/loader.bench.ts` after `npm run build:wasm`.
 */
import { instantiateSync } from '@assemblyscript/loader';
import { Bench } from 'tinybench';
import { type NonceSearchExports, wasmModule } from '../src/hashing/wasm.js';

const BATCH = 64;
const PREFIX = new Uint8Array(48).fill(0x61);

function ready(exports: NonceSearchExports): NonceSearchExports {
  new Uint8Array(exports.memory.buffer).set(PREFIX, exports.INPUT.value as number);
  exports.begin();
  exports.absorb(PREFIX.length);
  new Uint32Array(exports.memory.buffer, exports.TARGET.value as number, 8).fill(0);
  exports.prepare();
  return exports;
}

const module = wasmModule('simd');
const plain = ready(new WebAssembly.Instance(module, {}).exports as unknown as NonceSearchExports);
const loaded = instantiateSync<Record<string, unknown>>(module);
const viaLoader = ready(loaded.instance.exports as unknown as NonceSearchExports);
const demangled = loaded.exports as unknown as NonceSearchExports;

const bench = new Bench({ name: `search of ${BATCH} nonces per call`, time: 1_000, warmupTime: 300 });
let lo = 1;
const searchWith = (exports: NonceSearchExports) => () => {
  exports.search(0, lo, BATCH);
  lo = (lo + BATCH) >>> 0;
};
// Interleaved twice, so that a drift of the machine's load shows up as a disagreement.
for (const round of [1, 2]) {
  bench.add(`plain WebAssembly.Instance (${round})`, searchWith(plain));
  bench.add(`loader, instance.exports (${round})`, searchWith(viaLoader));
  bench.add(`loader, demangled exports (${round})`, searchWith(demangled));
}
await bench.run();
console.log(bench.name);
console.table(
  bench.tasks.map((task) => {
    const result = task.result;
    if (result.state !== 'completed') return { call: task.name, state: result.state };
    return {
      call: task.name,
      'median ns/call': Math.round(result.latency.p50 * 1e6),
      'MH/s (median)': Number((BATCH / result.latency.p50 / 1_000).toFixed(3)),
      samples: result.latency.samplesCount,
    };
  }),
);
