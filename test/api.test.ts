import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { FakeSource } from '../src/api/fake-source.js';
import { type ApiServerOptions, type RunningServer, createApiServer, startApiServer } from '../src/api/server.js';
import {
  DEFAULT_BLOCKS_LIMIT,
  DEFAULT_TREE_HEIGHTS,
  MAX_BLOCKS_LIMIT,
  MAX_BODY_BYTES,
  MAX_HEIGHT,
  MAX_TREE_HEIGHTS,
  MAX_TX_BYTES,
} from '../src/api/limits.js';
import { NO_CHAIN, NO_TRANSACTIONS } from '../src/api/routes.js';
import { HASH_SPACE } from '../src/primitives/limits.js';
import { readEvents } from './helpers/sse.js';

const apps: FastifyInstance[] = [];
const servers: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function api(source: FakeSource, options: Partial<ApiServerOptions> = {}) {
  const app = await createApiServer({ source, rateLimit: false, ...options });
  apps.push(app);
  return app;
}

async function get(app: FastifyInstance, url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await app.inject({ url });
  return { status: response.statusCode, body: response.json() };
}

async function post(app: FastifyInstance, payload: string, contentType = 'application/json') {
  const response = await app.inject({
    method: 'POST',
    url: '/api/tx',
    payload,
    headers: { 'content-type': contentType },
  });
  return { status: response.statusCode, body: response.json() as Record<string, unknown> };
}

const HASH = 'ab'.repeat(32);

describe('GET /api/status', () => {
  it('answers the chain, with large integers as strings', async () => {
    const source = new FakeSource({ target: 1n << 235n, blockIntervalMs: 1_000 });
    source.extend(10);
    source.setHashrate(3_000, [1_000, 2_000]);
    const { status, body } = await get(await api(source), '/api/status');
    expect(status).toBe(200);
    const work = HASH_SPACE / ((1n << 235n) + 1n);
    expect(body).toMatchObject({
      network: 'powchain',
      height: 10,
      head: source.mainAt(10),
      root: source.mainAt(0),
      target: (1n << 235n).toString(16).padStart(64, '0'),
      difficulty: 2 ** 21,
      chainWork: (11n * work).toString(),
      blockIntervalMs: { target: 1_000, recent: 1_000 },
      hashrate: { total: 3_000, perThread: [1_000, 2_000] },
      networkHashrate: Number(work),
      mempool: null,
      threads: 2,
    });
  });

  it('is 503 with a reason while the node waits for a genesis block', async () => {
    const app = await api(new FakeSource({ genesis: false }));
    for (const url of ['/api/status', '/api/tree'])
      expect(await get(app, url)).toEqual({ status: 503, body: { error: NO_CHAIN } });
    expect(await get(app, '/api/blocks')).toEqual({ status: 200, body: { blocks: [], next: null } });
  });
});

describe('GET /api/blocks', () => {
  const source = new FakeSource();
  source.extend(150);

  it('pages the main chain newest first', async () => {
    const app = await api(source);
    const first = await get(app, '/api/blocks');
    const blocks = first.body.blocks as Array<{ height: number; hash: string; main: boolean }>;
    expect(blocks.map((block) => block.height)).toEqual(
      Array.from({ length: DEFAULT_BLOCKS_LIMIT }, (_, i) => 150 - i),
    );
    expect(blocks.every((block) => block.main && block.hash === source.mainAt(block.height))).toBe(true);
    expect(first.body.next).toBe(131);
    const second = await get(app, '/api/blocks?limit=3&before=131');
    expect((second.body.blocks as Array<{ height: number }>).map((block) => block.height)).toEqual([130, 129, 128]);
    const last = await get(app, '/api/blocks?limit=5&before=3');
    expect((last.body.blocks as Array<{ height: number }>).map((block) => block.height)).toEqual([2, 1, 0]);
    expect(last.body.next).toBeNull();
  });

  it.each([
    ['limit=1', 200],
    [`limit=${MAX_BLOCKS_LIMIT}`, 200],
    ['limit=0', 400],
    [`limit=${MAX_BLOCKS_LIMIT + 1}`, 400],
    ['limit=-1', 400],
    ['limit=2.5', 400],
    ['limit=abc', 400],
    ['limit=', 400],
    ['limit=1&limit=2', 400],
    ['before=1', 200],
    [`before=${MAX_HEIGHT}`, 200],
    ['before=0', 400],
    [`before=${MAX_HEIGHT + 1}`, 400],
    ['before=1e400', 400],
    ['befor=3', 400],
  ])('?%s answers %i', async (query, expected) => {
    const { status, body } = await get(await api(source), `/api/blocks?${query}`);
    expect(status).toBe(expected);
    if (expected === 400) expect(typeof body.error).toBe('string');
  });

  it('says which rule a bad number broke', async () => {
    const app = await api(source);
    expect((await get(app, '/api/blocks?limit=0')).body).toEqual({
      error: `limit must be an integer from 1 to ${MAX_BLOCKS_LIMIT}`,
    });
    expect((await get(app, '/api/blocks?before=x')).body).toEqual({
      error: `before must be an integer from 1 to ${MAX_HEIGHT}`,
    });
    expect((await get(app, '/api/blocks?befor=3')).body).toEqual({ error: 'unknown query parameter "befor"' });
  });
});

describe('GET /api/blocks/<hash>', () => {
  it('answers a block by hash, in either case, with its work and who relayed it', async () => {
    const source = new FakeSource({ target: (1n << 255n) - 1n });
    source.extend(2, { miner: '127.0.0.1:5001:0', relayedBy: '127.0.0.1:5001' });
    const hash = source.mainAt(2)!;
    const app = await api(source);
    for (const spelled of [hash, hash.toUpperCase()]) {
      const { status, body } = await get(app, `/api/blocks/${spelled}`);
      expect(status).toBe(200);
      expect(body).toMatchObject({
        hash,
        height: 2,
        parent: source.mainAt(1),
        work: '2',
        chainWork: '6',
        miner: '127.0.0.1:5001:0',
        relayedBy: '127.0.0.1:5001',
        main: true,
        transactions: null,
      });
    }
  });

  it.each([
    ['a'.repeat(63), 400],
    ['a'.repeat(65), 400],
    ['g'.repeat(64), 400],
    ['0x' + 'a'.repeat(62), 400],
    [HASH, 404],
  ])('%s answers %i', async (hash, expected) => {
    const { status, body } = await get(await api(new FakeSource()), `/api/blocks/${hash}`);
    expect(status).toBe(expected);
    expect(body.error).toBe(expected === 404 ? 'no block with that hash' : 'hash must be 64 hex digits');
  });
});

describe('GET /api/tree', () => {
  it('has every block from a height on, forks and stale tips included', async () => {
    const source = new FakeSource();
    source.extend(5);
    const staleTip = source.mine(source.mainAt(3)!, { miner: 'fork' });
    source.extend(1);
    const { status, body } = await get(await api(source), '/api/tree?since=3');
    expect(status).toBe(200);
    expect(body.since).toBe(3);
    expect(body.head).toBe(source.mainAt(6));
    const blocks = body.blocks as Array<{ hash: string; height: number; main: boolean; tip: boolean; parent: string }>;
    expect(blocks.map((block) => block.height)).toEqual([3, 4, 4, 5, 6]);
    const stale = blocks.find((block) => block.hash === staleTip)!;
    expect(stale).toMatchObject({ main: false, tip: true, parent: source.mainAt(3) });
    expect(
      blocks
        .filter((block) => block.tip)
        .map((block) => block.hash)
        .sort(),
    ).toEqual([staleTip, source.mainAt(6)].sort());
  });

  it('covers the recent heights by default and at most MAX_TREE_HEIGHTS', async () => {
    const source = new FakeSource();
    source.extend(MAX_TREE_HEIGHTS + 100);
    const app = await api(source);
    const head = MAX_TREE_HEIGHTS + 100;
    expect((await get(app, '/api/tree')).body.since).toBe(head - DEFAULT_TREE_HEIGHTS + 1);
    const lowest = head - MAX_TREE_HEIGHTS + 1;
    const clamped = await get(app, '/api/tree?since=0');
    expect(clamped.body.since).toBe(lowest);
    expect((clamped.body.blocks as unknown[]).length).toBe(MAX_TREE_HEIGHTS);
    expect((await get(app, `/api/tree?since=${lowest + 1}`)).body.since).toBe(lowest + 1);
    expect((await get(app, `/api/tree?since=${MAX_HEIGHT}`)).body.blocks).toEqual([]);
    expect((await get(app, `/api/tree?since=${MAX_HEIGHT + 1}`)).status).toBe(400);
    expect((await get(app, '/api/tree?since=-1')).body).toEqual({
      error: `since must be an integer from 0 to ${MAX_HEIGHT}`,
    });
  });
});

describe('GET /api/peers and /api/refusals', () => {
  it('lists what the source knows', async () => {
    const source = new FakeSource();
    const peer = { address: '127.0.0.1:5001', extended: true, validated: true, lastHeard: 1_000, banned: false };
    source.setPeers([peer]);
    source.refuse({ time: 5, hash: HASH, from: '127.0.0.1:5002', reason: 'bad-pow' });
    const app = await api(source);
    expect(await get(app, '/api/peers')).toEqual({ status: 200, body: { peers: [peer] } });
    expect((await get(app, '/api/refusals')).body).toEqual({
      refusals: [{ time: 5, hash: HASH, from: '127.0.0.1:5002', reason: 'bad-pow' }],
    });
  });
});

describe('transactions routes', () => {
  it('answer 501 with a reason when the network has no transactions', async () => {
    const app = await api(new FakeSource());
    for (const url of [`/api/tx/${HASH}`, '/api/address/pow1qpzry9x8gf2tvdw0s3jn54khce6mua7l', '/api/mempool']) {
      expect(await get(app, url)).toEqual({ status: 501, body: { error: NO_TRANSACTIONS } });
    }
    expect(await post(app, JSON.stringify({ tx: '01ab' }))).toEqual({ status: 501, body: { error: NO_TRANSACTIONS } });
  });

  it('submit, look up and list a transaction when the source has them', async () => {
    const source = new FakeSource({ transactions: true });
    const app = await api(source);
    const submitted = await post(app, JSON.stringify({ tx: '01AB' }));
    expect(submitted.status).toBe(200);
    const txid = submitted.body.txid as string;
    expect(txid).toMatch(/^[0-9a-f]{64}$/);
    expect((await get(app, `/api/tx/${txid.toUpperCase()}`)).body).toMatchObject({ txid, block: null, height: null });
    expect((await get(app, '/api/mempool')).body).toEqual({ count: 1, bytes: 2, txids: [txid] });
    expect((await get(app, '/api/status')).body.mempool).toEqual({ count: 1, bytes: 2 });
    expect(await get(app, `/api/tx/${HASH}`)).toEqual({
      status: 404,
      body: { error: 'no transaction with that txid' },
    });
    expect(await post(app, JSON.stringify({ tx: '02ab' }))).toEqual({
      status: 400,
      body: { error: 'unknown transaction version' },
    });
    expect(await post(app, JSON.stringify({ tx: '01AB' }))).toEqual({
      status: 400,
      body: { error: 'already in the mempool' },
    });
  });

  it('answer an address with its balance as a string', async () => {
    const app = await api(new FakeSource({ transactions: true }));
    const address = 'pow1qpzry9x8gf2tvdw0s3jn54khce6mua7l';
    expect(await get(app, `/api/address/${address}`)).toEqual({
      status: 200,
      body: { address, balance: '0', unspent: [], history: [] },
    });
    expect((await get(app, `/api/address/${address.toUpperCase()}`)).body.address).toBe(address);
  });

  it.each([
    'pow1qqqqq', // too short for a checksum
    'pow1qqqqqqb', // b is not in the bech32 alphabet
    'pow1QQQQQQqq', // mixed case
    'bc1qqqqqqqq', // another network's prefix
    'pow1' + 'q'.repeat(87), // 91 characters
  ])('refuse the address %s by its shape', async (address) => {
    const { status, body } = await get(await api(new FakeSource({ transactions: true })), `/api/address/${address}`);
    expect(status).toBe(400);
    expect(body.error).toMatch(/^address must be a bech32m address/);
  });

  it('take a transaction at the largest size and refuse one byte more, and bodies past the limit', async () => {
    const app = await api(new FakeSource({ transactions: true }));
    const largest = '01' + 'ab'.repeat(MAX_TX_BYTES - 1);
    expect((await post(app, JSON.stringify({ tx: largest }))).status).toBe(200);
    const tooLarge = await post(app, JSON.stringify({ tx: largest + 'ab' }));
    expect(tooLarge).toEqual({
      status: 400,
      body: { error: `tx must be the hex of a transaction's encoding, at most ${MAX_TX_BYTES} bytes` },
    });
    const padded = JSON.stringify({ tx: '01' }).padEnd(MAX_BODY_BYTES, ' ');
    expect((await post(app, padded)).status).toBe(200);
    expect(await post(app, padded + ' ')).toEqual({
      status: 413,
      body: { error: `body is larger than ${MAX_BODY_BYTES} bytes` },
    });
  });

  it.each([
    ['{"tx": "0"}', 'tx must be the hex'],
    ['{"tx": "zz"}', 'tx must be the hex'],
    ['{"tx": 12}', 'tx must be the hex'],
    ['{}', 'body must have "tx"'],
    ['{"tx": "01", "fee": 1}', 'unknown field "fee"'],
    ['[]', 'body must be a JSON object'],
    ['{"tx": ', 'body is not valid JSON'],
    ['', 'body is empty'],
  ])('refuse the body %s', async (payload, reason) => {
    const { status, body } = await post(await api(new FakeSource({ transactions: true })), payload);
    expect(status).toBe(400);
    expect(body.error).toContain(reason);
  });

  it('refuse a body that is not JSON', async () => {
    const app = await api(new FakeSource({ transactions: true }));
    expect(await post(app, '01ab', 'application/octet-stream')).toEqual({
      status: 415,
      body: { error: 'body must be application/json' },
    });
  });
});

describe('unknown routes and limits', () => {
  it('answer 404 JSON for an unknown route or method', async () => {
    const app = await api(new FakeSource());
    expect(await get(app, '/api/nothing?x=1')).toEqual({
      status: 404,
      body: { error: 'no such route: GET /api/nothing' },
    });
    const response = await app.inject({ method: 'DELETE', url: '/api/status' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: 'no such route: DELETE /api/status' });
  });

  it('answer 429 with a reason once a client passes its limit', async () => {
    const app = await api(new FakeSource(), { rateLimit: { max: 3, windowMs: 60_000 } });
    for (let i = 0; i < 3; i++) expect((await get(app, '/api/status')).status).toBe(200);
    const limited = await get(app, '/api/status');
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatch(/^too many requests: at most 3 per 60 s; retry in (\d+ seconds?|1 minute)$/);
    expect((await get(app, '/nothing')).status).toBe(429);
  });

  it('hold a 429 for a while, while other clients are answered at once', async () => {
    const app = await api(new FakeSource(), { rateLimit: { max: 1, windowMs: 60_000 } });
    const from = (remoteAddress: string) => app.inject({ url: '/api/status', remoteAddress });
    expect((await from('127.0.0.1')).statusCode).toBe(200);
    const order: string[] = [];
    const held = from('127.0.0.1').then((response) => order.push(`127.0.0.1 ${response.statusCode}`));
    await from('127.0.0.2').then((response) => order.push(`127.0.0.2 ${response.statusCode}`));
    await held;
    expect(order).toEqual(['127.0.0.2 200', '127.0.0.1 429']);
  });

  it('serve the page, or say how to build it', async () => {
    const built = await api(new FakeSource(), { webRoot: new URL('./fixtures/web-root/', import.meta.url).pathname });
    const page = await built.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect((await built.inject({ url: '/assets/app.js' })).body).toContain('fixture');
    expect((await built.inject({ url: '/assets/..%2fpackage.json' })).statusCode).toBe(400);
    expect((await built.inject({ url: '/assets/other.js' })).statusCode).toBe(404);
    const unbuilt = await api(new FakeSource(), { webRoot: '/nonexistent' });
    expect(await get(unbuilt, '/')).toEqual({
      status: 503,
      body: { error: 'the web page is not built: run `npm run build:web`' },
    });
  });
});

describe('GET /api/events', () => {
  async function serve(source: FakeSource, events = {}): Promise<RunningServer> {
    const server = await startApiServer({ source, rateLimit: false, events });
    servers.push(server);
    return server;
  }

  it('streams head, block, hashrate and tx events as they happen', async () => {
    const source = new FakeSource({ transactions: true });
    const server = await serve(source);
    const stream = await readEvents(`${server.url}/api/events`);
    try {
      const tip = source.extend(1);
      source.setHashrate(10, [10]);
      source.transactions!.submit(Uint8Array.of(1, 2));
      const events = await stream.next(4);
      expect(events.map((event) => event.event)).toEqual(['block', 'head', 'hashrate', 'tx']);
      expect(events[0]!.data).toMatchObject({ type: 'block', block: { hash: tip, height: 1, main: true, tip: true } });
      expect(events[1]!.data).toEqual({ type: 'head', height: 1, hash: tip });
      expect(events[2]!.data).toMatchObject({ type: 'hashrate', total: 10, perThread: [10] });
    } finally {
      stream.close();
    }
  });

  it('refuses streams past the limit with a reason, and sends heartbeats', async () => {
    const source = new FakeSource();
    const server = await serve(source, { maxClients: 1, heartbeatMs: 50 });
    const stream = await readEvents(`${server.url}/api/events`);
    try {
      const refused = await fetch(`${server.url}/api/events`);
      expect(refused.status).toBe(503);
      expect(await refused.json()).toEqual({ error: 'too many event streams open (at most 1)' });
      await stream.comment();
    } finally {
      stream.close();
    }
  });

  it('limits streams per client address', async () => {
    const server = await serve(new FakeSource(), { maxClients: 10, maxClientsPerAddress: 2 });
    const streams = [await readEvents(`${server.url}/api/events`), await readEvents(`${server.url}/api/events`)];
    try {
      const refused = await fetch(`${server.url}/api/events`);
      expect(await refused.json()).toEqual({ error: 'too many event streams from one address (at most 2)' });
    } finally {
      for (const stream of streams) stream.close();
    }
  });

  it('cuts off a client that stops reading instead of buffering for it', async () => {
    const source = new FakeSource();
    const server = await serve(source, { maxBacklogBytes: 64 * 1024 });
    const socket = connect(server.port, '127.0.0.1');
    socket.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    socket.pause();
    try {
      await until(() => source.listenerCount === 2); // the response cache and the stream
      const big = { type: 'hashrate', total: 1, perThread: new Array<number>(4_000).fill(1), network: null } as const;
      for (let i = 0; i < 2_000 && source.listenerCount === 2; i++) {
        source.emit(big);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(source.listenerCount).toBe(1);
    } finally {
      socket.destroy();
    }
  });

  it('closes at once, ending connections that never sent a byte and kept-alive ones', async () => {
    const server = await startApiServer({ source: new FakeSource(), rateLimit: false });
    // A browser's preconnect: connected, silent. And a connection kept alive after an answer.
    const silent = connect(server.port, '127.0.0.1');
    await new Promise((resolve) => silent.once('connect', resolve));
    const silentClosed = new Promise((resolve) => silent.once('close', resolve));
    const kept = connect(server.port, '127.0.0.1');
    kept.write('GET /api/status HTTP/1.1\r\nhost: x\r\n\r\n');
    await new Promise((resolve) => kept.once('data', resolve));
    const keptClosed = new Promise((resolve) => kept.once('close', resolve));
    // Not after the 10 s a silent connection may last: the test's own timeout would end first.
    const closed = await Promise.race([
      server.close().then(() => 'closed'),
      new Promise((resolve) => setTimeout(resolve, 5_000, 'still open')),
    ]);
    expect(closed).toBe('closed');
    await Promise.all([silentClosed, keptClosed]);
  });

  it('lets the server close while streams are open', async () => {
    const source = new FakeSource();
    const server = await startApiServer({ source, rateLimit: false });
    const stream = await readEvents(`${server.url}/api/events`);
    await server.close();
    await stream.ended();
    expect(source.listenerCount).toBe(0);
  });
});

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
