/**
 * Micro-benchmark of each engine's raw nonce loop on one thread, without the worker pool:
 * one task = one search of a fixed batch of nonces over the tutorial's 56-byte message
 * (16-byte payload, 32-byte parent, 8-byte nonce) with an unreachable target, so every
 * nonce is hashed. Run with `npx tsx bench/engines.bench.ts` (the WASM engines need
 * `npm run build:wasm` first; missing ones are skipped). `powchain bench` measures the
 * engines through the pool instead, with threads.
 */
import { Bench } from 'tinybench';
import { availableEngines, createUnverifiedEngine } from '../src/hashing/registry.js';

const PAYLOAD = new TextEncoder().encode('127.0.0.1:5000:0');
const PREFIX = new Uint8Array([...PAYLOAD, ...new Uint8Array(32).fill(0xab)]);
const BATCH = 20_000;
const UNREACHABLE = 0n;

const bench = new Bench({ name: `search of ${BATCH} nonces, 56-byte message`, time: 1_500, warmupTime: 300 });
for (const name of availableEngines()) {
  const searcher = createUnverifiedEngine(name).prepare(PREFIX, UNREACHABLE);
  let start = 1n;
  bench.add(name, () => {
    searcher.search(start, start + BigInt(BATCH));
    start += BigInt(BATCH);
  });
}

await bench.run();
console.log(bench.name);
console.table(
  bench.tasks.map((task) => {
    const result = task.result;
    if (result.state !== 'completed') return { engine: task.name, state: result.state };
    const medianMs = result.latency.p50;
    return {
      engine: task.name,
      'median ms/batch': Number(medianMs.toFixed(2)),
      'MH/s (median)': Number((BATCH / medianMs / 1_000).toFixed(3)),
      'rme %': Number(result.latency.rme.toFixed(1)),
      samples: result.latency.samplesCount,
    };
  }),
);
