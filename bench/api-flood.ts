/**
 * What a flood of HTTP API requests costs a miner (docs/api.md, "Limits"): reads the node's
 * hashrate from its own event stream (`/api/events`, hashrate events) while idle and while
 * many keep-alive connections on 127.0.0.1 ask the API as fast as it answers, alternating
 * the two phases, and prints the medians, their ratio and what the flood was answered
 * (mostly 429 once the per-client limit is reached). The flood runs in a worker thread on
 * this machine, so on 2 cores its own CPU use shows in the result too.
 *
 *   npx tsx bench/api-flood.ts http://127.0.0.1:5000      a running node's API (powchain mine --api)
 *   npx tsx bench/api-flood.ts --self [--threads 2]       an in-process stand-in: a real worker
 *                                                          pool hashing, and the API server on a
 *                                                          fake chain reporting the pool's hashrate
 * Options: --seconds <per phase, default 8> --rounds <idle+flood pairs, default 3>
 *          --connections <default 32> --new-connections (one connection per request)
 *          --unlimited (with --self: no per-client limit, for comparison)
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { FakeSource } from '../src/api/fake-source.js';
import { startApiServer } from '../src/api/server.js';
import { readSse } from '../src/api/sse-reader.js';
import { MinerPool } from '../src/hashing/pool.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    self: { type: 'boolean', default: false },
    threads: { type: 'string', default: String(availableParallelism()) },
    seconds: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    // A new connection for every request: what a client that is tarpitted on one connection may try next.
    'new-connections': { type: 'boolean', default: false },
    // --self only: no per-client limit, to see what the limit saves.
    unlimited: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const connections = Number(values.connections);

/** A mix of what clients ask: cheap and expensive answers, cached and refused ones. */
const PATHS = [
  '/api/status',
  '/api/blocks?limit=100',
  '/api/tree',
  `/api/blocks/${'00'.repeat(32)}`,
  '/api/blocks?limit=abc',
  '/api/peers',
  '/nothing',
];

// Plain JavaScript, run with eval in a worker thread: each connection asks again as soon as it is answered.
const FLOOD = `
const { workerData, parentPort } = require('node:worker_threads');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: !workerData.newConnections, maxSockets: workerData.connections });
const counts = {};
let stopping = false;
let running = workerData.connections;
let requests = 0;
const count = (key) => { counts[key] = (counts[key] || 0) + 1; };
const finish = () => { if (--running === 0) { agent.destroy(); parentPort.postMessage({ counts, requests }); } };
function ask(i) {
  if (stopping) return finish();
  requests++;
  const headers = workerData.newConnections ? { connection: 'close' } : {};
  const request = http.get(workerData.url + workerData.paths[i % workerData.paths.length], { agent, headers }, (response) => {
    count(response.statusCode);
    response.resume();
    response.on('end', () => ask(i + 1));
  });
  request.on('error', () => { count('error'); setTimeout(() => ask(i + 1), 5); });
}
parentPort.on('message', () => { stopping = true; });
for (let c = 0; c < workerData.connections; c++) ask(c);
`;

interface FloodResult {
  counts: Record<string, number>;
  requests: number;
}

async function flood(url: string, ms: number): Promise<FloodResult> {
  const worker = new Worker(FLOOD, {
    eval: true,
    workerData: { url, paths: PATHS, connections, newConnections: values['new-connections'] },
  });
  const result = new Promise<FloodResult>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await sleep(ms);
  worker.postMessage('stop');
  const outcome = await result;
  await worker.terminate();
  return outcome;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function median(list: number[]): number {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** The in-process stand-in for a node: a worker pool hashing a job it never finishes, behind the API. */
async function startSelf(threads: number): Promise<{ url: string; stop: () => Promise<void> }> {
  const pool = await MinerPool.create({ threads });
  void pool.mine({ prefix: new Uint8Array(48).fill(0x61), target: 1n }).catch(() => undefined);
  const source = new FakeSource();
  source.extend(2_000);
  const timer = setInterval(() => {
    const { hashesPerSecond, perWorker } = pool.hashrate();
    source.setHashrate(Math.round(hashesPerSecond), perWorker.map(Math.round));
  }, 2_000);
  const server = await startApiServer({ source, ...(values.unlimited ? { rateLimit: false as const } : {}) });
  return {
    url: server.url,
    stop: async () => {
      clearInterval(timer);
      await server.close();
      await pool.close();
    },
  };
}

const self = values.self ? await startSelf(Number(values.threads)) : undefined;
const url = (self?.url ?? positionals[0] ?? '').replace(/\/+$/, '');
if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+$/.test(url)) {
  console.error('usage: npx tsx bench/api-flood.ts <http://127.0.0.1:PORT> | --self (loopback only)');
  process.exit(2);
}

// Hashrate events, with the time each arrived.
const samples: Array<{ time: number; rate: number }> = [];
const events = new AbortController();
const stream = await fetch(`${url}/api/events`, { signal: events.signal });
if (stream.status !== 200 || !stream.body) throw new Error(`${url}/api/events answered ${stream.status}`);
void readSse(stream.body as unknown as AsyncIterable<Uint8Array>, ({ type, data }) => {
  if (type === 'hashrate') samples.push({ time: Date.now(), rate: (data as { total: number }).total });
}).catch(() => undefined);

const between = (from: number, to: number): number[] =>
  samples.filter((sample) => sample.time > from && sample.time <= to).map((sample) => sample.rate);
// The node's hashrate looks back ~2 s: samples in the first 2.5 s of a phase still see the one before.
const SETTLE_MS = 2_500;

console.log(
  `api flood: ${url}, ${rounds} rounds of ${seconds} s idle + ${seconds} s flood, ${connections} ` +
    `${values['new-connections'] ? 'new connections per request' : 'keep-alive connections'}`,
);
await sleep(4_000); // workers started, WASM tiered up
const idle: number[] = [];
const flooded: number[] = [];
const answered: Record<string, number> = {};
let requests = 0;
for (let round = 0; round < rounds; round++) {
  const idleStart = Date.now();
  await sleep(seconds * 1000);
  idle.push(...between(idleStart + SETTLE_MS, Date.now()));
  const floodStart = Date.now();
  const result = await flood(url, seconds * 1000);
  flooded.push(...between(floodStart + SETTLE_MS, Date.now()));
  requests += result.requests;
  for (const [status, n] of Object.entries(result.counts)) answered[status] = (answered[status] ?? 0) + n;
  console.log(
    `round ${round + 1}: idle ${(median(idle) / 1e6).toFixed(2)} MH/s, flood ${(median(flooded) / 1e6).toFixed(2)} MH/s, ` +
      `${Math.round(result.requests / seconds)} requests/s`,
  );
}
events.abort();
const ratio = median(flooded) / median(idle);
console.log(
  JSON.stringify(
    {
      idleHashesPerSecond: Math.round(median(idle)),
      floodHashesPerSecond: Math.round(median(flooded)),
      kept: Number(ratio.toFixed(3)),
      samples: { idle: idle.length, flood: flooded.length },
      requestsPerSecond: Math.round(requests / (rounds * seconds)),
      answered,
    },
    null,
    2,
  ),
);
await self?.stop();
