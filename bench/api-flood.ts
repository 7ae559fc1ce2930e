/**
 * What a flood of HTTP API requests costs a miner (docs/api.md, "Limits"): reads the node's
 * hashrate from its own event stream (`/api/events`, hashrate events) while idle and while
 * many keep-alive connections on 127.0.0.1 ask the API as fast as it answers, alternating
 * the two phases (idle first, then flood first, and so on), and prints the medians, their
 * ratio and what the flood was answered (mostly 429 once the per-client limit is reached). The flood runs in a worker thread on
 * this machine, so on 2 cores its own CPU use shows in the result too.
 *
 *   npx tsx bench/api-flood.ts http://127.0.0.1:5000      a running node's API (powchain mine --api)
 *   npx tsx bench/api-flood.ts --spawn [--threads 2]      starts a real node for the run: `powchain mine`
 *                                                          (the built dist/), the genesis miner of a
 *                                                          powchain network, blocks every few seconds
 *   npx tsx bench/api-flood.ts --self [--threads 2]       an in-process stand-in: a real worker
 *                                                          pool hashing, and the API server on a
 *                                                          fake chain reporting the pool's hashrate
 * Options: --seconds <per phase, default 8> --rounds <idle+flood pairs, default 3>
 *          --connections <default 32> --new-connections (one connection per request)
 *          --clients <n, default 1>: the connections come from n loopback addresses
 *            (127.0.0.2, 127.0.0.3, ...), n clients to the per-client limit
 *          --pid <the node's process id> (known with --spawn): also reports the CPU time of the
 *            node's main thread (its event loop, which serves the API) and of the whole
 *            process in each phase, from /proc (Linux). On a loaded machine the hashrate
 *            swings with everything else running; the main thread's CPU in a flood over its
 *            CPU when idle is the API's own cost, which the load does not change much.
 *          --unlimited (with --self: no per-client limit, for comparison)
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { FakeSource } from '../src/api/fake-source.js';
import { startApiServer } from '../src/api/server.js';
import { readSse } from '../src/api/sse-reader.js';
import { MinerPool } from '../src/hashing/pool.js';
import { spawnNode } from '../src/cli/node-process.js';
import { freeNodePorts } from '../src/net/ports.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    self: { type: 'boolean', default: false },
    spawn: { type: 'boolean', default: false },
    // --spawn: the block interval the node's network aims for, and its initial target.
    'block-interval': { type: 'string', default: '3000' },
    target: { type: 'string', default: '2^232' },
    threads: { type: 'string', default: String(availableParallelism()) },
    seconds: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    clients: { type: 'string', default: '1' },
    pid: { type: 'string' },
    // A new connection for every request: what a client that is tarpitted on one connection may try next.
    'new-connections': { type: 'boolean', default: false },
    // --self only: no per-client limit, to see what the limit saves.
    unlimited: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const connections = Number(values.connections);
const clients = Number(values.clients);

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
// One agent per client address: connection c comes from 127.0.0.(2 + c % clients) when there are several.
const agents = Array.from({ length: workerData.clients }, () =>
  new http.Agent({ keepAlive: !workerData.newConnections, maxSockets: workerData.connections }));
const counts = {};
let stopping = false;
let running = workerData.connections;
let requests = 0;
const count = (key) => { counts[key] = (counts[key] || 0) + 1; };
const finish = () => {
  if (--running === 0) { for (const agent of agents) agent.destroy(); parentPort.postMessage({ counts, requests }); }
};
function ask(c, i) {
  if (stopping) return finish();
  requests++;
  const headers = workerData.newConnections ? { connection: 'close' } : {};
  const client = c % workerData.clients;
  const options = { agent: agents[client], headers, ...(workerData.clients > 1 ? { localAddress: '127.0.0.' + (2 + client) } : {}) };
  const request = http.get(workerData.url + workerData.paths[i % workerData.paths.length], options, (response) => {
    count(response.statusCode);
    response.resume();
    response.on('end', () => ask(c, i + 1));
  });
  request.on('error', () => { count('error'); setTimeout(() => ask(c, i + 1), 5); });
}
parentPort.on('message', () => { stopping = true; });
for (let c = 0; c < workerData.connections; c++) ask(c, c);
`;

interface FloodResult {
  counts: Record<string, number>;
  requests: number;
}

async function flood(url: string, ms: number): Promise<FloodResult> {
  const worker = new Worker(FLOOD, {
    eval: true,
    workerData: { url, paths: PATHS, connections, clients, newConnections: values['new-connections'] },
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

function round1(value: number): number {
  return Math.round(value * 10) / 10;
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

/** A real `powchain mine` process: the genesis miner of its own powchain network, its API on its UDP port number. */
async function spawnMiner(threads: number): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const [port] = await freeNodePorts(1);
  const address = `127.0.0.1:${port}`;
  const node = spawnNode(
    [
      address,
      address,
      'genesis',
      '--network',
      'powchain',
      '--threads',
      String(threads),
      '--target',
      values.target,
      '--block-interval',
      values['block-interval'],
    ],
    'miner',
  );
  const api = await node.waitFor((event) => event.event === 'api', 30_000);
  const listening = await node.waitFor((event) => event.event === 'listening', 30_000);
  if (api.event !== 'api' || listening.event !== 'listening') throw new Error('unexpected events');
  console.log(`spawned powchain mine ${address}: ${listening.engine}, ${listening.threads} threads (pid ${node.pid})`);
  return {
    url: api.url,
    pid: node.pid,
    stop: async () => {
      const blocks = node.events.filter((event) => event.event === 'head').length;
      console.log(`the node made or took ${blocks} heads during the run`);
      await node.stop();
    },
  };
}

/** What is measured when the bench starts it: its API, its process id if it is a process of its own. */
const self: { url: string; pid?: number; stop: () => Promise<void> } | undefined = values.self
  ? await startSelf(Number(values.threads))
  : values.spawn
    ? await spawnMiner(Number(values.threads))
    : undefined;
const url = (self?.url ?? positionals[0] ?? '').replace(/\/+$/, '');
const pid = self?.pid ?? (values.pid === undefined ? undefined : Number(values.pid));

/** CPU time (ms) of a process's main thread and of all its threads, from /proc; undefined off Linux. */
function cpuOf(processId: number): { main: number; total: number } | undefined {
  const ticks = (path: string): number => {
    // Fields after the command name (in parentheses, which may hold spaces): utime and stime are 14 and 15.
    const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]);
  };
  try {
    return {
      main: ticks(`/proc/${processId}/task/${processId}/stat`) * MS_PER_TICK,
      total: ticks(`/proc/${processId}/stat`) * MS_PER_TICK,
    };
  } catch {
    return undefined;
  }
}
/** Linux's USER_HZ is 100 on every common platform. */
const MS_PER_TICK = 10;
if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+$/.test(url)) {
  console.error('usage: npx tsx bench/api-flood.ts <http://127.0.0.1:PORT> | --self | --spawn (loopback only)');
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
    `${values['new-connections'] ? 'new connections per request' : 'keep-alive connections'}` +
    `${clients > 1 ? ` from ${clients} client addresses` : ''}`,
);
const loadAtStart = loadavg();
await sleep(4_000); // workers started, WASM tiered up
const idle: number[] = [];
const flooded: number[] = [];
/** Each round's flood median over its own idle median: the machine's load drifts less within a round. */
const roundRatios: number[] = [];
/** CPU ms per second of the node's main thread and whole process, by phase (with --pid or --spawn). */
const cpu = {
  idleMain: [] as number[],
  floodMain: [] as number[],
  idleTotal: [] as number[],
  floodTotal: [] as number[],
};
/** CPU ms per second of this process (the flood's worker, mostly) in the flood phases. */
const clientCpu: number[] = [];
const measure = (): { at: number; node: ReturnType<typeof cpuOf>; self: number } => ({
  at: Date.now(),
  node: pid === undefined ? undefined : cpuOf(pid),
  self: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
});
const perSecond = (from: ReturnType<typeof measure>, to: ReturnType<typeof measure>, main: boolean): number =>
  from.node && to.node
    ? ((main ? to.node.main - from.node.main : to.node.total - from.node.total) * 1000) / (to.at - from.at)
    : NaN;
const answered: Record<string, number> = {};
let requests = 0;
/** One idle phase: the hashrate samples and the CPU measured around it. */
async function idlePhase() {
  const start = Date.now();
  const from = measure();
  await sleep(seconds * 1000);
  return { from, to: measure(), samples: between(start + SETTLE_MS, Date.now()) };
}
async function floodPhase() {
  const start = Date.now();
  const from = measure();
  const result = await flood(url, seconds * 1000);
  return { from, to: measure(), samples: between(start + SETTLE_MS, Date.now()), result };
}
for (let round = 0; round < rounds; round++) {
  // Idle first in even rounds, the flood first in odd ones: a load that drifts one way over the run favours neither.
  const idleFirst = round % 2 === 0;
  const quiet = idleFirst ? await idlePhase() : undefined;
  const busy = await floodPhase();
  const { from: idleFrom, to: idleTo, samples: roundIdle } = quiet ?? (await idlePhase());
  const { from: floodFrom, to: floodTo, samples: roundFlood, result } = busy;
  cpu.idleMain.push(perSecond(idleFrom, idleTo, true));
  cpu.floodMain.push(perSecond(floodFrom, floodTo, true));
  cpu.idleTotal.push(perSecond(idleFrom, idleTo, false));
  cpu.floodTotal.push(perSecond(floodFrom, floodTo, false));
  clientCpu.push(((floodTo.self - floodFrom.self) * 1000) / (floodTo.at - floodFrom.at));
  idle.push(...roundIdle);
  flooded.push(...roundFlood);
  roundRatios.push(median(roundFlood) / median(roundIdle));
  requests += result.requests;
  for (const [status, n] of Object.entries(result.counts)) answered[status] = (answered[status] ?? 0) + n;
  console.log(
    `round ${round + 1}: idle ${(median(roundIdle) / 1e6).toFixed(2)} MH/s, flood ${(median(roundFlood) / 1e6).toFixed(2)} MH/s ` +
      `(${roundRatios.at(-1)!.toFixed(3)}), ${Math.round(result.requests / seconds)} requests/s, load ${loadavg()[0]!.toFixed(1)}` +
      (pid === undefined
        ? ''
        : `; node main thread ${cpu.idleMain.at(-1)!.toFixed(0)} -> ${cpu.floodMain.at(-1)!.toFixed(0)} CPU ms/s`),
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
      keptRoundMedian: Number(median(roundRatios).toFixed(3)),
      samples: { idle: idle.length, flood: flooded.length },
      requestsPerSecond: Math.round(requests / (rounds * seconds)),
      answered,
      ...(pid === undefined
        ? {}
        : {
            // Medians over the rounds, CPU ms per wall-clock second (1000 = one core busy).
            nodeMainThreadCpuMsPerS: { idle: round1(median(cpu.idleMain)), flood: round1(median(cpu.floodMain)) },
            nodeProcessCpuMsPerS: { idle: round1(median(cpu.idleTotal)), flood: round1(median(cpu.floodTotal)) },
          }),
      floodClientCpuMsPerS: round1(median(clientCpu)),
      loadAverage1m: { start: Number(loadAtStart[0]!.toFixed(2)), end: Number(loadavg()[0]!.toFixed(2)) },
      cores: availableParallelism(),
    },
    null,
    2,
  ),
);
await self?.stop();
