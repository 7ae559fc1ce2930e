/**
 * Fuzzing the wallet's edges: whatever a key file holds and whatever a node answers, the
 * wallet answers a value or a one-line refusal, and nothing throws past the edge.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAddressAnswer, checkStatusAnswer, checkSubmitAnswer, errorReason } from '../src/wallet/api-answers.js';
import { NodeClient, parseNodeUrl } from '../src/wallet/api-client.js';
import { WalletError } from '../src/wallet/errors.js';
import { MIN_SCRYPT_N, formatKeyFile, openKeyFile, parseKeyFile, sealSeed } from '../src/wallet/key-file.js';
import { readKeyFile } from '../src/wallet/key-store.js';
import { sortCoins } from '../src/wallet/coins.js';
import { buildTransfer, planTransfer } from '../src/wallet/transfer.js';
import { keyPairFromSeed } from '../src/primitives/keys.js';
import { MAX_MONEY } from '../src/primitives/params.js';

const ADDRESS = 'pow1rlwdppnldc0tzathkuj4qwsyq934gh99wxkgzq';
const TXID = 'ab'.repeat(32);

type Verdict = { ok: true } | { ok: false; reason: string };

function oneLineVerdict(verdict: Verdict): void {
  if (!verdict.ok) {
    expect(typeof verdict.reason).toBe('string');
    expect(verdict.reason).not.toMatch(/[\n\r]/);
  }
}

/** A JSON value with one thing changed at a random depth: a value replaced, a field removed or added. */
function mutated(value: unknown): fc.Arbitrary<unknown> {
  const replacement = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom(null, -1, 0, 1.5, 2 ** 53, 1e308, '', '0', '-0', '01', 'x'.repeat(70), TXID.toUpperCase()),
  );
  if (Array.isArray(value)) {
    if (value.length === 0)
      return fc.oneof(
        fc.constant(value),
        replacement.map((item) => [item]),
      );
    return fc.oneof(
      replacement,
      fc.nat(value.length - 1).chain((i) => mutated(value[i]).map((item) => value.map((v, j) => (i === j ? item : v)))),
      fc.constant([...value, ...value]),
    );
  }
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value);
    const object = value as Record<string, unknown>;
    const added = fc.tuple(fc.string({ maxLength: 8 }), replacement).map(([key, item]) => ({ ...object, [key]: item }));
    if (keys.length === 0) return fc.oneof(replacement, added);
    return fc.oneof(
      replacement,
      fc.constantFrom(...keys).chain((key) => mutated(object[key]).map((item) => ({ ...object, [key]: item }))),
      fc.constantFrom(...keys).map((key) => Object.fromEntries(Object.entries(object).filter(([k]) => k !== key))),
      added,
    );
  }
  return replacement;
}

const answers = {
  status: { network: 'powchain', root: TXID, height: 12, peers: 3 },
  address: {
    address: ADDRESS,
    balance: '5000000000',
    unspent: [
      { txid: TXID, index: 0, amount: '5000000000', height: 3, coinbase: true, spentInMempool: false, spendable: true },
    ],
    history: [{ txid: TXID, height: 3, delta: '5000000000' }],
  },
  submit: { txid: TXID },
};

describe('fuzzing the key file reader', () => {
  let validText = '';
  let dir = '';
  beforeAll(async () => {
    validText = formatKeyFile(
      await sealSeed(new Uint8Array(32).fill(9), 'pass', { scrypt: { n: MIN_SCRYPT_N, r: 1, p: 1 } }),
    );
    dir = mkdtempSync(join(tmpdir(), 'powchain-fuzz-wallet-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('random text, random JSON and mutated key files: a value or a one-line refusal', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.json({ maxDepth: 3 }),
      mutated(JSON.parse(validText)).map((json) => JSON.stringify(json)),
      fc
        .tuple(fc.nat(validText.length - 1), fc.string({ minLength: 1, maxLength: 3 }))
        .map(([at, insert]) => validText.slice(0, at) + insert + validText.slice(at + 1)),
    );
    fc.assert(
      fc.property(text, (candidate) => oneLineVerdict(parseKeyFile(candidate))),
      { numRuns: 3_000 },
    );
  });

  it('mutated files that still parse never open with the passphrase unless unchanged, and never throw', async () => {
    // Only the clear fields that cost nothing to try are mutated here (the KDF's are bounded
    // by the parser, tested in test/wallet-key-file.test.ts).
    const original = JSON.parse(validText) as Record<string, unknown>;
    const flips = fc.record({
      field: fc.constantFrom('encryptedSeed', 'cipher.iv', 'cipher.tag', 'kdf.salt'),
      at: fc.nat(63),
      digit: fc.constantFrom(...'0123456789abcdef'),
    });
    await fc.assert(
      fc.asyncProperty(flips, async ({ field, at, digit }) => {
        const json = structuredClone(original);
        const [outer, inner] = field.split('.') as [string, string | undefined];
        const holder = (inner ? json[outer] : json) as Record<string, string>;
        const key = inner ?? outer;
        const old = holder[key]!;
        const i = at % old.length;
        holder[key] = old.slice(0, i) + digit + old.slice(i + 1);
        const parsed = parseKeyFile(JSON.stringify(json));
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        const opened = await openKeyFile(parsed.value, 'pass');
        oneLineVerdict(opened);
        expect(opened.ok).toBe(holder[key] === old);
      }),
      { numRuns: 100 },
    );
  });

  it('readKeyFile on random file contents: a key file or a WalletError', () => {
    const path = join(dir, 'wallet.json');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 5_000 }),
          mutated(JSON.parse(validText)).map((json) => JSON.stringify(json) ?? ''),
        ),
        (content) => {
          writeFileSync(path, content);
          try {
            readKeyFile(path);
          } catch (error) {
            expect(error).toBeInstanceOf(WalletError);
            expect((error as Error).message).not.toMatch(/[\n\r]/);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("fuzzing the node's answers", () => {
  it('random JSON and mutated answers: a value or a one-line refusal from every validator', () => {
    const anything = fc.oneof(fc.anything({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 3 }));
    const checks: Array<[unknown, (json: unknown) => Verdict]> = [
      [answers.status, checkStatusAnswer],
      [answers.address, (json) => checkAddressAnswer(json, ADDRESS)],
      [answers.submit, checkSubmitAnswer],
    ];
    for (const [valid, check] of checks) {
      fc.assert(
        fc.property(fc.oneof(anything, mutated(valid), mutated(valid).chain(mutated)), (json) => {
          oneLineVerdict(check(json));
          const reason = errorReason(json);
          if (reason !== undefined) expect(reason).not.toMatch(/[\n\r]/);
        }),
        { numRuns: 2_000 },
      );
    }
  });

  it('whatever coins a valid answer lists, planning and signing a payment from them never throws', () => {
    const keys = keyPairFromSeed(new Uint8Array(32).fill(3));
    const entry = fc.record({
      txid: fc.constantFrom(TXID, 'cd'.repeat(32), TXID.toUpperCase()),
      index: fc.integer({ min: 0, max: 3 }),
      amount: fc.oneof(fc.bigInt({ min: 1n, max: MAX_MONEY }), fc.constantFrom(1n, MAX_MONEY)).map(String),
      height: fc.option(fc.nat(100), { nil: null }),
      spendable: fc.option(fc.boolean(), { nil: undefined }),
      coinbase: fc.option(fc.boolean(), { nil: undefined }),
    });
    const answer = fc.array(entry, { maxLength: 8 }).map((unspent) => ({
      address: ADDRESS,
      balance: '0',
      unspent: unspent.map((coin) => JSON.parse(JSON.stringify(coin)) as unknown),
      history: [],
    }));
    fc.assert(
      fc.property(
        answer,
        fc.bigInt({ min: 0n, max: MAX_MONEY }),
        fc.bigInt({ min: 1n, max: 1_000_000n }),
        (json, amount, feeRate) => {
          const checked = checkAddressAnswer(json, ADDRESS);
          oneLineVerdict(checked);
          if (!checked.ok) return;
          const plan = planTransfer({ coins: sortCoins(checked.value.unspent).spendable, amount, feeRate });
          oneLineVerdict(plan);
          if (plan.ok)
            expect(buildTransfer(plan.value, keys, new Uint8Array(20), new Uint8Array(32)).encoded).toHaveLength(
              plan.value.bytes,
            );
        },
      ),
      { numRuns: 300 },
    );
  });

  describe('over HTTP', () => {
    let server: Server;
    let reply: { status: number; body: Buffer } = { status: 200, body: Buffer.alloc(0) };
    let client: NodeClient;
    beforeAll(async () => {
      server = createServer((request, response) => {
        request.resume();
        request.on('end', () => response.writeHead(reply.status).end(reply.body));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = parseNodeUrl(`127.0.0.1:${(server.address() as AddressInfo).port}`);
      if (!url.ok) throw new Error(url.reason);
      client = new NodeClient(url.value, { timeoutMs: 5_000 });
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('any status and body: the client answers a value or a one-line WalletError', async () => {
      const body = fc.oneof(
        fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
        fc
          .oneof(
            fc.jsonValue({ maxDepth: 3 }),
            mutated(answers.address),
            mutated(answers.status),
            mutated(answers.submit),
          )
          .map((json) => Buffer.from(JSON.stringify(json) ?? '')),
      );
      const status = fc.constantFrom(200, 200, 200, 201, 204, 301, 400, 404, 429, 500, 501, 503);
      await fc.assert(
        fc.asyncProperty(status, body, fc.constantFrom('status', 'address', 'submit'), async (code, content, call) => {
          reply = { status: code, body: content };
          try {
            if (call === 'status') await client.status();
            else if (call === 'address') await client.address(ADDRESS);
            else await client.submit(new Uint8Array([1, 2, 3]));
          } catch (error) {
            expect(error).toBeInstanceOf(WalletError);
            expect((error as Error).message).not.toMatch(/[\n\r]/);
          }
        }),
        { numRuns: 300 },
      );
    });
  });
});
