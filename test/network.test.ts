import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { decodeBlock, encodeBlock } from '../src/primitives/wire.js';
import { freeNodePorts } from './helpers/ports.js';
import { type PowchainNode, isExit, isHead, startPowchainNode } from './helpers/powchain-node.js';
import { mineBlock } from './helpers/mine.js';
import { malformedVectors } from './helpers/vectors.js';
import { runCli } from './helpers/cli.js';

const started: PowchainNode[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((node) => node.stop()));
  for (const socket of sockets.splice(0)) socket.close();
});

function start(options: Parameters<typeof startPowchainNode>[0]): PowchainNode {
  const node = startPowchainNode(options);
  started.push(node);
  return node;
}

async function testSocket(): Promise<{ socket: Socket; address: string; received: Block[] }> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  const received: Block[] = [];
  socket.on('message', (message) => {
    const decoded = decodeBlock(message);
    if (decoded.ok) received.push(decoded.value);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, address: `127.0.0.1:${socket.address().port}`, received };
}

const send = (socket: Socket, to: string, payload: string | Uint8Array): Promise<void> =>
  new Promise((resolve) => socket.send(payload, Number(to.split(':')[1]), '127.0.0.1', () => resolve()));

const listening = (node: PowchainNode): Promise<unknown> =>
  node.waitFor((event) => event.event === 'listening', 15_000);

describe('a network of powchain processes on 127.0.0.1', () => {
  it('three nodes reach a height and agree on the main chain', async () => {
    const ports = await freeNodePorts(3);
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    const target = 1n << 238n;
    // The waiting nodes first: the seed's genesis flow has no retransmission.
    const [b, c] = addresses
      .slice(1)
      .map((address) => start({ address, others: addresses, target, stopAtHeight: 8 })) as [PowchainNode, PowchainNode];
    await Promise.all([b, c].map(listening));
    const a = start({ address: addresses[0]!, others: addresses, genesis: true, target, stopAtHeight: 8 });
    const exits = await Promise.all([a, b, c].map((node) => node.waitFor(isExit, 60_000)));
    expect(await Promise.all([a, b, c].map((node) => node.exited))).toEqual([0, 0, 0]);
    for (const exit of exits) expect(exit.height).toBeGreaterThanOrEqual(8);
    // A race at the very tip aside, every node has the same chain.
    for (const exit of exits) expect(exit.chain.slice(0, 8)).toEqual(exits[0]!.chain.slice(0, 8));
  }, 90_000);

  it('sends each block once to a peer listed twice, and never to itself however it is spelled', async () => {
    const peer = await testSocket();
    const [port] = await freeNodePorts(1);
    const self = `127.0.0.1:${port}`;
    const others = [
      `localhost:${port}`,
      self,
      `0.0.0.0:${port}`,
      peer.address,
      peer.address.replace('127.0.0.1', 'localhost'),
    ];
    const node = start({ address: self, others, genesis: true, target: 1n << 245n, stopAtHeight: 3 });
    const exit = await node.waitFor(isExit, 60_000);
    expect(await node.exited).toBe(0);
    // The genesis and three blocks, each exactly once.
    await expect.poll(() => peer.received.length, { timeout: 5_000 }).toBe(4);
    expect(peer.received.map((block) => block.hashHex())).toEqual(exit.chain.slice(0, 4));
    expect(node.events.filter((event) => event.event === 'block' && event.status === 'rejected')).toEqual([]);
  }, 90_000);

  it('follows a miner with --no-mine: the same chain, nothing mined', async () => {
    const ports = await freeNodePorts(2);
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    const target = 1n << 242n;
    const follower = start({ address: addresses[1]!, others: addresses, target, extraArgs: ['--no-mine'] });
    await listening(follower);
    expect(follower.events.find((event) => event.event === 'listening')).toMatchObject({ mining: false, engine: null });
    const miner = start({ address: addresses[0]!, others: addresses, genesis: true, target, stopAtHeight: 6 });
    const exit = await miner.waitFor(isExit, 60_000);
    await follower.waitFor((event) => isHead(event) && event.hash === exit.hash, 20_000);
    expect(follower.events.some((event) => event.event === 'block' && event.from === 'self')).toBe(false);
    expect(follower.events.some((event) => event.event === 'hashrate')).toBe(false);
  }, 90_000);

  it('stops its search when a rival block wins, and builds its next block on it', async () => {
    const peer = await testSocket();
    const [port] = await freeNodePorts(1);
    const address = `127.0.0.1:${port}`;
    const target = 1n << 233n;
    // The rival's blocks are mined before the node sees anything, so they arrive back to back.
    const genesis = mineBlock('Genesis', undefined, target);
    const rival = mineBlock('rival:0', genesis, target);
    const node = start({ address, others: [peer.address], target });
    await listening(node);
    await send(peer.socket, address, encodeBlock(genesis));
    await node.waitFor((event) => isHead(event) && event.height === 0, 10_000);
    await send(peer.socket, address, encodeBlock(rival));
    await node.waitFor((event) => isHead(event) && event.hash === rival.hashHex(), 10_000);
    const own = await node.waitFor((event) => event.event === 'block' && event.from === 'self', 60_000);
    expect(own).toMatchObject({ height: 2, status: 'accepted' });
    await expect.poll(() => peer.received.length, { timeout: 5_000 }).toBeGreaterThan(0);
    expect(peer.received[0]!.previousHash).toEqual(rival.hash());
    expect(new TextDecoder().decode(peer.received[0]!.data)).toBe(`${address}:0`);
  }, 90_000);

  it('keeps mining and agreeing while another host floods it with malformed datagrams', async () => {
    const attacker = await testSocket();
    const ports = await freeNodePorts(2);
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    const target = 1n << 235n;
    const waiting = start({ address: addresses[1]!, others: addresses, target, stopAtHeight: 8 });
    await listening(waiting);
    const miner = start({ address: addresses[0]!, others: addresses, genesis: true, target, stopAtHeight: 8 });
    await miner.waitFor((event) => isHead(event) && event.height >= 1, 30_000);
    const junk = [...malformedVectors.map((v) => v.wire), '\u0000'.repeat(1_000), 'x'.repeat(65_000)];
    let sent = 0;
    const flood = (async () => {
      while (!miner.events.some(isExit)) {
        for (const wire of junk) await send(attacker.socket, addresses[0]!, wire);
        sent += junk.length;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    const exits = await Promise.all([miner, waiting].map((node) => node.waitFor(isExit, 60_000)));
    await flood;
    expect(await miner.exited).toBe(0);
    expect(sent).toBeGreaterThan(junk.length);
    const junkEvents = miner.events.filter((event) => event.event === 'junk');
    expect(junkEvents.length).toBeGreaterThan(0);
    expect(exits[0]!.chain.slice(0, 8)).toEqual(exits[1]!.chain.slice(0, 8));
  }, 90_000);

  it('stops cleanly on SIGTERM: workers joined, socket closed, an exit line, exit code 0', async () => {
    const [port] = await freeNodePorts(1);
    const node = start({ address: `127.0.0.1:${port}`, others: [], genesis: true, target: 1n << 200n, threads: 2 });
    await node.waitFor((event) => event.event === 'hashrate', 15_000);
    expect(await node.stop()).toBe(0);
    expect(node.events.at(-1)).toMatchObject({ event: 'exit', reason: 'SIGTERM' });
  }, 30_000);

  it('ends with a one-line error, not a stack trace, when its port is taken', async () => {
    const peer = await testSocket();
    const result = await runCli(['mine', peer.address, '127.0.0.1:9']);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim()).toBe(`powchain: cannot bind UDP ${peer.address}: the port is already in use`);
  });

  it('refuses malformed addresses before binding anything', async () => {
    const result = await runCli(['mine', '127.0.0.1:99999', '127.0.0.1:5001']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('port must be between 0 and 65535, got 99999');
  });
});

describe('powchain devnet', () => {
  it("pays coins between the nodes' wallets while it runs, and every coin adds up", async () => {
    const result = await runCli(
      ['devnet', '--height', '24', '--coinbase-maturity', '2', '--block-interval', '300'],
      '',
      150_000,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/payments: [1-9]\d* sent/);
    expect(result.stdout).toMatch(/supply check: .*: they add up/);
    const balances = [...result.stdout.matchAll(/^\d+\s+(\d+\.\d{8})\s+pow1[0-9a-z]{38}$/gm)].map((match) => match[1]);
    expect(balances).toHaveLength(3);
  }, 180_000);

  it('runs three miners to a height, reports that they agree, and leaves no process behind', async () => {
    const result = await runCli(['devnet', '--height', '5', '--target', '2^238'], '', 120_000);
    expect(result.stdout).toMatch(/devnet: all 3 nodes agree on the main chain up to height 4/);
    // On the powchain network (devnet's default) every wallet's balance adds up to the subsidies.
    expect(result.stdout).toMatch(/supply check: .*: they add up/);
    expect(result.code).toBe(0);
    const ports = [...result.stdout.matchAll(/127\.0\.0\.1:(\d+)/g)].map((match) => match[1]);
    expect(ports.length).toBeGreaterThanOrEqual(3);
    const { stdout: ps } = await runPs();
    for (const port of new Set(ports)) expect(ps).not.toContain(`127.0.0.1:${port}`);
  }, 150_000);
});

async function runPs(): Promise<{ stdout: string }> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) =>
    execFile('ps', ['-eo', 'pid,args'], (error, stdout) => (error ? reject(error) : resolve({ stdout }))),
  );
}
