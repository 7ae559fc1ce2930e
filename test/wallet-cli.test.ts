import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useTempDirs } from './helpers/temp-dirs.js';
import { NO_TRANSACTIONS } from '../src/api/routes.js';
import { bytesToHex, hexToBytes } from '../src/primitives/bytes.js';
import { decodeAddress, encodeAddress } from '../src/primitives/coin-address.js';
import { COIN } from '../src/primitives/params.js';
import { checkTransferSignatures, decodeTx, txid, type TransferTx } from '../src/primitives/tx.js';
import { transferBytes } from '../src/wallet/transfer.js';
import { POWCHAIN_BIN, type CliResult } from './helpers/cli.js';

// The `powchain wallet` command end to end: the built executable against an in-process fake
// node that answers the API the wallet uses (docs/wallet.md) and records what it is sent.

const ROOT = 'a1'.repeat(32);
const PAYEE = encodeAddress(new Uint8Array(20).fill(0x42));

const tempDir = useTempDirs('powchain-wallet-cli-');
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

/** Runs `powchain wallet ...` with HOME set to `home` and the given environment (no passphrase unless given). */
function wallet(args: string[], options: { home?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...process.env, HOME: options.home ?? tempDir(), ...options.env };
  if (!options.env || !('POWCHAIN_PASSPHRASE' in options.env)) delete env.POWCHAIN_PASSPHRASE;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [POWCHAIN_BIN, 'wallet', ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A failure as the brief wants it: nothing on stdout, one `powchain:` line on stderr, exit 1. */
function expectFailure(result: CliResult, message: string): void {
  expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
    code: 1,
    stdout: '',
    stderr: `powchain: ${message}\n`,
  });
}

interface FakeNode {
  url: string;
  network: 'powchain' | 'seed';
  addresses: Map<string, object>;
  posted: TransferTx[];
  requests: string[];
  /** Set to make POST /api/tx answer 400 with this reason. */
  refusal?: string;
  /** Set to make POST /api/tx close the connection without an answer. */
  hangUp?: boolean;
}

async function fakeNode(): Promise<FakeNode> {
  const node: FakeNode = { url: '', network: 'powchain', addresses: new Map(), posted: [], requests: [] };
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const path = request.url ?? '';
      node.requests.push(`${request.method} ${path}`);
      const send = (status: number, json: unknown): void => {
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      };
      if (path === '/api/status') return send(200, { network: node.network, root: ROOT, height: 30, peers: 0 });
      if (node.network === 'seed') return send(501, { error: NO_TRANSACTIONS });
      const address = /^\/api\/address\/(pow1[a-z0-9]+)$/.exec(path)?.[1];
      if (request.method === 'GET' && address) {
        return send(200, node.addresses.get(address) ?? { address, balance: '0', unspent: [], history: [] });
      }
      if (request.method === 'POST' && path === '/api/tx') {
        const decoded = decodeTx(hexToBytes((JSON.parse(body) as { tx: string }).tx));
        if (!decoded.ok || decoded.value.kind !== 'transfer') return send(400, { error: 'malformed: not a transfer' });
        node.posted.push(decoded.value);
        if (node.hangUp) return void request.socket.destroy();
        if (node.refusal) return send(400, { error: node.refusal });
        return send(200, { txid: bytesToHex(txid(decoded.value)) });
      }
      return send(404, { error: `no such route: ${request.method} ${path}` });
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  node.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return node;
}

const hex = (byte: number): string => byte.toString(16).padStart(2, '0').repeat(32);

/** The node's answer for an address holding coins of these amounts (in coins) and kinds. */
function holding(address: string): object {
  return {
    address,
    balance: (112n * COIN).toString(),
    unspent: [
      {
        txid: hex(1),
        index: 0,
        amount: (3n * COIN).toString(),
        height: 4,
        coinbase: false,
        spentInMempool: false,
        spendable: true,
      },
      {
        txid: hex(2),
        index: 1,
        amount: (50n * COIN).toString(),
        height: 10,
        coinbase: true,
        spentInMempool: false,
        spendable: true,
      },
      {
        txid: hex(3),
        index: 0,
        amount: (50n * COIN).toString(),
        height: 29,
        coinbase: true,
        spentInMempool: false,
        spendable: false,
      },
      {
        txid: hex(4),
        index: 2,
        amount: (9n * COIN).toString(),
        height: 12,
        coinbase: false,
        spentInMempool: true,
        spendable: false,
      },
    ],
    history: [
      { txid: hex(5), height: 12, delta: (-41n * COIN - 382n).toString() },
      { txid: hex(3), height: 29, delta: (50n * COIN).toString() },
      { txid: hex(2), height: 10, delta: (50n * COIN).toString() },
    ],
  };
}

/** A test-network wallet in a fresh folder: its path and address. */
async function newWallet(): Promise<{ path: string; address: string }> {
  const path = join(tempDir(), 'wallet.json');
  const made = await wallet(['new', '--insecure-no-passphrase', '--wallet', path]);
  expect(made.code).toBe(0);
  return { path, address: made.stdout.trim() };
}

beforeAll(() => {
  // The executable runs from dist/: built by `npm test` (pretest) and by `npm ci` (prepare).
  expect(existsSync(POWCHAIN_BIN)).toBe(true);
});

describe('powchain wallet new and address', () => {
  it('creates ~/.powchain/wallet.json (0600 in a 0700 folder), prints the address, and never overwrites it', async () => {
    const home = tempDir();
    const made = await wallet(['new', '--insecure-no-passphrase'], { home });
    expect(made.code).toBe(0);
    const address = made.stdout.trim();
    expect(made.stdout).toBe(`${address}\n`);
    expect(decodeAddress(address).ok).toBe(true);
    const path = join(home, '.powchain', 'wallet.json');
    expect(made.stderr).toBe(`wrote ${path}; it has no passphrase: use it on test networks only\n`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, '.powchain')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ address, protected: false });
    expect(await wallet(['address'], { home })).toMatchObject({ code: 0, stdout: `${address}\n`, stderr: '' });
    const before = readFileSync(path, 'utf8');
    expectFailure(
      await wallet(['new', '--insecure-no-passphrase'], { home }),
      `${path} exists already; a wallet is never overwritten`,
    );
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('a passphrase comes from POWCHAIN_PASSPHRASE or a terminal; with neither nothing is written', async () => {
    const path = join(tempDir(), 'wallet.json');
    expectFailure(
      await wallet(['new', '--wallet', path]),
      'no passphrase: set POWCHAIN_PASSPHRASE, or run on a terminal to be asked for it ' +
        '(or use --insecure-no-passphrase for a test network)',
    );
    expectFailure(
      await wallet(['new', '--wallet', path], { env: { POWCHAIN_PASSPHRASE: '' } }),
      'POWCHAIN_PASSPHRASE is empty; an empty passphrase protects nothing: choose one, ' +
        'or use --insecure-no-passphrase for a test network',
    );
    expect(existsSync(path)).toBe(false);
    const made = await wallet(['new', '--wallet', path], { env: { POWCHAIN_PASSPHRASE: 'correct horse' } });
    expect(made.code).toBe(0);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({
      protected: true,
      kdf: { name: 'scrypt', n: 2 ** 17, r: 8, p: 1 },
      cipher: { name: 'aes-256-gcm' },
    });
    expect(made.stderr).toContain('keep a copy of it and of the passphrase');
  });

  it('a missing or damaged wallet file is one line', async () => {
    const dir = tempDir();
    expectFailure(
      await wallet(['address', '--wallet', join(dir, 'none.json')]),
      `no wallet at ${join(dir, 'none.json')} (create one with \`powchain wallet new\`)`,
    );
    writeFileSync(join(dir, 'bad.json'), '{"type": "powchain wallet", "version": 9}');
    expectFailure(
      await wallet(['address', '--wallet', join(dir, 'bad.json')]),
      `${join(dir, 'bad.json')} is not a powchain wallet: version 9 is not one this powchain reads (it reads version 1)`,
    );
  });
});

describe('powchain wallet balance and history', () => {
  it('balance: confirmed, spendable, immature and being spent, in coins; --json the same', async () => {
    const node = await fakeNode();
    const { path, address } = await newWallet();
    node.addresses.set(address, holding(address));
    const text = await wallet(['balance', '--wallet', path, '--node', node.url]);
    expect(text.stderr).toBe('');
    expect(text.stdout).toBe(
      [
        `address      ${address}`,
        'balance      112.00000000 (confirmed)',
        'spendable    53.00000000 in 2 outputs',
        'immature     50.00000000 in 1 output (coinbase outputs, spendable once mature)',
        'being spent  9.00000000 in 1 output (by transfers waiting in the mempool)',
        '',
      ].join('\n'),
    );
    const json = await wallet(['balance', '--wallet', path, '--node', node.url, '--json']);
    expect(JSON.parse(json.stdout)).toEqual({
      address,
      balance: '112.00000000',
      spendable: '53.00000000',
      immature: '50.00000000',
      spending: '9.00000000',
      unconfirmed: '0.00000000',
      locked: '0.00000000',
      outputs: { spendable: 2, immature: 1, spending: 1, unconfirmed: 0, locked: 0 },
    });
    expect(node.requests).toEqual([`GET /api/address/${address}`, `GET /api/address/${address}`]);
  });

  it('history: newest first, signed amounts in coins; --json the same', async () => {
    const node = await fakeNode();
    const { path, address } = await newWallet();
    node.addresses.set(address, holding(address));
    const text = await wallet(['history', '--wallet', path, '--node', node.url]);
    expect(text.stdout).toBe(
      [
        `height        amount  txid`,
        `    29  +50.00000000  ${hex(3)}`,
        `    12  -41.00000382  ${hex(5)}`,
        `    10  +50.00000000  ${hex(2)}`,
        '',
      ].join('\n'),
    );
    const json = await wallet(['history', '--wallet', path, '--node', node.url, '--json']);
    expect(JSON.parse(json.stdout)).toEqual({
      address,
      history: [
        { txid: hex(3), height: 29, amount: '+50.00000000' },
        { txid: hex(5), height: 12, amount: '-41.00000382' },
        { txid: hex(2), height: 10, amount: '+50.00000000' },
      ],
    });
    const empty = await newWallet();
    expect((await wallet(['history', '--wallet', empty.path, '--node', node.url])).stdout).toBe(
      `no transactions yet for ${empty.address}\n`,
    );
  });

  it('a seed node, an unreachable node and a malformed answer are one line each', async () => {
    const node = await fakeNode();
    const { path } = await newWallet();
    node.network = 'seed';
    expectFailure(
      await wallet(['balance', '--wallet', path, '--node', node.url]),
      `the node at ${node.url} runs a network without transactions (a seed network): ${NO_TRANSACTIONS}`,
    );
    const other = await fakeNode();
    const stopped = servers.pop()!;
    await new Promise<void>((resolve) => stopped.close(() => resolve()));
    expectFailure(
      await wallet(['balance', '--wallet', path, '--node', other.url]),
      `cannot reach the node at ${other.url}: connection refused (is the node running, with its API on?)`,
    );
    node.network = 'powchain';
    const broken = await newWallet();
    node.addresses.set(broken.address, { ...holding(broken.address), balance: 12 });
    expectFailure(
      await wallet(['history', '--wallet', broken.path, '--node', node.url]),
      `the node at ${node.url} sent a malformed answer to GET /api/address/${broken.address}: ` +
        'balance must be a decimal string of base units',
    );
  });
});

describe('powchain wallet send', () => {
  it('builds, signs and submits: the posted transaction verifies on the genesis hash and pays the right outputs', async () => {
    const node = await fakeNode();
    const { path, address } = await newWallet();
    node.addresses.set(address, holding(address));
    const result = await wallet(['send', PAYEE, '51.5', '--wallet', path, '--node', node.url]);
    expect(result.code).toBe(0);
    expect(node.posted).toHaveLength(1);
    const tx = node.posted[0]!;
    expect(result.stdout).toBe(`${bytesToHex(txid(tx))}\n`);
    expect(checkTransferSignatures(tx, hexToBytes(ROOT))).toEqual({ ok: true });
    // Largest spendable coins first: the 50-coin coinbase, then the 3-coin output; never the
    // immature coinbase or the output a pending transfer spends.
    expect(tx.inputs.map((input) => `${bytesToHex(input.txid)}:${input.index}`)).toEqual([
      `${hex(2)}:1`,
      `${hex(1)}:0`,
    ]);
    const bytes = transferBytes(2, 2);
    const fee = 2n * BigInt(bytes);
    const own = decodeAddress(address);
    expect(own.ok).toBe(true);
    expect(tx.outputs.map((output) => [encodeAddress(output.keyHash), output.amount])).toEqual([
      [PAYEE, 5_150_000_000n],
      [address, 53n * COIN - 5_150_000_000n - fee],
    ]);
    expect(result.stderr).toBe(
      `sent 51.50000000 to ${PAYEE}, fee 0.00000642 (${bytes} bytes, 2 inputs), change 1.49999358\n`,
    );
    expect(node.requests).toEqual(['GET /api/status', `GET /api/address/${address}`, 'POST /api/tx']);
  });

  it('--fee-rate and --json: the fee follows the rate, the summary is one JSON object', async () => {
    const node = await fakeNode();
    const { path, address } = await newWallet();
    node.addresses.set(address, holding(address));
    const result = await wallet([
      'send',
      PAYEE,
      '1',
      '--fee-rate',
      '7',
      '--json',
      '--wallet',
      path,
      '--node',
      node.url,
    ]);
    expect(result.stderr).toBe('');
    const tx = node.posted[0]!;
    expect(JSON.parse(result.stdout)).toEqual({
      txid: bytesToHex(txid(tx)),
      to: PAYEE,
      amount: '1.00000000',
      fee: '0.00001337',
      change: '48.99998663',
      bytes: 191,
      inputs: 1,
    });
  });

  it('refuses before asking the node: a mistyped address (its checksum), a bad amount, a bad option', async () => {
    const node = await fakeNode();
    const { path } = await newWallet();
    const typo = PAYEE.slice(0, 12) + (PAYEE[12] === 'q' ? 'p' : 'q') + PAYEE.slice(13);
    const send = (...args: string[]) => wallet(['send', ...args, '--wallet', path, '--node', node.url]);
    expectFailure(await send(typo, '1'), `cannot pay "${typo}": address checksum does not match (a typo?)`);
    expectFailure(
      await send('bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq', '1'),
      'cannot pay "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq": address prefix must be "pow", got "bc"',
    );
    expectFailure(
      await send(PAYEE, '1.123456789'),
      'amount must be coins with at most 8 decimals (like 1.5), got "1.123456789"',
    );
    expectFailure(await send(PAYEE, '0'), 'the amount must be more than 0');
    expectFailure(await send(PAYEE, '-1'), 'amount must be coins with at most 8 decimals (like 1.5), got "-1"');
    expectFailure(
      await send(PAYEE, '1', '--fee-rate', '0'),
      "option '--fee-rate <units>' argument '0' is invalid. fee rate must be between 1 and 1000000",
    );
    expect(node.requests).toEqual([]);
  });

  it('insufficient funds at the edge: exactly enough is sent, one unit more is refused', async () => {
    const node = await fakeNode();
    const { path, address } = await newWallet();
    node.addresses.set(address, holding(address));
    // Both spendable coins (53 coins) in a one-output transfer at 2 units per byte.
    const all = 53n * COIN - 2n * BigInt(transferBytes(2, 1));
    const coins = (units: bigint) => `${units / COIN}.${(units % COIN).toString().padStart(8, '0')}`;
    expectFailure(
      await wallet(['send', PAYEE, coins(all + 1n), '--wallet', path, '--node', node.url]),
      `insufficient funds: paying ${coins(all + 1n)} with a fee of 0.00000586 needs 53.00000001, ` +
        'and the wallet can spend 53.00000000 (59.00000000 more is not spendable yet)',
    );
    expect(node.posted).toEqual([]);
    const sent = await wallet(['send', PAYEE, coins(all), '--wallet', path, '--node', node.url]);
    expect(sent.code).toBe(0);
    expect(node.posted[0]!.outputs.map((output) => output.amount)).toEqual([all]);
  });

  it("the node's refusal, a lost answer, a seed network and a wrong passphrase are one line each", async () => {
    const node = await fakeNode();
    const { path, address } = await newWallet();
    node.addresses.set(address, holding(address));
    node.refusal = 'fee-too-low: fee 382 for 191 bytes is below the minimum of 3 per byte (573)';
    expectFailure(
      await wallet(['send', PAYEE, '1', '--wallet', path, '--node', node.url]),
      `the node refused the transaction: ${node.refusal}`,
    );
    node.refusal = undefined;
    node.hangUp = true;
    const lost = await wallet(['send', PAYEE, '1', '--wallet', path, '--node', node.url]);
    expectFailure(
      lost,
      `cannot reach the node at ${node.url}: the connection was closed; ` +
        `transaction ${bytesToHex(txid(node.posted.at(-1)!))} may or may not have reached it`,
    );
    node.hangUp = false;
    node.network = 'seed';
    expectFailure(
      await wallet(['send', PAYEE, '1', '--wallet', path, '--node', node.url]),
      `the node at ${node.url} runs the seed network, which has no transactions`,
    );
    node.network = 'powchain';
    node.refusal = undefined;
    const protectedPath = join(tempDir(), 'wallet.json');
    const env = { POWCHAIN_PASSPHRASE: 'correct horse' };
    const made = await wallet(['new', '--wallet', protectedPath], { env });
    const protectedAddress = made.stdout.trim();
    node.addresses.set(protectedAddress, holding(protectedAddress));
    expectFailure(
      await wallet(['send', PAYEE, '1', '--wallet', protectedPath, '--node', node.url], {
        env: { POWCHAIN_PASSPHRASE: 'wrong horse' },
      }),
      `cannot open the wallet ${protectedPath}: wrong passphrase, or the file was altered (its authentication tag does not match)`,
    );
    expectFailure(
      await wallet(['send', PAYEE, '1', '--wallet', protectedPath, '--node', node.url]),
      'no passphrase: set POWCHAIN_PASSPHRASE, or run on a terminal to be asked for it',
    );
    const sent = await wallet(['send', PAYEE, '1', '--wallet', protectedPath, '--node', node.url], { env });
    expect(sent.code).toBe(0);
    expect(checkTransferSignatures(node.posted.at(-1)!, hexToBytes(ROOT))).toEqual({ ok: true });
  });

  it('a wallet file whose address was changed does not sign', async () => {
    const node = await fakeNode();
    const { path, address } = await newWallet();
    const other = await newWallet();
    writeFileSync(path, readFileSync(path, 'utf8').replace(address, other.address));
    node.addresses.set(other.address, holding(other.address));
    expectFailure(
      await wallet(['send', PAYEE, '1', '--wallet', path, '--node', node.url]),
      `cannot open the wallet ${path}: wrong passphrase, or the file was altered (its authentication tag does not match)`,
    );
    expect(node.posted).toEqual([]);
  });
});

describe('powchain wallet on a terminal', () => {
  /**
   * Runs `powchain wallet ...` on a pseudo-terminal (util-linux `script`), typing each answer
   * once the output so far holds its prompt; answers the whole output.
   */
  function onTerminal(args: string[], answers: Array<[prompt: string, typed: string]>): Promise<CliResult> {
    const quoted = [process.execPath, POWCHAIN_BIN, 'wallet', ...args].map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`);
    const env: Record<string, string | undefined> = { ...process.env, HOME: tempDir() };
    delete env.POWCHAIN_PASSPHRASE;
    return new Promise((resolve, reject) => {
      const child = spawn('script', ['-q', '-e', '-c', quoted.join(' '), '/dev/null'], { env });
      let output = '';
      // Each prompt is looked for after the previous one, so a prompt asked twice is answered twice.
      let searchFrom = 0;
      const pending = [...answers];
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
        const next = pending[0];
        const at = next ? output.indexOf(next[0], searchFrom) : -1;
        if (next && at >= 0) {
          pending.shift();
          searchFrom = at + next[0].length;
          child.stdin.write(next[1] + '\r');
        }
      });
      child.stderr.resume();
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout: output, stderr: '' });
      });
    });
  }

  it('asks twice for a new wallet and once to send, echoing nothing typed', async () => {
    const node = await fakeNode();
    const path = join(tempDir(), 'wallet.json');
    const made = await onTerminal(
      ['new', '--wallet', path],
      [
        ['passphrase for the new wallet: ', 'tty horse'],
        ['the same passphrase again: ', 'tty horse'],
      ],
    );
    expect(made.code).toBe(0);
    expect(made.stdout).not.toContain('tty horse');
    const address = JSON.parse(readFileSync(path, 'utf8')).address as string;
    expect(made.stdout).toContain(address);
    node.addresses.set(address, holding(address));
    const sent = await onTerminal(
      ['send', PAYEE, '2', '--wallet', path, '--node', node.url],
      [[`passphrase for ${path}: `, 'tty horse']],
    );
    expect(sent.code).toBe(0);
    expect(sent.stdout).not.toContain('tty horse');
    expect(node.posted).toHaveLength(1);
    expect(sent.stdout).toContain(bytesToHex(txid(node.posted[0]!)));
    const differ = await onTerminal(
      ['new', '--wallet', join(tempDir(), 'wallet.json')],
      [
        ['passphrase for the new wallet: ', 'one'],
        ['the same passphrase again: ', 'two'],
      ],
    );
    expect(differ.code).toBe(1);
    expect(differ.stdout).toContain('powchain: the two passphrases differ; nothing was written');
  });
});
