/**
 * What a flood of valid side blocks costs a node (docs/reliability.md): a real `powchain mine
 * --no-mine` process is given a main chain, then `count` side blocks with valid work forking
 * off main-chain blocks at random depths (many deeper than the fork limit), paced over
 * several source ports. Prints the node's RSS before and after, and what it refused and
 * dropped.
 *
 *   npx tsx bench/side-flood.ts [seed|powchain] [count] [data bytes (seed)] [--data-dir]
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Block } from '../src/primitives/block.js';
import { DEFAULT_PARAMS, encodeParams } from '../src/primitives/params.js';
import { encodePayload } from '../src/primitives/payload.js';
import { encodeBlock } from '../src/primitives/wire.js';
import { asertTarget, powchainSchedule } from '../src/consensus/asert.js';
import { freeNodePorts } from '../src/net/ports.js';
import { spawnNode } from '../src/cli/node-process.js';

const network = (process.argv[2] ?? 'seed') as 'seed' | 'powchain';
const count = Number(process.argv[3] ?? 2_500);
const dataBytes = Number(process.argv[4] ?? 45_000);
const withDataDir = process.argv.includes('--data-dir');
const MAIN_LENGTH = 400;
const SENDERS = 8;

function mine(template: Block, target: bigint): Block {
  for (let nonce = 0n; ; nonce++) {
    const block = template.withNonce(nonce);
    if (block.verifyProofOfWork(target)) return block;
  }
}

interface Link {
  block: Block;
  height: number;
  time: number;
}

const rssKiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const seedTarget = 1n << 252n;
  const start = Date.now() - 3_600_000;
  const params = { ...DEFAULT_PARAMS, initialTarget: 1n << 248n, genesisTimeMs: start, blockIntervalMs: 1_000 };
  const schedule = powchainSchedule(params);
  const genesis =
    network === 'seed'
      ? mine(new Block('Genesis'), seedTarget)
      : mine(new Block(encodeParams(params)), params.initialTarget);
  // Blocks for `parent`: the tutorial's data (`size` bytes), or a powchain payload at the ASERT target.
  const child = (parent: Link, tag: string, timeStep: number, size: number): Link => {
    if (network === 'seed') {
      const data = new Uint8Array(size);
      data.set(new TextEncoder().encode(tag));
      return { block: mine(new Block(data, parent.block), seedTarget), height: parent.height + 1, time: 0 };
    }
    const height = parent.height + 1;
    const time = parent.time + timeStep;
    const target = asertTarget(schedule, parent.height, parent.time);
    const payload = encodePayload({
      version: 1,
      height,
      time,
      target,
      transactions: [{ kind: 'coinbase', height, tag: new TextEncoder().encode(tag), outputs: [] }],
    });
    return { block: mine(new Block(payload, parent.block), target), height, time };
  };
  const main: Link[] = [{ block: genesis, height: 0, time: start }];
  for (let i = 1; i < MAIN_LENGTH; i++) main.push(child(main[i - 1]!, `main ${i}`, 1_000, 100));

  const [port] = await freeNodePorts(1);
  const address = `127.0.0.1:${port}`;
  const dataDir = withDataDir ? mkdtempSync(join(tmpdir(), 'powchain-flood-')) : undefined;
  const node = spawnNode([
    address,
    '',
    '--no-mine',
    ...(network === 'seed' ? ['--target', '0x' + seedTarget.toString(16)] : []),
    ...(dataDir ? ['--data-dir', dataDir] : []),
  ]);
  await node.waitFor((event) => event.event === 'listening', 30_000);
  const sockets: Socket[] = await Promise.all(
    Array.from(
      { length: SENDERS },
      () =>
        new Promise<Socket>((resolve) => {
          const socket = createSocket('udp4');
          socket.bind(0, '127.0.0.1', () => resolve(socket));
        }),
    ),
  );
  const send = (i: number, block: Block): Promise<void> =>
    new Promise((resolve) => sockets[i % SENDERS]!.send(encodeBlock(block), port!, '127.0.0.1', () => resolve()));
  for (let i = 0; i < main.length; i++) {
    await send(0, main[i]!.block);
    if (i % 50 === 0) await sleep(60);
  }
  await node.waitFor((event) => event.event === 'head' && event.height === MAIN_LENGTH - 1, 60_000);
  await sleep(500);
  const before = rssKiB(node.pid);
  const logBytes = (): number =>
    dataDir ? readdirSync(dataDir).reduce((sum, f) => sum + statSync(join(dataDir, f)).size, 0) : 0;
  const logBefore = logBytes();
  const began = performance.now();
  let seed = 12345;
  const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32;
  for (let i = 0; i < count; i++) {
    // Half from deep below the head (beyond the fork limit of 100), half from near it.
    const depth = random() < 0.5 ? 101 + Math.floor(random() * 250) : 1 + Math.floor(random() * 99);
    const parent = main[MAIN_LENGTH - 1 - depth]!;
    const side = child(parent, `side ${i}`, 1_000 + 1 + (i % 500), dataBytes);
    await send(i, side.block);
    // About 1,000 datagrams a second over eight ports: within the per-port and per-host budgets.
    if (i % 20 === 19) await sleep(20);
  }
  await sleep(1_500);
  const after = rssKiB(node.pid);
  const seconds = (performance.now() - began) / 1000;
  const reasons = new Map<string, number>();
  let accepted = 0;
  for (const event of node.events) {
    if (event.event === 'block' && event.status === 'accepted') accepted++;
    if (event.event === 'block' && event.status === 'rejected')
      reasons.set(event.reason!, (reasons.get(event.reason!) ?? 0) + 1);
  }
  const dropped = node.events
    .filter((event) => event.event === 'dropped')
    .reduce((sum, e) => sum + (e.event === 'dropped' ? e.blocks : 0), 0);
  console.log(
    JSON.stringify({
      network,
      side_blocks_sent: count,
      data_bytes: network === 'seed' ? dataBytes : 'payload',
      seconds: Math.round(seconds),
      rss_before_mib: +(before / 1024).toFixed(1),
      rss_after_mib: +(after / 1024).toFixed(1),
      accepted_side_blocks: accepted - MAIN_LENGTH,
      refused: Object.fromEntries(reasons),
      dropped_from_side_budget: dropped,
      ...(dataDir ? { log_bytes_before: logBefore, log_bytes_after: logBytes() } : {}),
    }),
  );
  await node.stop();
  for (const socket of sockets) socket.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

await main();
