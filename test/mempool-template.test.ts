import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../src/consensus/ledger/ledger.js';
import { Mempool, type AddVerdict } from '../src/consensus/ledger/mempool.js';
import { coinbaseBytes, templateBudget, templateTransactions } from '../src/consensus/ledger/template.js';
import { bytesToHex } from '../src/primitives/bytes.js';
import { subsidy } from '../src/primitives/params.js';
import {
  FAST_LAYOUT_CHUNK,
  FAST_LAYOUT_OFFSET,
  PAYLOAD_VERSION,
  encodePayload,
  padForFastLayout,
  type BlockPayload,
} from '../src/primitives/payload.js';
import { MAX_TARGET } from '../src/primitives/limits.js';
import { encodeTx, type TransferTx } from '../src/primitives/tx.js';
import {
  GENESIS_HASH,
  GENESIS_HEX,
  KEYS,
  MINER,
  TEST_PARAMS,
  hashOf,
  hexTxid,
  transfer,
} from './helpers/ledger-chain.js';
import { BOB, CAROL, poolFixture } from './helpers/mempool-fixture.js';

const ONE_OUT_BYTES = 163;
const feeAt = (rate: number): bigint => BigInt(rate * ONE_OUT_BYTES);

function ok(verdict: AddVerdict): void {
  if (!verdict.ok) throw new Error(`${verdict.reason}: ${verdict.detail}`);
}

const ids = (txs: TransferTx[]): string[] => txs.map(hexTxid);

describe('Mempool.select', () => {
  it('takes the highest fee rates that fit, up to the byte budget exactly', () => {
    const { ledger, spend } = poolFixture();
    const pool = new Mempool();
    const [low, high, middle] = [1, 3, 2].map((rate, i) => spend(i, feeAt(rate))) as [
      TransferTx,
      TransferTx,
      TransferTx,
    ];
    for (const tx of [low, high, middle]) ok(pool.add(tx, ledger));
    const next = ledger.height + 1;
    expect(ids(pool.select(3 * ONE_OUT_BYTES, ledger, next).transactions)).toEqual(ids([high, middle, low]));
    expect(pool.select(2 * ONE_OUT_BYTES, ledger, next)).toEqual({
      transactions: [high, middle],
      fees: feeAt(5),
      bytes: 2 * ONE_OUT_BYTES,
    });
    expect(ids(pool.select(2 * ONE_OUT_BYTES - 1, ledger, next).transactions)).toEqual(ids([high]));
    expect(pool.select(ONE_OUT_BYTES - 1, ledger, next)).toEqual({ transactions: [], fees: 0n, bytes: 0 });
  });

  it('takes equal fee rates in arrival order', () => {
    const { ledger, spend } = poolFixture();
    const pool = new Mempool();
    const txs = [0, 1, 2, 3, 4, 5, 6].map((i) => spend(i, feeAt(2)));
    for (const tx of txs) ok(pool.add(tx, ledger));
    const next = ledger.height + 1;
    expect(ids(pool.select(10_000, ledger, next).transactions)).toEqual(ids(txs));
    expect(ids(pool.select(3 * ONE_OUT_BYTES, ledger, next).transactions)).toEqual(ids(txs.slice(0, 3)));
  });

  it('orders by fee per byte, not by fee', () => {
    const { ledger, spend, fanOut, amount } = poolFixture();
    const pool = new Mempool();
    // 3/byte on 163 bytes; 2.9/byte on 191 bytes (a larger fee).
    const dense = spend(0, feeAt(3));
    const wide = transfer(
      [{ from: fanOut, index: 1, key: KEYS[1]! }],
      [
        [1_000n, BOB],
        [amount - 1_000n - 554n, CAROL],
      ],
    );
    expect(encodeTx(wide).length).toBe(191);
    ok(pool.add(wide, ledger));
    ok(pool.add(dense, ledger));
    expect(ids(pool.select(10_000, ledger, ledger.height + 1).transactions)).toEqual(ids([dense, wide]));
  });

  it('counts a child with its parent (child pays for parent) and puts the parent first', () => {
    const { ledger, spend } = poolFixture();
    const pool = new Mempool();
    const parent = spend(0, feeAt(1));
    const child = transfer([{ from: parent, index: 0, key: BOB }], [[parent.outputs[0]!.amount - feeAt(9), CAROL]]);
    const other = spend(1, feeAt(3));
    for (const tx of [parent, child, other]) ok(pool.add(tx, ledger));
    const next = ledger.height + 1;
    // The package pays 5/byte, more than the other's 3.
    expect(ids(pool.select(2 * ONE_OUT_BYTES, ledger, next).transactions)).toEqual(ids([parent, child]));
    // Room for one: the package does not fit, the other does.
    expect(ids(pool.select(ONE_OUT_BYTES, ledger, next).transactions)).toEqual(ids([other]));
  });

  it('leaves out a transfer whose coinbase input is immature at the height asked, with its descendants', () => {
    const { ledger, coinbases } = poolFixture();
    const pool = new Mempool();
    const spendsCoinbase = transfer([{ from: coinbases[1]!, index: 0, key: MINER }], [[1_000_000n, BOB]]);
    const child = transfer([{ from: spendsCoinbase, index: 0, key: BOB }], [[900_000n, CAROL]]);
    ok(pool.add(spendsCoinbase, ledger));
    ok(pool.add(child, ledger));
    // The coinbase of height 2 matures at height 5 (the next block).
    expect(pool.select(10_000, ledger, 4).transactions).toEqual([]);
    expect(ids(pool.select(10_000, ledger, 5).transactions)).toEqual(ids([spendsCoinbase, child]));
  });
});

describe('templateTransactions', () => {
  it('pays subsidy + fees to the miner and makes a block the ledger accepts without verifying again', () => {
    const { ledger, tree, spend } = poolFixture();
    const pool = new Mempool();
    for (let i = 0; i < 5; i++) ok(pool.add(spend(i, feeAt(i + 1)), ledger));
    const tag = new TextEncoder().encode('127.0.0.1:5000:0');
    const template = templateTransactions(ledger, pool, { tag, payTo: hashOf(KEYS[4]!) });
    const fees = feeAt(15);
    expect(template.height).toBe(5);
    expect(template.fees).toBe(fees);
    expect(template.transactions[0]).toEqual({
      kind: 'coinbase',
      height: 5,
      tag,
      outputs: [{ amount: subsidy(ledger.params, 5) + fees, keyHash: hashOf(KEYS[4]!) }],
    });
    expect(encodeTx(template.transactions[0]!).length).toBe(coinbaseBytes(tag.length));
    const block = tree.block(ledger.tip, [], { transactions: template.transactions });
    const before = ledger.signatures.stats.verifications;
    expect(ledger.checkBlock(block)).toEqual({ ok: true, fees });
    expect(ledger.signatures.stats.verifications).toBe(before);
  });

  it('fills a 32 KiB block with 1-in-2-out transfers and still fits after fast-layout padding', () => {
    const { ledger, tree, fanOut, amount } = poolFixture(256);
    const pool = new Mempool();
    const tag = new TextEncoder().encode('192.168.100.200:65535:12');
    for (let i = 0; i < 256; i++) {
      const half = amount / 2n;
      ok(
        pool.add(
          transfer(
            [{ from: fanOut, index: i, key: KEYS[1]! }],
            [
              [half, BOB],
              [half - 500n, CAROL],
            ],
          ),
          ledger,
        ),
      );
    }
    const transferBytes = encodeTx(pool.entries().next().value!.tx).length;
    expect(transferBytes).toBe(191);
    const template = templateTransactions(ledger, pool, { tag, payTo: hashOf(MINER) });
    const budget = templateBudget(ledger.params, tag.length);
    expect(budget).toBe(ledger.params.maxBlockBytes - 47 - coinbaseBytes(tag.length) - (FAST_LAYOUT_CHUNK - 1));
    expect(template.transactions.length - 1).toBe(Math.floor(budget / 191));
    const payload: BlockPayload = {
      version: PAYLOAD_VERSION,
      height: template.height,
      time: 5_000,
      target: MAX_TARGET,
      transactions: template.transactions,
    };
    const encoded = encodePayload(padForFastLayout(payload));
    expect(encoded.length).toBeLessThanOrEqual(ledger.params.maxBlockBytes);
    expect((encoded.length + 32) % FAST_LAYOUT_CHUNK).toBe(FAST_LAYOUT_OFFSET);
    const block = tree.block(ledger.tip, [], { transactions: padForFastLayout(payload).transactions });
    expect(ledger.checkBlock(block)).toEqual({ ok: true, fees: template.fees });
  });

  it('takes a miner tag of MAX_MINER_TAG_BYTES and refuses one byte more', () => {
    const { ledger } = poolFixture(4);
    const template = templateTransactions(ledger, new Mempool(), { tag: new Uint8Array(65), payTo: hashOf(MINER) });
    expect(template.transactions).toHaveLength(1);
    expect(() =>
      templateTransactions(ledger, new Mempool(), { tag: new Uint8Array(66), payTo: hashOf(MINER) }),
    ).toThrow(new RangeError('miner tag is 66 bytes, at most 65'));
  });

  it('refuses a payTo that is not a 20-byte key hash', () => {
    const { ledger } = poolFixture(4);
    for (const length of [19, 21]) {
      expect(() =>
        templateTransactions(ledger, new Mempool(), { tag: new Uint8Array(1), payTo: new Uint8Array(length) }),
      ).toThrow(new RangeError('payTo must be 20 bytes'));
    }
  });

  it('pays a reward of one base unit, and has a coinbase without outputs once the subsidy is 0', () => {
    const payTo = hashOf(MINER);
    const at = (height: number) =>
      templateTransactions(
        Ledger.fromState(TEST_PARAMS, GENESIS_HASH, { tip: GENESIS_HEX, height, coins: [], undo: [] }),
        new Mempool(),
        { tag: new Uint8Array(1), payTo },
      ).transactions[0]!.outputs;
    // Halvings every 8 blocks: 50 coins halved 32 times is 1 base unit, 33 times is 0.
    expect([subsidy(TEST_PARAMS, 263), subsidy(TEST_PARAMS, 264)]).toEqual([1n, 0n]);
    expect(at(262)).toEqual([{ amount: 1n, keyHash: payTo }]);
    expect(at(263)).toEqual([]);
  });
});

/** One step of building a random pool: spend a fan-out coin, or an output of an earlier pool transfer. */
const stepArbitrary = fc.record({
  fromPool: fc.boolean(),
  pick: fc.nat(),
  rate: fc.integer({ min: 1, max: 40 }),
  outputs: fc.integer({ min: 1, max: 3 }),
});

describe('Mempool.select property', () => {
  it('is within budget, parents first, maximal, and a block the ledger accepts with the fees it claims', () => {
    fc.assert(
      fc.property(
        fc.array(stepArbitrary, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 4_000 }),
        (steps, budget) => {
          const { ledger, tree, fanOut, amount } = poolFixture(16);
          const pool = new Mempool();
          const open: { tx: TransferTx; index: number; amount: bigint; owner: (typeof KEYS)[number] }[] = [];
          let nextFanOut = 0;
          for (const step of steps) {
            let source;
            if (step.fromPool && open.length > 0) source = open.splice(step.pick % open.length, 1)[0]!;
            else if (nextFanOut < 16) source = { tx: fanOut, index: nextFanOut++, amount, owner: KEYS[1]! };
            else continue;
            const bytes = 1 + 2 + 130 + 2 + 28 * step.outputs;
            const share = (source.amount - BigInt(step.rate * bytes)) / BigInt(step.outputs);
            if (share < 1n) continue;
            const payee = KEYS[2 + (step.pick % 5)]!;
            const tx = transfer(
              [{ from: source.tx, index: source.index, key: source.owner }],
              Array.from({ length: step.outputs }, () => [share, payee] as const),
            );
            if (!pool.add(tx, ledger).ok) continue;
            tx.outputs.forEach((_, index) => open.push({ tx, index, amount: share, owner: payee }));
          }

          const selection = pool.select(budget, ledger, ledger.height + 1);
          const chosen = new Set<string>();
          let bytes = 0;
          let fees = 0n;
          for (const tx of selection.transactions) {
            const id = hexTxid(tx);
            for (const input of tx.inputs) {
              const parent = bytesToHex(input.txid);
              if (pool.has(parent)) expect(chosen.has(parent)).toBe(true);
            }
            chosen.add(id);
            bytes += pool.get(id)!.bytes;
            fees += pool.get(id)!.fee;
          }
          expect(chosen.size).toBe(selection.transactions.length);
          expect([selection.bytes, selection.fees]).toEqual([bytes, fees]);
          expect(bytes).toBeLessThanOrEqual(budget);
          // Maximal: nothing left out would still fit with its unchosen ancestors.
          for (const entry of pool.entries()) {
            if (chosen.has(entry.txid)) continue;
            let packageBytes = 0;
            const stack = [entry.txid];
            const seen = new Set<string>();
            while (stack.length > 0) {
              const id = stack.pop()!;
              if (seen.has(id) || chosen.has(id)) continue;
              seen.add(id);
              packageBytes += pool.get(id)!.bytes;
              for (const input of pool.get(id)!.tx.inputs) {
                if (pool.has(bytesToHex(input.txid))) stack.push(bytesToHex(input.txid));
              }
            }
            expect(bytes + packageBytes).toBeGreaterThan(budget);
          }
          const block = tree.block(ledger.tip, selection.transactions, { fees: selection.fees });
          expect(ledger.checkBlock(block)).toEqual({ ok: true, fees: selection.fees });
        },
      ),
      { numRuns: 40 },
    );
  });
});
