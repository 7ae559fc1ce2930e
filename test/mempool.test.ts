import { describe, expect, it } from 'vitest';
import { Mempool, type AddVerdict, type LedgerView, type MempoolLimits } from '../src/consensus/ledger/mempool.js';
import { transferBudget } from '../src/consensus/ledger/template.js';
import { signMessage } from '../src/primitives/keys.js';
import { encodeTx, signatureDigest, txid, type TransferTx } from '../src/primitives/tx.js';
import { GENESIS_HASH, MINER, hexTxid, transfer } from './helpers/ledger-chain.js';
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
    expect(() => new Mempool({ maxCount: 0 })).toThrow(RangeError);
    expect(() => new Mempool({ maxBytes: 1.5 })).toThrow(RangeError);
    expect(() => new Mempool({ maxAncestors: -1 })).toThrow(RangeError);
    expect(() => new Mempool({ minFeeRate: -1n })).toThrow(RangeError);
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
    added(pool.add(spend(0, feeAt(1)), ledger));
    added(pool.add(spend(1, feeAt(2)), ledger));
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
