/**
 * How fast a late joiner learns a long chain over loopback (docs/protocol.md "Sync"): a
 * `--no-mine` server restored from a data directory of `count` blocks, and a `--no-mine`
 * joiner that starts empty. Nobody mines, so only the sync moves blocks. Prints the joiner's
 * blocks per second (from the first block of its first batch to the server's head) and the CPU time the server spent
 * answering (from /proc), to compare sizes: serving a sync should cost linear time.
 *
 *   npx tsx bench/sync.ts [count=50000] [--joiner-data-dir]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Block } from '../src/primitives/block.js';
import { BlockLog } from '../src/store/block-log.js';
import { freeNodePorts } from '../src/net/ports.js';
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { POWCHAIN_BIN, spawnNode } from '../src/cli/node-process.js';

const count = Number(process.argv[2] ?? 50_000);
const joinerDataDir = process.argv.includes('--joiner-data-dir');
// Half of all hashes meet it: the chain is quick to make, and every block is checked all the same.
const TARGET = 1n << 255n;

function chain(length: number): Block[] {
  const blocks: Block[] = [];
  let parent: Block | undefined;
  for (let i = 0; i < length; i++) {
    const template = new Block(`127.0.0.1:5000:${i}`, parent);
    let block = template;
    for (let nonce = 0n; !block.verifyProofOfWork(TARGET); nonce++) block = template.withNonce(nonce);
    blocks.push(block);
    parent = block;
  }
  return blocks;
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function main(): Promise<void> {
  const dirs: string[] = [];
  const serverDir = mkdtempSync(join(tmpdir(), 'powchain-sync-server-'));
  dirs.push(serverDir);
  const blocks = chain(count);
  const { log } = BlockLog.open(serverDir);
  log.start({ network: 'seed', target: TARGET });
  log.appendBatch(blocks);
  log.close();
  const [serverPort, joinerPort] = (await freeNodePorts(2)) as [number, number];
  const server = `127.0.0.1:${serverPort}`;
  const joinerAddress = `127.0.0.1:${joinerPort}`;
  const target = ['--target', '0x' + TARGET.toString(16), '--api', 'off', '--no-mine'];
  const serving = spawnNode([server, joinerAddress, '--data-dir', serverDir, ...target], 'server');
  await serving.waitFor((event) => event.event === 'listening', 120_000);
  const cpuBefore = cpuSeconds(serving.pid);
  const joinerDir = joinerDataDir ? mkdtempSync(join(tmpdir(), 'powchain-sync-joiner-')) : undefined;
  if (joinerDir) dirs.push(joinerDir);
  // The joiner's events go to /dev/null, not to a pipe: stdout to a pipe is synchronous, so a
  // reader that drains it late would slow the joiner down, and this measures the node, not its
  // reader. Its progress is read from its API instead.
  const joinerArgs = [joinerAddress, server, '--target', '0x' + TARGET.toString(16), '--no-mine'];
  const joiner = spawn(
    process.execPath,
    [POWCHAIN_BIN, 'mine', ...joinerArgs, '--log', 'json', ...(joinerDir ? ['--data-dir', joinerDir] : [])],
    { stdio: ['ignore', openSync('/dev/null', 'w'), 'inherit'] },
  );
  const height = async (): Promise<number> => {
    try {
      const response = await fetch(`http://127.0.0.1:${joinerPort}/api/status`);
      return response.ok ? ((await response.json()) as { height: number }).height : -1;
    } catch {
      return -1;
    }
  };
  const poll = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));
  // From the first block of the first batch: finding the peer (its genesis offer, its first
  // hello) is a fixed few seconds, not the sync's speed.
  let first: number;
  while ((first = await height()) < 1) await poll();
  const started = performance.now();
  while ((await height()) < count - 1) await poll();
  // A short chain can be whole before the joiner's API first answers: then there is no rate to tell.
  const seconds = first >= count - 1 ? undefined : (performance.now() - started) / 1000;
  if (process.env.SYNC_DEBUG) console.error(`joiner cpu ${cpuSeconds(joiner.pid!)} s`);
  const serverCpu = cpuSeconds(serving.pid) - cpuBefore;
  console.log(
    JSON.stringify({
      blocks: count,
      joiner_data_dir: joinerDataDir,
      seconds: seconds === undefined ? null : +seconds.toFixed(2),
      blocks_per_second: seconds === undefined ? null : Math.round((count - 2) / seconds),
      server_cpu_seconds: +serverCpu.toFixed(2),
      server_cpu_us_per_block: Math.round((serverCpu / count) * 1e6),
    }),
  );
  joiner.kill('SIGTERM');
  await Promise.all([new Promise((resolve) => joiner.once('close', resolve)), serving.stop()]);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

await main();
