/**
 * What a flood costs a miner: runs `powchain mine` alone (a target it never meets, so it
 * only hashes), reads its hashrate while idle, then while 64 sockets on 127.0.0.1 send it
 * malformed datagrams and blocks with invalid proof of work at a given rate (or as fast as
 * they can), and prints the two medians and their ratio. The flood is made on this same
 * machine, so on 2 cores its own CPU use shows up in the result too.
 *
 *   npx tsx bench/flood.ts [seconds per phase=8] [threads=all cores] [datagrams/s=0: as fast as possible]
 */
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Block } from '../src/primitives/block.js';
import { encodeBlock } from '../src/primitives/wire.js';
import { freeNodePorts } from '../src/net/ports.js';

const seconds = Number(process.argv[2] ?? 8);
const threads = Number(process.argv[3] ?? availableParallelism());
const rate = Number(process.argv[4] ?? 0);
const bin = fileURLToPath(new URL('../bin/powchain.js', import.meta.url));
const [port] = await freeNodePorts(1);
const node = spawn(
  process.execPath,
  [
    bin,
    'mine',
    `127.0.0.1:${port}`,
    '127.0.0.1:9',
    'genesis',
    '--log',
    'json',
    '--target',
    '1',
    '--threads',
    String(threads),
  ],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const rates: Array<{ time: number; rate: number }> = [];
let junkSeen = 0;
createInterface({ input: node.stdout! }).on('line', (line) => {
  const event = JSON.parse(line) as { event: string; hashes_per_second?: number; count?: number };
  if (event.event === 'hashrate') rates.push({ time: Date.now(), rate: event.hashes_per_second! });
  if (event.event === 'junk') junkSeen = event.count!;
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};
const window = (from: number, to: number): number[] =>
  rates.filter((r) => r.time > from && r.time <= to).map((r) => r.rate);

await sleep(3_000); // workers up, WASM tiered up
const idleStart = Date.now();
await sleep(seconds * 1000);
const idleEnd = Date.now();

const sockets: Socket[] = await Promise.all(
  Array.from(
    { length: 64 },
    () =>
      new Promise<Socket>((resolve) => {
        const socket = createSocket('udp4');
        socket.bind(0, '127.0.0.1', () => resolve(socket));
      }),
  ),
);
const junk = ['', 'not json', '{"data": 5}', '{'.repeat(5_000), JSON.stringify({ data: 'eA==', previous_hash: 'zz' })];
const invalid = Array.from({ length: 64 }, (_, i) =>
  encodeBlock(new Block(`flood ${i}`, new Uint8Array(32).fill(i), BigInt(i))),
);
let sent = 0;
let flooding = true;
const floods = sockets.map(async (socket, s) => {
  const perSocketPer10Ms = rate / 64 / 100;
  let credit = 0;
  for (let i = 0; flooding; i++) {
    if (rate > 0) {
      // Paced: send in 10 ms steps, carrying fractions over.
      while (credit < 1 && flooding) {
        await sleep(10);
        credit += perSocketPer10Ms;
      }
      credit -= 1;
    }
    const payload = i % 2 === 0 ? junk[i % junk.length]! : invalid[(i + s) % invalid.length]!;
    await new Promise<void>((resolve) => socket.send(payload, port, '127.0.0.1', () => resolve()));
    sent++;
    // dgram calls back on the next tick: without a pause now and then, timers would starve.
    if (i % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
  }
});
const floodStart = Date.now();
await sleep(seconds * 1000);
const floodEnd = Date.now();
flooding = false;
await Promise.all(floods);
for (const socket of sockets) socket.close();
node.kill('SIGTERM');
await new Promise((resolve) => node.on('close', resolve));

const idle = median(window(idleStart, idleEnd));
const flooded = median(window(floodStart + 2_000, floodEnd));
console.log(`threads ${threads}, ${seconds} s a phase`);
console.log(`idle:    ${(idle / 1e6).toFixed(2)} MH/s (median of hashrate reports)`);
console.log(
  `flooded: ${(flooded / 1e6).toFixed(2)} MH/s while receiving ${Math.round(sent / seconds)} datagrams/s from 64 sockets (${junkSeen} reported as junk)`,
);
console.log(`share of hashrate kept under the flood: ${((flooded / idle) * 100).toFixed(1)}%`);
