import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { MAX_TARGET } from '../src/primitives/limits.js';
import { decodeBlock } from '../src/primitives/wire.js';
import { BlockLog } from '../src/store/block-log.js';
import { runCli } from './helpers/cli.js';
import { freeNodePorts } from './helpers/ports.js';
import { type PowchainNode, isHead, startPowchainNode } from './helpers/powchain-node.js';

const running: PowchainNode[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((node) => node.stop()));
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('a node with --data-dir', () => {
  it("killed with SIGKILL and restarted, has every block it had announced and rejoins the network's head", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'powchain-kill-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    // A listening peer records what node A announces.
    const listener: Socket = createSocket('udp4');
    cleanups.push(() => listener.close());
    await new Promise<void>((resolve) => listener.bind(0, '127.0.0.1', resolve));
    const announced = new Set<string>();
    const [portA, portB] = await freeNodePorts(2);
    listener.on('message', (message, remote) => {
      const decoded = decodeBlock(message);
      if (decoded.ok && remote.port === portA) announced.add(decoded.value.hashHex());
    });
    const a = `127.0.0.1:${portA}`;
    const b = `127.0.0.1:${portB}`;
    const peers = [a, b, `127.0.0.1:${listener.address().port}`];
    const target = 1n << 235n;
    const nodeB = startPowchainNode({ address: b, others: peers, target });
    running.push(nodeB);
    await nodeB.waitFor((event) => event.event === 'listening', 15_000);
    const first = startPowchainNode({
      address: a,
      others: peers,
      genesis: true,
      target,
      extraArgs: ['--data-dir', dataDir],
    });
    await expect.poll(() => announced.size, { timeout: 60_000, interval: 50 }).toBeGreaterThanOrEqual(4);
    process.kill(first.pid, 'SIGKILL');
    await first.exited;
    const announcedBeforeKill = [...announced];
    const killedAt = Math.max(...first.events.filter(isHead).map((event) => event.height));
    // The network goes on without A.
    await nodeB.waitFor((event) => isHead(event) && event.height >= killedAt + 3, 60_000);

    const second = startPowchainNode({ address: a, others: peers, target, extraArgs: ['--data-dir', dataDir] });
    running.push(second);
    const restored = await second.waitFor((event) => event.event === 'restored', 15_000);
    expect(restored).toMatchObject({ event: 'restored' });
    // It catches up with B (B's hello or next block tells it how far behind it is) ...
    const headOfB = (): number => Math.max(...nodeB.events.filter(isHead).map((event) => event.height));
    const heightToReach = headOfB();
    await second.waitFor((event) => isHead(event) && event.height >= heightToReach, 60_000);
    // ... and mines on that head: its next block is accepted by B.
    const minedAfterRestart = await second.waitFor((event) => event.event === 'block' && event.from === 'self', 60_000);
    await nodeB.waitFor(
      (event) => event.event === 'block' && event.hash === (minedAfterRestart as { hash: string }).hash,
      15_000,
    );
    expect(await second.stop()).toBe(0);
    running.splice(running.indexOf(second), 1);

    const { log, blocks, network } = BlockLog.open(dataDir);
    log.close();
    expect(network).toEqual({ network: 'seed', target });
    const stored = new Set(blocks.map((block) => block.hashHex()));
    for (const hash of announcedBeforeKill) expect(stored.has(hash), `announced block ${hash} is on disk`).toBe(true);
  }, 180_000);
});

describe('a node whose --data-dir cannot be used', () => {
  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'powchain-bad-dir-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  /** `powchain mine` on a free loopback port, with `--data-dir dir`: exits before it sends anything. */
  const mineWith = (dir: string) =>
    runCli([
      'mine',
      '127.0.0.1:0',
      '127.0.0.1:9',
      '--target',
      '0x' + MAX_TARGET.toString(16),
      '--log',
      'json',
      '--data-dir',
      dir,
    ]);

  it('stops with one powchain: line for a data dir that is a file, under a file, empty, or not creatable', async () => {
    const root = tempDir();
    const file = join(root, 'file');
    writeFileSync(file, '');
    const cases: Array<[string, string]> = [
      [file, `cannot use ${file} as the data directory: it is a file, not a folder`],
      [join(file, 'data'), `cannot use ${join(file, 'data')} as the data directory: ${file} is a file, not a folder`],
      ['', 'the data directory is an empty string: give the path of a folder'],
      [
        '/proc/powchain-test',
        'cannot create the data directory /proc/powchain-test: no such file or directory (ENOENT)',
      ],
    ];
    for (const [dir, message] of cases) {
      const result = await mineWith(dir);
      expect(result.stderr).toBe(`powchain: ${message}\n`);
      expect(result.code).toBe(2);
    }
  });

  it('refuses to start on a damaged log, says where, and deletes no block', async () => {
    const dir = tempDir();
    const blocks = [new Block('genesis')];
    for (let i = 1; i < 5; i++) blocks.push(new Block(`block ${i}`, blocks[i - 1], BigInt(i)));
    const { log } = BlockLog.open(dir);
    log.start({ network: 'seed', target: MAX_TARGET });
    log.appendBatch(blocks);
    log.close();
    const path = join(dir, 'blocks.log');
    const bytes = readFileSync(path);
    const firstRecord = bytes.indexOf(0x0a) + 1;
    bytes[firstRecord + 20]! ^= 0xff;
    writeFileSync(path, bytes);
    const result = await mineWith(dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(
        `^powchain: ${path} is damaged at byte ${firstRecord} \\(record 1: the CRC-32 .*; nothing was removed: .*\\n$`,
      ),
    );
    expect(readFileSync(path)).toEqual(bytes);
  });
});
