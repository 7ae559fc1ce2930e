import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_MONEY } from '../src/primitives/params.js';
import { checkAddressAnswer, checkStatusAnswer, checkSubmitAnswer, errorReason } from '../src/wallet/api-answers.js';
import { NodeClient, parseNodeUrl } from '../src/wallet/api-client.js';
import { WalletError } from '../src/wallet/errors.js';

const ADDRESS = 'pow1rlwdppnldc0tzathkuj4qwsyq934gh99wxkgzq';
const TXID = 'ab'.repeat(32);
const ROOT = 'cd'.repeat(32);

const unspentEntry = (extra: Record<string, unknown> = {}) => ({
  txid: TXID,
  index: 1,
  amount: '5000000000',
  height: 12,
  ...extra,
});

const addressAnswer = (extra: Record<string, unknown> = {}) => ({
  address: ADDRESS,
  balance: '5000000000',
  unspent: [unspentEntry({ coinbase: true, spentInMempool: false, spendable: true })],
  history: [{ txid: TXID, height: 12, delta: '5000000000' }],
  ...extra,
});

const reasonOf = <T>(verdict: { ok: true; value: T } | { ok: false; reason: string }): string =>
  verdict.ok ? 'accepted' : verdict.reason;

describe('answer validators', () => {
  it('status: network, root and height; extra fields are ignored', () => {
    expect(checkStatusAnswer({ network: 'powchain', root: ROOT.toUpperCase(), height: 3, peers: 2 })).toEqual({
      ok: true,
      value: { network: 'powchain', root: ROOT, height: 3 },
    });
    expect(reasonOf(checkStatusAnswer({ network: 'bitcoin', root: ROOT, height: 3 }))).toBe(
      'network must be "seed" or "powchain"',
    );
    expect(reasonOf(checkStatusAnswer({ network: 'seed', root: 'ab', height: 3 }))).toBe('root must be 64 hex digits');
    expect(reasonOf(checkStatusAnswer({ network: 'seed', root: ROOT, height: -1 }))).toBe(
      'height must be an integer from 0 to 2147483647',
    );
    expect(reasonOf(checkStatusAnswer({ network: 'seed', root: ROOT, height: 2 ** 31 - 1 }))).toBe('accepted');
    expect(reasonOf(checkStatusAnswer({ network: 'seed', root: ROOT, height: 2 ** 31 }))).toBe(
      'height must be an integer from 0 to 2147483647',
    );
    expect(reasonOf(checkStatusAnswer([]))).toBe('the answer must be a JSON object');
  });

  it('address: amounts become bigints, optional flags are kept when present', () => {
    const verdict = checkAddressAnswer(addressAnswer(), ADDRESS);
    expect(verdict).toEqual({
      ok: true,
      value: {
        address: ADDRESS,
        balance: 5_000_000_000n,
        unspent: [
          {
            txid: TXID,
            index: 1,
            amount: 5_000_000_000n,
            height: 12,
            coinbase: true,
            spentInMempool: false,
            spendable: true,
          },
        ],
        history: [{ txid: TXID, height: 12, delta: 5_000_000_000n }],
      },
    });
    const bare = checkAddressAnswer(addressAnswer({ unspent: [unspentEntry({ height: null })] }), ADDRESS);
    expect(bare.ok && bare.value.unspent[0]).toEqual({ txid: TXID, index: 1, amount: 5_000_000_000n, height: null });
  });

  it('address: every field is checked, amounts at their edges', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ address: 'pow1other' }, `address must be the address asked about (${ADDRESS})`],
      [{ balance: 5 }, 'balance must be a decimal string of base units'],
      [{ balance: '-1' }, 'balance must be a decimal string of base units'],
      [{ balance: '01' }, 'balance must be a decimal string of base units'],
      [{ balance: '1e3' }, 'balance must be a decimal string of base units'],
      [{ balance: (MAX_MONEY + 1n).toString() }, `balance must be 0 to ${MAX_MONEY} base units, got 2100000000000001`],
      [{ balance: '9'.repeat(17) }, 'balance must be a decimal string of base units'],
      [{ unspent: {} }, 'unspent must be a JSON array'],
      [{ unspent: [null] }, 'unspent[0] must be a JSON object'],
      [{ unspent: [unspentEntry({ amount: '0' })] }, `unspent[0].amount must be 1 to ${MAX_MONEY} base units, got 0`],
      [{ unspent: [unspentEntry({ index: 256 })] }, 'unspent[0].index must be an integer from 0 to 255'],
      [{ unspent: [unspentEntry({ index: 1.5 })] }, 'unspent[0].index must be an integer from 0 to 255'],
      [{ unspent: [unspentEntry({ txid: 'zz'.repeat(32) })] }, 'unspent[0].txid must be 64 hex digits'],
      [
        { unspent: [unspentEntry({ height: '12' })] },
        'unspent[0].height must be null or an integer from 0 to 2147483647',
      ],
      [{ unspent: [unspentEntry({ spendable: 'yes' })] }, 'unspent[0].spendable must be true or false when present'],
      [{ unspent: [unspentEntry({ coinbase: 1 })] }, 'unspent[0].coinbase must be true or false when present'],
      [
        { unspent: [unspentEntry({ spentInMempool: null })] },
        'unspent[0].spentInMempool must be true or false when present',
      ],
      [
        { unspent: [unspentEntry(), unspentEntry({ txid: TXID.toUpperCase() })] },
        `unspent[1] lists ${TXID}:1 a second time`,
      ],
      [
        {
          unspent: [unspentEntry({ amount: MAX_MONEY.toString() }), unspentEntry({ index: 2, amount: '1' })],
        },
        `unspent amounts add up to more than MAX_MONEY (${MAX_MONEY})`,
      ],
      [{ history: null }, 'history must be a JSON array'],
      [
        { history: [{ txid: TXID, height: 1, delta: '+5' }] },
        'history[0].delta must be a decimal string of base units, with "-" when negative',
      ],
      [
        { history: [{ txid: TXID, height: 1, delta: `-${MAX_MONEY + 1n}` }] },
        `history[0].delta must be at most ${MAX_MONEY} base units either way`,
      ],
    ];
    for (const [change, reason] of cases) {
      expect(reasonOf(checkAddressAnswer(addressAnswer(change), ADDRESS))).toBe(reason);
    }
    const edge = addressAnswer({
      balance: MAX_MONEY.toString(),
      unspent: [unspentEntry({ amount: (MAX_MONEY - 1n).toString(), index: 255 }), unspentEntry({ amount: '1' })],
      history: [{ txid: TXID, height: null, delta: `-${MAX_MONEY}` }],
    });
    expect(reasonOf(checkAddressAnswer(edge, ADDRESS))).toBe('accepted');
  });

  it('submit and error answers', () => {
    expect(checkSubmitAnswer({ txid: TXID })).toEqual({ ok: true, value: { txid: TXID } });
    expect(reasonOf(checkSubmitAnswer({ txid: 5 }))).toBe('txid must be 64 hex digits');
    expect(errorReason({ error: 'fee-too-low: fee 1\nfor 191 bytes\u001b[31m' })).toBe(
      'fee-too-low: fee 1 for 191 bytes [31m',
    );
    expect(errorReason({ error: 'x'.repeat(1_000) })).toBe('x'.repeat(300) + '…');
    expect(errorReason({ error: ' \n ' })).toBeUndefined();
    expect(errorReason({ message: 'no' })).toBeUndefined();
  });
});

describe('parseNodeUrl', () => {
  it('takes http(s) URLs (keeping a base path) and host:port, and refuses the rest in one line', () => {
    const url = (text: string) => {
      const verdict = parseNodeUrl(text);
      return verdict.ok ? verdict.value.href : verdict.reason;
    };
    expect(url('http://127.0.0.1:5000')).toBe('http://127.0.0.1:5000/');
    expect(url(' https://node.example/powchain ')).toBe('https://node.example/powchain/');
    expect(url('127.0.0.1:5000')).toBe('http://127.0.0.1:5000/');
    expect(url('localhost:5001')).toBe('http://localhost:5001/');
    expect(url('file:///etc/passwd')).toBe('node URL must start with http:// or https://, got file:');
    expect(url('http://x/?a=1')).toBe('node URL must not have a query or fragment');
    expect(url('http://user:secret@x/')).toBe('node URL must not hold a user name or password');
    expect(url('http://not a host\n')).toBe('node URL "http://not a host" is not a URL (like http://127.0.0.1:5000)');
    expect(url('127.0.0.1:99999')).toBe('node URL "127.0.0.1:99999" is not a URL (like http://127.0.0.1:5000)');
  });
});

describe('NodeClient', () => {
  type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void;
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(
      servers.splice(0).map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    );
  });

  async function node(handler: Handler): Promise<URL> {
    const server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      request.on('end', () => handler(request, response, body));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const verdict = parseNodeUrl(`http://127.0.0.1:${port}/base`);
    if (!verdict.ok) throw new Error(verdict.reason);
    return verdict.value;
  }

  const json = (response: ServerResponse, status: number, body: unknown): void => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  async function failure(promise: Promise<unknown>): Promise<string> {
    try {
      await promise;
    } catch (error) {
      expect(error).toBeInstanceOf(WalletError);
      return (error as Error).message;
    }
    throw new Error('expected a WalletError');
  }

  it('asks the right paths and answers validated values', async () => {
    const seen: string[] = [];
    const url = await node((request, response, body) => {
      seen.push(`${request.method} ${request.url} ${body}`);
      if (request.url === '/base/api/status')
        return json(response, 200, { network: 'powchain', root: ROOT, height: 7 });
      if (request.url === `/base/api/address/${ADDRESS}`) return json(response, 200, addressAnswer());
      if (request.url === '/base/api/tx') return json(response, 200, { txid: TXID });
      json(response, 404, { error: 'no such route' });
    });
    const client = new NodeClient(url);
    expect(await client.status()).toEqual({ network: 'powchain', root: ROOT, height: 7 });
    expect((await client.address(ADDRESS)).balance).toBe(5_000_000_000n);
    expect(await client.submit(new Uint8Array([1, 2, 255]))).toBe(TXID);
    expect(seen).toEqual([
      'GET /base/api/status ',
      `GET /base/api/address/${ADDRESS} `,
      'POST /base/api/tx {"tx":"0102ff"}',
    ]);
    expect(client.name).toBe(`${url.origin}/base`);
  });

  it("says what went wrong in one line: the node's reason, a seed network, a malformed answer", async () => {
    const url = await node((request, response) => {
      if (request.url === '/base/api/tx') return json(response, 400, { error: 'fee-too-low: fee 5 for 191 bytes' });
      if (request.url === '/base/api/status') return response.writeHead(200).end('<html>');
      if (request.url === `/base/api/address/${ADDRESS}`) return json(response, 501, { error: 'no transactions' });
      response.writeHead(502).end('bad gateway');
    });
    const client = new NodeClient(url);
    const name = client.name;
    expect(await failure(client.submit(new Uint8Array([1])))).toBe(
      'the node refused the transaction: fee-too-low: fee 5 for 191 bytes',
    );
    expect(await failure(client.status())).toBe(
      `the node at ${name} sent a malformed answer to GET /api/status: it is not JSON`,
    );
    expect(await failure(client.address(ADDRESS))).toBe(
      `the node at ${name} runs a network without transactions (a seed network): no transactions`,
    );
    expect(await failure(client.address('pow1other'))).toBe(`the node at ${name} answered HTTP 502: no reason given`);
  });

  it('validates what a 200 carries', async () => {
    const url = await node((_request, response) => json(response, 200, addressAnswer({ balance: 'lots' })));
    const client = new NodeClient(url);
    expect(await failure(client.address(ADDRESS))).toBe(
      `the node at ${client.name} sent a malformed answer to GET /api/address/${ADDRESS}: balance must be a decimal string of base units`,
    );
  });

  it('does not follow redirects', async () => {
    const url = await node((_request, response) => response.writeHead(307, { location: 'http://127.0.0.1:1/' }).end());
    const client = new NodeClient(url);
    expect(await failure(client.submit(new Uint8Array([1])))).toBe(
      `the node at ${client.name} answered HTTP 307: no reason given`,
    );
  });

  it('stops reading an answer past the size limit, declared or streamed', async () => {
    const declared = await node((_request, response) =>
      response.writeHead(200, { 'content-length': '100000' }).end('x'.repeat(100_000)),
    );
    const client = new NodeClient(declared, { maxAnswerBytes: 1_000 });
    expect(await failure(client.status())).toBe(`the node at ${client.name} sent an answer larger than 1000 bytes`);
    const streamed = await node((_request, response) => {
      response.writeHead(200);
      // Chunked, no length: a node that never stops sending.
      const send = (): void => {
        if (response.write('x'.repeat(4_096))) setImmediate(send);
        else response.once('drain', send);
      };
      response.on('close', () => response.removeAllListeners('drain'));
      send();
    });
    const streaming = new NodeClient(streamed, { maxAnswerBytes: 50_000 });
    expect(await failure(streaming.status())).toBe(
      `the node at ${streaming.name} sent an answer larger than 50000 bytes`,
    );
  });

  it('times out on a node that does not answer, and says when nothing listens', async () => {
    const silent = await node(() => undefined);
    const client = new NodeClient(silent, { timeoutMs: 200 });
    expect(await failure(client.status())).toBe(`the node at ${client.name} did not answer within 0.2 s`);
    // A port that was just free: nothing listens there.
    const closed = await node(() => undefined);
    const server = servers.pop()!;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const nobody = new NodeClient(closed);
    expect(await failure(nobody.status())).toBe(
      `cannot reach the node at ${nobody.name}: connection refused (is the node running, with its API on?)`,
    );
  });
});
