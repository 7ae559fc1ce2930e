import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBlock } from '../src/primitives/wire.js';
import { BlockLog } from '../src/store/block-log.js';
import { freeUdpPorts } from './helpers/ports.js';
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
    const [portA, portB] = await freeUdpPorts(2);
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

    const { log, blocks } = BlockLog.open(dataDir, target);
    log.close();
    const stored = new Set(blocks.map((block) => block.hashHex()));
    for (const hash of announcedBeforeKill) expect(stored.has(hash), `announced block ${hash} is on disk`).toBe(true);
  }, 180_000);
});
