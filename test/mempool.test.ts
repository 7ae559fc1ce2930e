import { describe, expect, it } from 'vitest';
import { Mempool, type AddVerdict, type LedgerView, type MempoolLimits } from '../src/consensus/ledger/mempool.js';
import type { Coin } from '../src/consensus/ledger/coins.js';
import { transferBudget } from '../src/consensus/ledger/template.js';
import { bytesToHex } from '../src/primitives/bytes.js';
import { signMessage } from '../src/primitives/keys.js';
import { MAX_MONEY } from '../src/primitives/params.js';
import { encodeTx, signatureDigest, txid, type TransferTx } from '../src/primitives/tx.js';
import { GENESIS_HASH, MINER, hashOf, hexTxid, transfer } from './helpers/ledger-chain.js';
import { ALICE, BOB, CAROL, poolFixture } from './helpers/mempool-fixture.js';

/** Fee of a one-input, one-output transfer at `rate` base units per byte (163 bytes). */
const ONE_OUT_BYTES = 163;
const feeAt = (rate: number): bigint => BigInt(rate * ONE_OUT_BYTES);

const reason = (verdict: { ok: boolean; reason?: string; detail?: string }): string =>
  verdict.ok ? 'accepted' : `${verdict.reason}: ${verdict.detail}`;

function added(verdict: AddVerdict): string[] {
  if (!verdict.ok) throw new Error(`${verdict.reason}: ${verdict.detail}`);
  return verdict.evicted;
}

const ids = (txs: TransferTx[]): string[] => txs.map(hexTxid);

function setup(limits: MempoolLimits = {}) {
  const fixture = poolFixture();
  return { ...fixture, pool: new Mempool(limits) };
}

/** `tx` with its first signature byte flipped (the txid stays). */
function badlySigned(tx: TransferTx): TransferTx {
  const signature = tx.inputs[0]!.signature.slice();
  signature[0]! ^= 1;
  return { ...tx, inputs: [{ ...tx.inputs[0]!, signature }, ...tx.inputs.slice(1)] };
}

describe('Mempool: admission', () => {
  it('accepts a valid transfer, and precheck answers the same without adding it', () => {
    const { ledger, pool, spend } = setup();
    const tx = spend(0, feeAt(2));
    expect(encodeTx(tx).length).toBe(ONE_OUT_BYTES);
    expect(pool.precheck(tx, ledger)).toEqual({ ok: true, txid: hexTxid(tx), fee: feeAt(2), bytes: ONE_OUT_BYTES });
    expect(pool.size).toBe(0);
    expect(pool.add(tx, ledger)).toEqual({ ok: true, txid: hexTxid(tx), evicted: [] });
    expect([pool.size, pool.bytes]).toEqual([1, ONE_OUT_BYTES]);
    expect(pool.get(hexTxid(tx))).toMatchObject({ tx, fee: feeAt(2), bytes: ONE_OUT_BYTES, feeRate: 2 });
    expect([...pool.entries()].map((entry) => entry.txid)).toEqual([hexTxid(tx)]);
  });

  it('refuses a coinbase, a malformed transfer and one larger than the limit (at the edge)', () => {
    const { ledger, pool, spend, coinbases, fanOut } = setup({ maxTxBytes: ONE_OUT_BYTES });
    expect(reason(pool.add(coinbases[1]!, ledger))).toBe(
      'not-transfer: a coinbase is only valid as the first transaction of a block',
    );
    const unsigned = {
      kind: 'transfer' as const,
      inputs: [0, 0].map((index) => ({ txid: txid(fanOut), index, publicKey: ALICE.publicKey })),
      outputs: [{ amount: 1n, keyHash: new Uint8Array(20) }],
    };
    const signature = signMessage(signatureDigest(unsigned, GENESIS_HASH), ALICE.privateKey);
    const doubled: TransferTx = { ...unsigned, inputs: unsigned.inputs.map((input) => ({ ...input, signature })) };
    expect(reason(pool.add(doubled, ledger))).toBe('malformed: input 1 spends the same output as input 0');
    expect(reason(new Mempool({ maxTxBytes: ONE_OUT_BYTES - 1 }).add(spend(0, feeAt(1)), ledger))).toBe(
      `too-large: transaction is ${ONE_OUT_BYTES} bytes, at most ${ONE_OUT_BYTES - 1}`,
    );
    expect(reason(pool.add(spend(0, feeAt(1)), ledger))).toBe('accepted');
    const twoOutputs = transfer(
      [{ from: fanOut, index: 1, key: ALICE }],
      [
        [1_000n, BOB],
        [1_000n, CAROL],
      ],
    );
    expect(reason(pool.add(twoOutputs, ledger))).toBe(`too-large: transaction is 191 bytes, at most ${ONE_OUT_BYTES}`);
  });

  it('never accepts a transfer larger than a block template can hold', () => {
    const { ledger, spend } = setup();
    const pool = new Mempool({ maxTxBytes: 1_000_000 });
    // The same ledger seen by a network of 1 KiB blocks.
    const small: LedgerView = {
      params: { ...ledger.params, maxBlockBytes: 1_024 },
      genesisHash: ledger.genesisHash,
      signatures: ledger.signatures,
      height: ledger.height,
      coinAt: (key) => ledger.coinAt(key),
    };
    const budget = transferBudget(small.params);
    const tx = spend(0, feeAt(1));
    const wide = (outputs: number) =>
      transfer(
        [{ from: tx, index: 0, key: BOB }],
        Array.from({ length: outputs }, () => [1n, CAROL] as const),
      );
    const fits = Math.floor((budget - ONE_OUT_BYTES) / 28) + 1;
    expect(encodeTx(wide(fits)).length).toBeLessThanOrEqual(budget);
    expect(reason(pool.precheck(wide(fits), small))).toMatch(/^missing-inputs:/);
    expect(reason(pool.precheck(wide(fits + 1), small))).toBe(
      `too-large: transaction is ${encodeTx(wide(fits + 1)).length} bytes, at most ${budget}`,
    );
  });

  it('refuses what it holds (also with other signature bytes), what the chain holds, and spends of missing outputs', () => {
    const { ledger, pool, spend, fanOut } = setup();
    const tx = spend(0, feeAt(1));
    added(pool.add(tx, ledger));
    expect(reason(pool.add(tx, ledger))).toBe(`already-known: transaction ${hexTxid(tx)} is in the pool`);
    expect(reason(pool.add(badlySigned(tx), ledger))).toBe(`already-known: transaction ${hexTxid(tx)} is in the pool`);
    expect(reason(pool.add(fanOut, ledger))).toBe(
      `already-confirmed: transaction ${hexTxid(fanOut)} has unspent outputs in the chain`,
    );
    const ghost = transfer([{ from: new Uint8Array(32).fill(7), index: 3, key: ALICE }], [[5n, BOB]]);
    expect(reason(pool.add(ghost, ledger))).toBe(
      `missing-inputs: input 0 spends ${'07'.repeat(32)}:3, which is not an unspent output`,
    );
  });

  it('keeps the first of two conflicting transfers, even against a higher fee', () => {
    const { ledger, pool, spend, fanOut } = setup();
    const first = spend(0, feeAt(1));
    const richer = spend(0, feeAt(50), CAROL);
    added(pool.add(first, ledger));
    expect(reason(pool.add(richer, ledger))).toBe(
      `conflict: input 0 spends ${hexTxid(fanOut)}:0, already spent by pool transaction ${hexTxid(first)}`,
    );
    expect(pool.has(hexTxid(first))).toBe(true);
  });

  it('refuses an immature coinbase spend one block early and accepts it at maturity', () => {
    const { ledger, pool, coinbases } = setup();
    // The tip is at height 4: the next block (5) may spend coinbases of height <= 2.
    const mature = transfer([{ from: coinbases[1]!, index: 0, key: MINER }], [[1_000_000n, BOB]]);
    const early = transfer([{ from: coinbases[2]!, index: 0, key: MINER }], [[1_000_000n, BOB]]);
    expect(reason(pool.add(mature, ledger))).toBe('accepted');
    expect(reason(pool.add(early, ledger))).toBe(
      'immature: input 0 spends the coinbase of height 3, immature until height 6',
    );
  });

  it('refuses a spend by the wrong key and outputs above inputs', () => {
    const { ledger, pool, fanOut, amount } = setup();
    const wrongKey = transfer([{ from: fanOut, index: 0, key: BOB }], [[1_000n, BOB]]);
    expect(reason(pool.add(wrongKey, ledger))).toBe(
      "wrong-key: input 0: public key does not match the spent output's key hash",
    );
    const tooMuch = transfer([{ from: fanOut, index: 0, key: ALICE }], [[amount + 1n, BOB]]);
    expect(reason(pool.add(tooMuch, ledger))).toBe(
      `outputs-exceed-inputs: outputs (${amount + 1n}) exceed inputs (${amount})`,
    );
  });

  it('refuses a fee below the minimum rate, accepting it at exactly the minimum', () => {
    const { ledger, pool, spend } = setup({ minFeeRate: 2n });
    expect(reason(pool.add(spend(0, feeAt(2) - 1n), ledger))).toBe(
      `fee-too-low: fee ${feeAt(2) - 1n} for 163 bytes is below the minimum of 2 per byte (${feeAt(2)})`,
    );
    expect(reason(pool.add(spend(0, feeAt(2)), ledger))).toBe('accepted');
  });

  it('refuses a bad signature after the cheap checks pass', () => {
    const { ledger, pool, spend } = setup();
    expect(reason(pool.add(badlySigned(spend(0, feeAt(1))), ledger))).toBe(
      'bad-signature: input 0: signature does not verify',
    );
    expect(pool.size).toBe(0);
  });

  it('runs every cheap check before any signature: a flood of forged transfers costs no verification', () => {
    const { ledger, pool, spend, fanOut } = setup({ minFeeRate: 2n, maxCount: 2 });
    added(pool.add(spend(0, feeAt(5)), ledger));
    added(pool.add(spend(1, feeAt(5)), ledger));
    const before = ledger.signatures.stats.verifications;
    const refusals = new Set<string>();
    for (let i = 0; i < 200; i++) {
      // Unknown outputs, a conflict, a fee below the minimum, a fee too low for a full pool.
      const ghost = transfer([{ from: new Uint8Array(32).fill(i), index: 0, key: ALICE }], [[5n, BOB]]);
      refusals.add(pool.add(badlySigned(ghost), ledger).ok ? 'accepted' : 'refused');
      refusals.add(reason(pool.add(badlySigned(spend(0, feeAt(9), CAROL)), ledger)).split(':')[0]!);
      refusals.add(reason(pool.add(badlySigned(spend(2 + (i % 60), feeAt(1))), ledger)).split(':')[0]!);
      refusals.add(reason(pool.add(badlySigned(spend(2 + (i % 60), feeAt(4))), ledger)).split(':')[0]!);
    }
    expect([...refusals].sort()).toEqual(['conflict', 'fee-too-low', 'pool-full', 'refused']);
    expect(ledger.signatures.stats.verifications).toBe(before);
    void fanOut;
  });

  it('remembers a failed signature: the same forged transfer again costs no verification', () => {
    const { ledger, pool, spend } = setup();
    const forged = badlySigned(spend(0, feeAt(1)));
    expect(pool.add(forged, ledger).ok).toBe(false);
    const before = ledger.signatures.stats.verifications;
    expect(reason(pool.add(forged, ledger))).toBe('bad-signature: input 0: signature does not verify');
    expect(ledger.signatures.stats.verifications).toBe(before);
  });
});

describe('Mempool: limits', () => {
  it('refuses limits that are not positive integers, and a negative minimum fee rate', () => {
    expect(() => new Mempool({ maxCount: 0 })).toThrow(new RangeError('maxCount must be a positive integer, got 0'));
    expect(() => new Mempool({ maxBytes: 1.5 })).toThrow(RangeError);
    expect(() => new Mempool({ maxAncestors: -1 })).toThrow(RangeError);
    expect(() => new Mempool({ minFeeRate: -1n })).toThrow(new RangeError('minFeeRate must be >= 0, got -1'));
    expect(new Mempool({ minFeeRate: 0n, maxCount: 1 }).limits).toMatchObject({ minFeeRate: 0n, maxCount: 1 });
  });
});

describe('Mempool: unconfirmed chains', () => {
  it('accepts a transfer spending a pool transfer, and refuses a second spend of that output', () => {
    const { ledger, pool, spend } = setup();
    const parent = spend(0, feeAt(1));
    added(pool.add(parent, ledger));
    const child = transfer([{ from: parent, index: 0, key: BOB }], [[1_000_000n, CAROL]]);
    expect(reason(pool.add(child, ledger))).toBe('accepted');
    const sibling = transfer([{ from: parent, index: 0, key: BOB }], [[1_000_000n, ALICE]]);
    expect(reason(pool.add(sibling, ledger))).toMatch(/^conflict: input 0 spends .*already spent by pool transaction/);
  });

  it('limits a chain to maxAncestors transactions (at the edge)', () => {
    const { ledger, pool, spend } = setup({ maxAncestors: 3 });
    let tip = spend(0, feeAt(1));
    added(pool.add(tip, ledger));
    let key = BOB;
    let amount = tip.outputs[0]!.amount;
    for (let i = 0; i < 2; i++) {
      const next = i % 2 === 0 ? CAROL : BOB;
      amount -= 1_000n;
      tip = transfer([{ from: tip, index: 0, key }], [[amount, next]]);
      expect(reason(pool.add(tip, ledger))).toBe('accepted');
      key = next;
    }
    const fourth = transfer([{ from: tip, index: 0, key }], [[amount - 1_000n, ALICE]]);
    expect(reason(pool.add(fourth, ledger))).toBe('too-long-chain: more than 2 unconfirmed ancestors');
  });

  it('limits the descendants of one transaction to maxDescendants (at the edge)', () => {
    const { ledger, pool, fanOut } = setup({ maxDescendants: 3 });
    const parent = transfer(
      [{ from: fanOut, index: 0, key: ALICE }],
      [
        [1_000_000n, BOB],
        [1_000_000n, BOB],
        [1_000_000n, BOB],
      ],
    );
    added(pool.add(parent, ledger));
    const child = (index: number) => transfer([{ from: parent, index, key: BOB }], [[999_000n, CAROL]]);
    expect(reason(pool.add(child(0), ledger))).toBe('accepted');
    expect(reason(pool.add(child(1), ledger))).toBe('accepted');
    expect(reason(pool.add(child(2), ledger))).toBe(
      `too-long-chain: pool transaction ${hexTxid(parent)} already has 2 unconfirmed descendants`,
    );
  });
});

describe('Mempool: limits and eviction', () => {
  it('holds maxCount transactions; past that, a higher fee rate evicts the lowest', () => {
    const { ledger, pool, spend } = setup({ maxCount: 3 });
    const txs = [3, 1, 2].map((rate, i) => spend(i, feeAt(rate)));
    for (const tx of txs) added(pool.add(tx, ledger));
    expect(reason(pool.add(spend(3, feeAt(1)), ledger))).toBe(
      "pool-full: fee rate 1.000/byte does not beat the pool's lowest (1.000/byte)",
    );
    expect(pool.add(spend(3, feeAt(4)), ledger)).toEqual({
      ok: true,
      txid: expect.any(String),
      evicted: [hexTxid(txs[1]!)],
    });
    expect(pool.size).toBe(3);
  });

  it('holds maxBytes bytes (at the edge)', () => {
    const { ledger, pool, spend } = setup({ maxBytes: 2 * ONE_OUT_BYTES });
    added(pool.add(spend(0, feeAt(2)), ledger));
    // It fits exactly: taken although it pays less than the pool's lowest.
    added(pool.add(spend(1, feeAt(1)), ledger));
    expect(pool.bytes).toBe(2 * ONE_OUT_BYTES);
    expect(reason(pool.precheck(spend(2, feeAt(1)), ledger))).toMatch(/^pool-full:/);
    expect(added(pool.add(spend(2, feeAt(3)), ledger))).toHaveLength(1);
    expect(pool.bytes).toBe(2 * ONE_OUT_BYTES);
  });

  it('evicts an entry with its descendants, but never an ancestor of the newcomer', () => {
    const { ledger, pool, spend } = setup({ maxCount: 3 });
    const parent = spend(0, feeAt(1));
    added(pool.add(parent, ledger));
    const child = transfer([{ from: parent, index: 0, key: BOB }], [[parent.outputs[0]!.amount - feeAt(2), CAROL]]);
    added(pool.add(child, ledger));
    added(pool.add(spend(1, feeAt(5)), ledger));
    // A grandchild at 3/byte needs parent and child: only the unrelated entry could go, and it pays 5.
    const grandchild = transfer(
      [{ from: child, index: 0, key: CAROL }],
      [[child.outputs[0]!.amount - feeAt(3), ALICE]],
    );
    expect(reason(pool.add(grandchild, ledger))).toBe(
      'pool-full: fee rate 3.000/byte does not beat the entries it would evict',
    );
    // An unrelated newcomer at 3/byte evicts the parent (1.5/byte with its child), and the child with it.
    expect(new Set(added(pool.add(spend(2, feeAt(3)), ledger)))).toEqual(new Set([hexTxid(parent), hexTxid(child)]));
    expect(pool.size).toBe(2);
  });

  it('counts a rich child for its parent: the parent is not evicted below the package rate', () => {
    const { ledger, pool, spend } = setup({ maxCount: 3 });
    const parent = spend(0, feeAt(1));
    added(pool.add(parent, ledger));
    // The child pays 9/byte, so the package pays 5/byte.
    const child = transfer([{ from: parent, index: 0, key: BOB }], [[parent.outputs[0]!.amount - feeAt(9), CAROL]]);
    added(pool.add(child, ledger));
    const other = spend(1, feeAt(3));
    added(pool.add(other, ledger));
    expect(reason(pool.add(spend(2, feeAt(2)), ledger))).toBe(
      "pool-full: fee rate 2.000/byte does not beat the pool's lowest (3.000/byte)",
    );
    expect(added(pool.add(spend(2, feeAt(4)), ledger))).toEqual([hexTxid(other)]);
  });
});

describe('Mempool: inputs and eviction details', () => {
  it('refuses inputs adding up to more than MAX_MONEY, and takes them at exactly MAX_MONEY', () => {
    const { ledger, pool } = setup();
    const coins = new Map<string, Coin>();
    const view: LedgerView = {
      params: ledger.params,
      genesisHash: ledger.genesisHash,
      signatures: ledger.signatures,
      height: ledger.height,
      coinAt: (key) => coins.get(key),
    };
    const [first, second] = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
    const put = (from: Uint8Array, amount: bigint) =>
      coins.set(`${bytesToHex(from)}:0`, { amount, keyHash: hashOf(ALICE), height: 1, coinbase: false });
    const spendBoth = transfer(
      [
        { from: first, index: 0, key: ALICE },
        { from: second, index: 0, key: ALICE },
      ],
      [[MAX_MONEY - 1_000n, BOB]],
    );
    put(first, MAX_MONEY - 1n);
    put(second, 1n);
    expect(pool.precheck(spendBoth, view)).toMatchObject({ ok: true, fee: 1_000n });
    put(second, 2n);
    expect(reason(pool.precheck(spendBoth, view))).toBe(
      `malformed: inputs add up to more than MAX_MONEY (${MAX_MONEY})`,
    );
  });

  it('among entries of equal fee rate, evicts the newest', () => {
    const { ledger, pool, spend } = setup({ maxCount: 2 });
    const [older, newer] = [spend(0, feeAt(1)), spend(1, feeAt(1))];
    added(pool.add(older, ledger));
    added(pool.add(newer, ledger));
    expect(added(pool.add(spend(2, feeAt(2)), ledger))).toEqual([hexTxid(newer)]);
    expect(pool.has(hexTxid(older))).toBe(true);
  });

  it('refuses a newcomer whose rate only equals the score of the entry it would evict', () => {
    const { ledger, pool, spend } = setup({ maxCount: 2 });
    const parent = spend(0, feeAt(1));
    added(pool.add(parent, ledger));
    added(pool.add(spend(1, feeAt(3)), ledger));
    // The pool's lowest is its own parent (1/byte), which it cannot evict; the other pays 3.
    const child = transfer([{ from: parent, index: 0, key: BOB }], [[parent.outputs[0]!.amount - feeAt(3), CAROL]]);
    expect(reason(pool.add(child, ledger))).toBe(
      'pool-full: fee rate 3.000/byte does not beat the entries it would evict',
    );
    expect(pool.size).toBe(2);
  });

  it('counts a descendant of two evicted entries once, and evicts on until the newcomer fits', () => {
    // A (1/byte) and B (2/byte) are both spent by D (3/byte); E pays 2.8/byte. The pool is full in bytes.
    const { ledger, spend, amount, fanOut } = setup();
    const a = spend(0, 163n);
    const b = spend(1, 326n);
    const d = transfer(
      [
        { from: a, index: 0, key: BOB },
        { from: b, index: 0, key: BOB },
      ],
      [[a.outputs[0]!.amount + b.outputs[0]!.amount - 879n, CAROL]],
    );
    const e = spend(2, 457n);
    expect(encodeTx(d).length).toBe(293);
    const pool = new Mempool({ maxBytes: 3 * ONE_OUT_BYTES + 293 });
    for (const tx of [a, b, d, e]) added(pool.add(tx, ledger));
    // 639 bytes at 3/byte: A goes with D, then B (D already counted), and E too for the bytes.
    const wide = transfer(
      [{ from: fanOut, index: 3, key: ALICE }],
      Array.from({ length: 18 }, () => [(amount - 1_917n) / 18n, BOB] as const),
    );
    expect(encodeTx(wide).length).toBe(639);
    expect(added(pool.add(wide, ledger))).toEqual(ids([e, d, b, a]));
    expect([pool.size, pool.bytes]).toEqual([1, 639]);
  });

  it('after dropping a child, its ancestors count it no more: descendants, package rate, its spent outpoint', () => {
    const { ledger, tree, spend, fanOut, amount, extend } = setup();
    const pool = new Mempool({ maxCount: 3, maxDescendants: 3 });
    // P: 191 bytes at 1/byte, two outputs; C1 spends the first at 9/byte; C2 the second and a fan-out coin.
    const p = transfer(
      [{ from: fanOut, index: 0, key: ALICE }],
      [
        [1_000_000n, BOB],
        [amount - 1_000_000n - 191n, BOB],
      ],
    );
    const c1 = transfer([{ from: p, index: 0, key: BOB }], [[1_000_000n - feeAt(9), CAROL]]);
    const c2 = transfer(
      [
        { from: p, index: 1, key: BOB },
        { from: fanOut, index: 1, key: ALICE },
      ],
      [[amount - 1_000_000n - 191n + amount - 293n, CAROL]],
    );
    for (const tx of [p, c1, c2]) added(pool.add(tx, ledger));
    // A block spends C2's fan-out coin elsewhere: C2 leaves, P and C1 stay.
    const rival = spend(1, 1_000n, CAROL);
    const block = tree.block(ledger.tip, [rival], { fees: 1_000n });
    extend(block);
    expect(pool.onBlockConnected(block.payload)).toEqual({ confirmed: [], dropped: [hexTxid(c2)], restored: 0 });
    // P counts two descendants again (itself and C1): a grandchild through C1 is the third.
    const grandchild = transfer([{ from: c1, index: 0, key: CAROL }], [[1_000_000n - feeAt(20), ALICE]]);
    expect(pool.precheck(grandchild, ledger)).toMatchObject({ ok: true });
    // P's second output is free again.
    const again = transfer([{ from: p, index: 1, key: BOB }], [[amount - 1_000_000n - 1_000n, CAROL]]);
    expect(pool.precheck(again, ledger)).toMatchObject({ ok: true });
    // Full again: the lowest score is P with C1 alone, (191 + 1467) / (191 + 163) per byte.
    added(pool.add(spend(2, feeAt(7)), ledger));
    expect(reason(pool.precheck(spend(3, feeAt(1)), ledger))).toBe(
      `pool-full: fee rate 1.000/byte does not beat the pool's lowest (${(1658 / 354).toFixed(3)}/byte)`,
    );
  });
});
