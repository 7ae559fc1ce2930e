import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { MAX_TARGET } from '../src/primitives/limits.js';
import { encodeBlock } from '../src/primitives/wire.js';
import { BlockTree } from '../src/consensus/block-tree.js';
import { seedRules } from '../src/consensus/rules/seed.js';
import { type PeerAddress, formatAddress } from '../src/net/address.js';
import { decodeMessage, encodeBlockMessage, encodeGetBlocks, encodeGetData, encodeHello } from '../src/net/messages.js';
import { MinerNode } from '../src/node/miner-node.js';
import type { NodeEvent } from '../src/node/events.js';
import { MemoryNetwork, type MemoryTransport } from './helpers/memory-network.js';
import { FakeMiner } from './helpers/fake-miner.js';

// The fuzzing suite's network half (docs/reliability.md): whatever arrives, the decoder
// answers a verdict, and a running node neither throws, nor grows past its bounds, nor
// sends an unvalidated address more than three times what it received from it.

const hex = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes).toString('hex'));
const anyJson = fc.jsonValue({ maxDepth: 3 });

/** Datagrams of every shape: bytes, JSON, and messages of the protocol with fields gone wrong. */
function datagrams(hashes: string[]): fc.Arbitrary<string | Uint8Array> {
  const known = hashes.length > 0 ? fc.constantFrom(...hashes) : hex;
  const hash = fc.oneof(known, hex, fc.string({ maxLength: 70 }));
  const field = fc.oneof(anyJson, hash, fc.integer(), fc.constant(undefined));
  return fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.string({ maxLength: 300 }),
    anyJson.map((value) => JSON.stringify(value) ?? 'null'),
    fc
      .record({
        powchain: fc.oneof(fc.constant(1), field),
        type: fc.constantFrom('hello', 'getblocks', 'getdata', 'block', 'tx', 7),
      })
      .chain((base) =>
        fc
          .record({
            height: field,
            head: hash,
            root: hash,
            work: field,
            locator: fc.array(hash, { maxLength: 70 }),
            limit: field,
            hash,
            token: field,
            echo: field,
          })
          .map((rest) => JSON.stringify({ ...base, ...rest })),
      ),
    fc
      .tuple(
        known,
        fc.uint8Array({ maxLength: 200 }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.boolean(),
        fc.nat(1_000),
      )
      .map(([parent, data, nonce, extended, height]) => {
        const block = new Block(data, Buffer.from(parent, 'hex'), nonce);
        return extended ? encodeBlockMessage(block, height) : encodeBlock(block);
      }),
    fc.constantFrom(
      encodeGetBlocks([], 500),
      encodeHello(3, '00'.repeat(32), '11'.repeat(32), 5n),
      encodeGetData('22'.repeat(32)),
    ),
  );
}

describe('the datagram decoder', () => {
  it('answers every input with a message or a reason, and never throws', () => {
    fc.assert(
      fc.property(datagrams([]), (datagram) => {
        const decoded = decodeMessage(datagram);
        if (!decoded.ok) expect(decoded.reason).toMatch(/\S/);
      }),
      { numRuns: 3_000 },
    );
  });
});

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const NODE = { host: '127.0.0.1', port: 5000 };

describe('a running node under random datagrams', () => {
  it('survives them within its bounds, and never amplifies toward an unvalidated address', async () => {
    const senders: PeerAddress[] = [
      ...Array.from({ length: 6 }, (_, i) => ({ host: '127.0.0.1', port: 6000 + i })),
      ...Array.from({ length: 3 }, (_, i) => ({ host: `10.0.0.${i + 1}`, port: 6000 })),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(senders.length - 1), fc.nat(40)), { minLength: 1, maxLength: 60 }),
        fc.integer(),
        async (plan, seed) => {
          const network = new MemoryNetwork({ seed });
          const tree = new BlockTree(new Block('Genesis'), seedRules({ target: MAX_TARGET, tieBreak: 'first-seen' }), {
            maxSideBytes: 64 * 1024,
            maxSideBlocks: 50,
            maxForkDepth: 10,
          });
          let tip = tree.root.block;
          for (let i = 0; i < 30; i++) tree.append((tip = new Block(`b${i}`, tip)), 0);
          const hashes = [...tree.entries()].map((entry) => entry.hash);
          const node = new MinerNode({
            transport: network.bind(NODE),
            miner: new FakeMiner(),
            peers: [],
            genesis: false,
            network: { seed: { target: MAX_TARGET } },
            tree,
            hashrateIntervalMs: 0,
            helloIntervalMs: 0,
            beaconIntervalMs: 0,
            tickIntervalMs: 0,
            orphanLimits: { maxBlocks: 20, maxBytes: 8_000 },
          });
          const events: NodeEvent[] = [];
          node.onEvent((event) => events.push(event));
          void node.run();
          const endpoints = new Map<string, { transport: MemoryTransport; sent: number; received: number }>();
          for (const address of senders) {
            const transport = network.bind(address);
            const record = { transport, sent: 0, received: 0 };
            transport.onDatagram((payload) => (record.received += payload.length));
            endpoints.set(formatAddress(address), record);
          }
          const samples = fc.sample(datagrams(hashes), { numRuns: plan.length, seed });
          try {
            for (let i = 0; i < plan.length; i++) {
              const [senderIndex] = plan[i]!;
              const record = endpoints.get(formatAddress(senders[senderIndex]!))!;
              const sample = samples[i]!;
              const payload = typeof sample === 'string' ? new TextEncoder().encode(sample) : sample;
              record.sent += payload.length;
              await record.transport.send(NODE, payload);
            }
            for (let rounds = 0; rounds < 3 || network.inFlight > 0; rounds++)
              await new Promise((r) => setTimeout(r, 1));
            for (const record of endpoints.values()) expect(record.received).toBeLessThanOrEqual(3 * record.sent);
            const stats = node.stats();
            expect(stats.orphans).toBeLessThanOrEqual(20);
            expect(stats.orphanBytes).toBeLessThanOrEqual(8_000);
            expect(stats.sideBytes).toBeLessThanOrEqual(64 * 1024);
            expect(events.some((event) => event.event === 'exit')).toBe(false);
            // And it still takes a good block on its head.
            const next = new Block('still alive', node.tree!.head.block);
            await endpoints.get('127.0.0.1:6000')!.transport.send(NODE, new TextEncoder().encode(encodeBlock(next)));
            for (let rounds = 0; rounds < 3 || network.inFlight > 0; rounds++)
              await new Promise((r) => setTimeout(r, 1));
            const admitted = events.some(
              (event) => event.event === 'block' && event.hash === next.hashHex() && event.status === 'accepted',
            );
            // Unless the fuzz got that sender banned or over its budget, which is the node doing its job.
            if (!admitted) expect(node.stats().dropped).toBeGreaterThan(0);
          } finally {
            await node.stop();
            network.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
