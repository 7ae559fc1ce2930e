import { describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { MAX_TARGET } from '../src/primitives/limits.js';
import { encodeBlock } from '../src/primitives/wire.js';
import { type PeerAddress } from '../src/net/address.js';
import { AddressTokens } from '../src/net/address-token.js';
import { decodeMessage, encodeBlockMessage, encodeGetBlocks, encodeHello } from '../src/net/messages.js';
import { type Peer, PeerTable } from '../src/net/peers.js';
import { MinerNode } from '../src/node/miner-node.js';
import { FakeMiner } from './helpers/fake-miner.js';
import { MemoryNetwork } from './helpers/memory-network.js';

const at = (port: number, host = '127.0.0.1'): PeerAddress => ({ host, port });
const addresses = (peers: readonly Peer[]): PeerAddress[] => peers.map((peer) => peer.address);

/** A table on a clock the test moves by hand. */
function tableAt(limits: ConstructorParameters<typeof PeerTable>[0] = {}) {
  const clock = { now: 0 };
  return { table: new PeerTable(limits, () => clock.now), clock };
}

function admitted(table: PeerTable, address: PeerAddress): Peer {
  const admission = table.admit(address);
  if (!admission.ok) throw new Error(`${address.port} was refused: ${admission.reason}`);
  return admission.peer;
}

/** How many of `count` datagrams from `address` are admitted right now. */
function admits(table: PeerTable, address: PeerAddress, count: number): number {
  let ok = 0;
  for (let i = 0; i < count; i++) if (table.admit(address).ok) ok++;
  return ok;
}

describe('extendedPeers: who gets the extended messages (hello)', () => {
  it('names only peers that have shown they speak the extended protocol', () => {
    const { table } = tableAt();
    admitted(table, at(1));
    admitted(table, at(2)).extended = true;
    admitted(table, at(3));
    expect(addresses(table.extendedPeers())).toEqual([at(2)]);
    expect(tableAt().table.extendedPeers()).toEqual([]);
  });

  it('lists them most recently heard from first', () => {
    const { table } = tableAt();
    for (const port of [1, 2, 3]) admitted(table, at(port)).extended = true;
    expect(addresses(table.extendedPeers())).toEqual([at(3), at(2), at(1)]);
    admitted(table, at(1));
    expect(addresses(table.extendedPeers())).toEqual([at(1), at(3), at(2)]);
  });

  it('leaves out a banned peer until the very moment its ban ends', () => {
    const { table, clock } = tableAt({ banThreshold: 1, banMs: 1_000 });
    const peer = admitted(table, at(1));
    peer.extended = true;
    admitted(table, at(2)).extended = true;
    expect(table.penalize(peer)).toBe('peer');
    expect(addresses(table.extendedPeers())).toEqual([at(2)]);
    clock.now = 999;
    expect(addresses(table.extendedPeers())).toEqual([at(2)]);
    clock.now = 1_000;
    expect(addresses(table.extendedPeers())).toEqual([at(2), at(1)]);
  });
});

describe("a node's periodic hello", () => {
  it('goes to peers that spoke the extended protocol, never to a seed peer, interval after interval', async () => {
    const node = at(5000);
    const seed = at(5001);
    const extended = at(5002);
    const network = new MemoryNetwork();
    const miner = new FakeMiner();
    const tokens = new AddressTokens(new Uint8Array(32).fill(1));
    const minerNode = new MinerNode({
      transport: network.bind(node),
      miner,
      peers: [node, seed, extended],
      genesis: true,
      network: { seed: { target: MAX_TARGET, tieBreak: 'first-seen' } },
      hashrateIntervalMs: 0,
      helloIntervalMs: 5,
      tokens,
    });
    const received = new Map<string, string[]>([
      ['seed', []],
      ['extended', []],
    ]);
    const seedEnd = network.bind(seed);
    const extendedEnd = network.bind(extended);
    const types = (payload: Uint8Array): string => {
      const decoded = decodeMessage(payload);
      return decoded.ok ? decoded.message.type : `junk: ${decoded.reason}`;
    };
    seedEnd.onDatagram((payload) => received.get('seed')!.push(types(payload)));
    extendedEnd.onDatagram((payload) => received.get('extended')!.push(types(payload)));
    const finished = minerNode.run();
    const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
    try {
      miner.solve(); // the genesis block
      const genesis = new Block('Genesis', undefined, 1n);
      // The seed peer sends a plain block, the other an extended one that echoes its token
      // (so the anti-amplification limit does not cut the hellos short): both valid, both known now.
      await seedEnd.send(node, encode(encodeBlock(new Block('from seed', genesis))));
      const echo = tokens.tokenFor('127.0.0.1:5002');
      await extendedEnd.send(node, encode(encodeBlockMessage(new Block('from ext', genesis), 1, { echo })));
      // A spoofed hello and getblocks from the seed's address must not make it an extended peer.
      await seedEnd.send(node, encode(encodeHello(9, genesis.hashHex(), genesis.hashHex(), 10n)));
      await seedEnd.send(node, encode(encodeGetBlocks([], 5)));
      const deadline = Date.now() + 10_000;
      while (received.get('extended')!.filter((type) => type === 'hello').length < 3) {
        if (Date.now() > deadline) throw new Error(`no hellos: ${received.get('extended')!.join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(minerNode.stats().extendedPeers).toBe(1);
      expect(minerNode.stats().peers).toBe(2);
      expect(received.get('seed')!.length).toBeGreaterThan(0); // it does hear blocks
      expect(received.get('seed')!.filter((type) => type !== 'block')).toEqual([]);
    } finally {
      await minerNode.stop();
      await finished;
      network.close();
    }
  });
});

describe('datagram budgets', () => {
  it('lets a peer send its burst at once, then refuses with rate-limited', () => {
    const { table } = tableAt({ datagramsPerSecond: 10, datagramBurst: 5 });
    expect(admits(table, at(1), 5)).toBe(5);
    expect(table.admit(at(1))).toEqual({ ok: false, reason: 'rate-limited' });
    // Another peer has its own budget.
    expect(admits(table, at(2), 6)).toBe(5);
  });

  it('refills a peer at its rate, one datagram per 1/rate seconds, never beyond the burst', () => {
    const { table, clock } = tableAt({ datagramsPerSecond: 10, datagramBurst: 5 });
    expect(admits(table, at(1), 5)).toBe(5);
    clock.now = 99; // 0.99 of a datagram
    expect(table.admit(at(1)).ok).toBe(false);
    clock.now = 100; // the fraction refilled before a refusal is kept
    expect(table.admit(at(1)).ok).toBe(true);
    expect(table.admit(at(1)).ok).toBe(false);
    clock.now = 200;
    expect(admits(table, at(1), 2)).toBe(1);
    clock.now = 100_000; // a long silence still allows only the burst
    expect(admits(table, at(1), 10)).toBe(5);
  });

  it('holds the default budgets: bursts of 800 datagrams and 8 requests per peer', () => {
    const { table, clock } = tableAt();
    expect(admits(table, at(1), 801)).toBe(800);
    clock.now = 1_000; // 400 a second
    expect(admits(table, at(1), 401)).toBe(400);
    const peer = admitted(table, at(2));
    expect(Array.from({ length: 9 }, () => table.allowRequest(peer))).toEqual([...Array(8).fill(true), false]);
    clock.now = 1_250; // 4 a second
    expect(table.allowRequest(peer)).toBe(true);
    expect(table.allowRequest(peer)).toBe(false);
  });

  it('caps all unvalidated peers together at the total burst and rate (defaults 8,000 and 4,000 a second)', () => {
    const { table, clock } = tableAt();
    // One peer on each of many hosts, so no host budget is reached first.
    const on = (i: number): PeerAddress => at(1, `10.0.0.${i}`);
    let ok = 0;
    for (let i = 1; i <= 21; i++) ok += admits(table, on(i), 400);
    expect(ok).toBe(8_000);
    expect(table.admit(on(30))).toEqual({ ok: false, reason: 'flood' });
    clock.now = 100; // 400 more
    ok = 0;
    for (let i = 31; i <= 35; i++) ok += admits(table, on(i), 100);
    expect(ok).toBe(400);
  });

  it("limits each peer's requests to its own budget", () => {
    const { table, clock } = tableAt({ requestsPerSecond: 2, requestBurst: 3 });
    const a = admitted(table, at(1));
    const b = admitted(table, at(2));
    expect([1, 2, 3, 4].map(() => table.allowRequest(a))).toEqual([true, true, true, false]);
    expect(table.allowRequest(b)).toBe(true);
    clock.now = 499;
    expect(table.allowRequest(a)).toBe(false);
    clock.now = 1_000;
    expect(table.allowRequest(a)).toBe(true);
  });
});

describe('bans', () => {
  it('bans at exactly the threshold, for banMs, and starts counting again after', () => {
    const { table, clock } = tableAt({ banThreshold: 3, banMs: 1_000 });
    const peer = admitted(table, at(1));
    expect([table.penalize(peer), table.penalize(peer), table.penalize(peer)]).toEqual([undefined, undefined, 'peer']);
    expect(peer.bannedUntil).toBe(1_000);
    expect(table.admit(at(1))).toEqual({ ok: false, reason: 'banned' });
    clock.now = 999;
    expect(table.admit(at(1))).toEqual({ ok: false, reason: 'banned' });
    clock.now = 1_000;
    expect(table.admit(at(1)).ok).toBe(true);
    // The count started over: three more to be banned again.
    expect([table.penalize(peer), table.penalize(peer)]).toEqual([undefined, undefined]);
    expect(table.admit(at(1)).ok).toBe(true);
    expect(table.penalize(peer)).toBe('peer');
    expect(peer.bannedUntil).toBe(2_000);
  });

  it('bans after 50 invalid datagrams for 10 minutes by default', () => {
    const { table, clock } = tableAt();
    const peer = admitted(table, at(1));
    for (let i = 1; i < 50; i++) expect(table.penalize(peer)).toBeUndefined();
    expect(table.penalize(peer)).toBe('peer');
    clock.now = 10 * 60_000 - 1;
    expect(table.admit(at(1))).toEqual({ ok: false, reason: 'banned' });
    clock.now = 10 * 60_000;
    expect(table.admit(at(1)).ok).toBe(true);
  });

  it("refuses a banned peer's datagrams without spending the total budget on them", () => {
    const { table } = tableAt({ totalBurst: 3, totalPerSecond: 1, banThreshold: 1 });
    table.penalize(admitted(table, at(1)));
    expect(admits(table, at(1), 50)).toBe(0);
    expect(admits(table, at(2), 3)).toBe(2);
  });
});

describe('the table itself', () => {
  it('remembers each peer once, with when it was last heard from', () => {
    const { table, clock } = tableAt();
    admitted(table, at(1));
    clock.now = 50;
    admitted(table, at(1));
    expect(table.size).toBe(1);
    expect(table.get(at(1))).toMatchObject({
      key: '127.0.0.1:1',
      lastHeard: 50,
      extended: false,
      plain: false,
      validated: false,
      invalid: 0,
    });
    expect(table.get(at(2))).toBeUndefined();
  });

  it('forgets the least recently heard-from peer beyond maxPeers, but keeps a banned one', () => {
    const { table } = tableAt({ maxPeers: 3, banThreshold: 1 });
    table.penalize(admitted(table, at(1))); // banned, and the oldest
    admitted(table, at(2));
    admitted(table, at(3));
    admitted(table, at(2)); // heard from again: 3 is now the least recent unbanned
    admitted(table, at(4));
    expect(table.size).toBe(3);
    expect([1, 2, 3, 4].map((port) => table.get(at(port)) !== undefined)).toEqual([true, true, false, true]);
    expect(table.admit(at(1))).toEqual({ ok: false, reason: 'banned' });
  });

  it('forgets the least recently heard-from validated peer when all are validated, keeping a banned one until its ban ends', () => {
    const { table, clock } = tableAt({ maxPeers: 3, banThreshold: 1, banMs: 1_000 });
    for (const port of [1, 2, 3]) table.validate(admitted(table, at(port)));
    table.penalize(table.get(at(1))!); // banned until 1,000, and the oldest
    table.validate(admitted(table, at(4)));
    expect([1, 2, 3, 4].map((port) => table.get(at(port)) !== undefined)).toEqual([true, false, true, true]);
    // At the very moment its ban ends, peer 1 is the least recently heard-from peer that may go.
    clock.now = 1_000;
    admitted(table, at(5));
    expect([1, 3, 4, 5].map((port) => table.get(at(port)) !== undefined)).toEqual([false, true, true, true]);
  });

  it('forgets the oldest peer when every peer is banned', () => {
    const { table } = tableAt({ maxPeers: 2, banThreshold: 1 });
    table.penalize(admitted(table, at(1)));
    table.penalize(admitted(table, at(2)));
    admitted(table, at(3));
    expect([1, 2, 3].map((port) => table.get(at(port)) !== undefined)).toEqual([false, true, true]);
  });

  it('remembers 1,024 peers by default', () => {
    const { table } = tableAt({ totalBurst: 1e9 });
    for (let port = 1; port <= 1_025; port++) admitted(table, at(port));
    expect(table.size).toBe(1_024);
    expect(table.get(at(1))).toBeUndefined();
    expect(table.get(at(2))).toBeDefined();
  });
});

describe('per-host budgets: a sender cannot escape its budget by changing its source port', () => {
  it("shares one datagram budget among a host's unvalidated peers, refusing with host-rate-limited", () => {
    const { table, clock } = tableAt({ hostDatagramBurst: 5, hostDatagramsPerSecond: 10 });
    expect(admits(table, at(1), 3)).toBe(3);
    expect(admits(table, at(2), 2)).toBe(2);
    expect(table.admit(at(3))).toEqual({ ok: false, reason: 'host-rate-limited' });
    expect(table.admit(at(1))).toEqual({ ok: false, reason: 'host-rate-limited' });
    // Another host has its own budget.
    expect(admits(table, at(1, '10.0.0.1'), 5)).toBe(5);
    clock.now = 99;
    expect(table.admit(at(4)).ok).toBe(false);
    clock.now = 100;
    expect(admits(table, at(4), 2)).toBe(1);
  });

  it('holds the default host budgets: 4,000 datagrams and 32 requests at once, 2,000 and 16 a second', () => {
    const { table, clock } = tableAt();
    let ok = 0;
    for (let port = 1; port <= 6; port++) ok += admits(table, at(port), 800);
    expect(ok).toBe(4_000);
    expect(table.admit(at(7))).toEqual({ ok: false, reason: 'host-rate-limited' });
    const peers = [1, 2, 3, 4, 5].map((port) => table.get(at(port))!);
    // Four peers spend the host's 32 requests; the fifth has its own 8 left, and is refused.
    for (const peer of peers.slice(0, 4))
      expect(Array.from({ length: 8 }, () => table.allowRequest(peer))).not.toContain(false);
    expect(table.allowRequest(peers[4]!)).toBe(false);
    clock.now = 62; // not quite one more request for the host
    expect(table.allowRequest(peers[4]!)).toBe(false);
    clock.now = 63;
    expect(table.allowRequest(peers[4]!)).toBe(true);
    clock.now = 1_063; // 2,126 more datagrams for the host; each peer refilled 425.2 of its own
    expect([1, 2, 3, 4, 5].map((port) => admits(table, at(port), 425))).toEqual([425, 425, 425, 425, 425]);
    expect(table.admit(at(6)).ok).toBe(true);
    expect(table.admit(at(7))).toEqual({ ok: false, reason: 'host-rate-limited' });
  });

  it('bans all unvalidated ports of a host at the host threshold, for banMs, and counts again after', () => {
    const { table, clock } = tableAt({ hostBanThreshold: 3, banThreshold: 100, banMs: 1_000 });
    const first = admitted(table, at(1));
    const second = admitted(table, at(2));
    expect([table.penalize(first), table.penalize(second), table.penalize(first)]).toEqual([
      undefined,
      undefined,
      'host',
    ]);
    expect(table.admit(at(1))).toEqual({ ok: false, reason: 'host-banned' });
    expect(table.admit(at(9))).toEqual({ ok: false, reason: 'host-banned' });
    expect(table.admit(at(1, '10.0.0.1')).ok).toBe(true);
    expect(first.bannedUntil).toBe(0); // the host is banned, not the peer
    clock.now = 999;
    expect(table.admit(at(9))).toEqual({ ok: false, reason: 'host-banned' });
    clock.now = 1_000;
    expect(table.admit(at(9)).ok).toBe(true);
    expect([table.penalize(first), table.penalize(first)]).toEqual([undefined, undefined]);
    expect(table.penalize(second)).toBe('host');
  });

  it('bans the peer rather than its host when both thresholds are reached at once', () => {
    const { table } = tableAt({ hostBanThreshold: 1, banThreshold: 1, banMs: 1_000 });
    const peer = admitted(table, at(1));
    expect(table.penalize(peer)).toBe('peer');
    expect(table.admit(at(2)).ok).toBe(true);
    expect(table.penalize(table.get(at(2))!)).toBe('peer');
  });

  it('forgets the least recently heard-from host beyond maxHosts, but keeps a banned one', () => {
    const { table } = tableAt({ maxHosts: 2, hostDatagramBurst: 1, hostBanThreshold: 1, banThreshold: 100 });
    const a = '10.0.0.1';
    const b = '10.0.0.2';
    const c = '10.0.0.3';
    expect(table.admit(at(1, a)).ok).toBe(true);
    expect(table.admit(at(1, a))).toEqual({ ok: false, reason: 'host-rate-limited' });
    expect(table.admit(at(1, b)).ok).toBe(true);
    expect(table.admit(at(1, c)).ok).toBe(true); // a, the least recent, is forgotten: a fresh budget
    expect(table.admit(at(1, a)).ok).toBe(true); // b is forgotten now
    expect(table.admit(at(1, b)).ok).toBe(true);
    // A banned host is kept while an unbanned one can go.
    const { table: banning } = tableAt({ maxHosts: 2, hostBanThreshold: 1, banThreshold: 100 });
    expect(banning.penalize(admitted(banning, at(1, a)))).toBe('host');
    admitted(banning, at(1, b));
    admitted(banning, at(1, c));
    expect(banning.admit(at(2, a))).toEqual({ ok: false, reason: 'host-banned' });
  });

  it('counts a host as heard from again whenever one of its peers is', () => {
    const { table } = tableAt({ maxHosts: 2, hostDatagramBurst: 2 });
    const [a, b, c] = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];
    admitted(table, at(1, a));
    admitted(table, at(1, b));
    admitted(table, at(2, a)); // a's budget is spent, and a is now the most recent host
    admitted(table, at(1, c)); // b, the least recent host, is forgotten
    expect(table.admit(at(3, a))).toEqual({ ok: false, reason: 'host-rate-limited' });
    expect(table.admit(at(2, b)).ok).toBe(true);
  });

  it('forgets the oldest host when every host is banned', () => {
    const { table } = tableAt({ maxHosts: 2, hostBanThreshold: 1, banThreshold: 100 });
    const hosts = ['10.0.0.1', '10.0.0.2'];
    for (const host of hosts) expect(table.penalize(admitted(table, at(1, host)))).toBe('host');
    expect(table.admit(at(1, '10.0.0.3')).ok).toBe(true);
    expect(table.admit(at(2, hosts[0]!)).ok).toBe(true);
    expect(table.admit(at(2, hosts[1]!))).toEqual({ ok: false, reason: 'host-banned' });
  });
});

describe('validated peers (they echoed our token)', () => {
  it('are extended, and are exempt from their host budget, host ban and the total budget', () => {
    const { table } = tableAt({ hostDatagramBurst: 2, totalBurst: 2, hostBanThreshold: 1, banThreshold: 100 });
    const peer = admitted(table, at(1));
    table.validate(peer);
    expect(peer).toMatchObject({ validated: true, extended: true });
    expect(table.penalize(admitted(table, at(2)))).toBe('host');
    expect(table.admit(at(3))).toEqual({ ok: false, reason: 'host-banned' });
    expect(admits(table, at(1), 10)).toBe(10);
    // Its penalties count against itself only.
    expect(table.penalize(peer)).toBeUndefined();
  });

  it('get the validated datagram budget (defaults 10,000 at once, 5,000 a second)', () => {
    const { table, clock } = tableAt({ datagramBurst: 3 });
    table.validate(admitted(table, at(1)));
    // What was left of the unvalidated burst, then the validated rate and burst.
    expect(admits(table, at(1), 3)).toBe(2);
    expect(table.admit(at(1))).toEqual({ ok: false, reason: 'rate-limited' });
    clock.now = 1;
    expect(admits(table, at(1), 10)).toBe(5);
    clock.now = 100_000;
    expect(admits(table, at(1), 10_001)).toBe(10_000);
  });

  it('are not limited by their host on requests', () => {
    const { table } = tableAt({ hostRequestBurst: 1 });
    const plain = admitted(table, at(1));
    const validated = admitted(table, at(2));
    table.validate(validated);
    expect([table.allowRequest(plain), table.allowRequest(plain)]).toEqual([true, false]);
    expect(admitted(table, at(3)) && table.allowRequest(table.get(at(3))!)).toBe(false);
    expect(Array.from({ length: 9 }, () => table.allowRequest(validated))).toEqual([...Array(8).fill(true), false]);
  });

  it('are forgotten last beyond maxPeers', () => {
    const { table } = tableAt({ maxPeers: 2 });
    table.validate(admitted(table, at(1)));
    admitted(table, at(2));
    admitted(table, at(3));
    expect([1, 2, 3].map((port) => table.get(at(port)) !== undefined)).toEqual([true, false, true]);
    // Only validated (or banned) peers left: the least recently heard-from unbanned one goes.
    table.validate(table.get(at(3))!);
    admitted(table, at(4));
    expect([1, 3, 4].map((port) => table.get(at(port)) !== undefined)).toEqual([false, true, true]);
  });
});

describe('anti-amplification: what may be sent to a peer', () => {
  it('is at most three times the bytes received from an unvalidated peer, exactly', () => {
    const { table } = tableAt();
    const peer = admitted(table, at(1));
    expect(table.allowSend(peer, 1)).toBe(false);
    expect(table.admit(at(1), 100).ok).toBe(true);
    expect(peer.received).toBe(100);
    expect(table.allowSend(peer, 200)).toBe(true);
    expect(table.allowSend(peer, 101)).toBe(false);
    expect(table.allowSend(peer, 100)).toBe(true);
    expect(peer.sent).toBe(300);
    expect(table.allowSend(peer, 1)).toBe(false);
    expect(table.allowSend(peer, 0)).toBe(true);
  });

  it('follows amplificationFactor, and counts only what was admitted', () => {
    const { table } = tableAt({ amplificationFactor: 1, datagramBurst: 1 });
    const peer = admitted(table, at(1));
    expect(table.admit(at(1), 500)).toEqual({ ok: false, reason: 'rate-limited' });
    expect(peer.received).toBe(0);
    expect(table.allowSend(peer, 1)).toBe(false);
    const other = table.admit(at(2), 10);
    expect(other.ok && table.allowSend(other.peer, 10)).toBe(true);
    expect(other.ok && table.allowSend(other.peer, 1)).toBe(false);
  });

  it('is unlimited to a validated peer, though still counted', () => {
    const { table } = tableAt();
    const peer = admitted(table, at(1));
    table.validate(peer);
    expect(table.allowSend(peer, 1_000_000)).toBe(true);
    expect(peer.sent).toBe(1_000_000);
  });
});

describe('lookups', () => {
  it('finds a peer by its host:port key, lists peers most recent first, and tells who is banned', () => {
    const { table, clock } = tableAt({ banThreshold: 1, banMs: 500 });
    const one = admitted(table, at(1));
    admitted(table, at(2));
    expect(table.byKey('127.0.0.1:1')).toBe(one);
    expect(table.byKey('127.0.0.1:3')).toBeUndefined();
    expect(addresses(table.list())).toEqual([at(2), at(1)]);
    expect(table.isBanned(one)).toBe(false);
    table.penalize(one);
    expect(table.isBanned(one)).toBe(true);
    clock.now = 499;
    expect(table.isBanned(one)).toBe(true);
    clock.now = 500;
    expect(table.isBanned(one)).toBe(false);
  });
});
