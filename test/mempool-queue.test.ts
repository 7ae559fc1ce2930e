import { describe, expect, it } from 'vitest';
import { Mempool } from '../src/consensus/ledger/mempool.js';
import { VerificationQueue, type SubmitVerdict } from '../src/consensus/ledger/verification-queue.js';
import type { TransferTx } from '../src/primitives/tx.js';
import { hexTxid, transfer } from './helpers/ledger-chain.js';
import { BOB, CAROL, poolFixture } from './helpers/mempool-fixture.js';

const FEE = 1_000n;

const reason = (verdict: SubmitVerdict): string => (verdict.ok ? 'queued' : `${verdict.reason}: ${verdict.detail}`);

function forged(tx: TransferTx): TransferTx {
  const signature = tx.inputs[0]!.signature.slice();
  signature[10]! ^= 0x80;
  return { ...tx, inputs: [{ ...tx.inputs[0]!, signature }] };
}

function setup(limits = {}) {
  const fixture = poolFixture();
  const pool = new Mempool();
  return { ...fixture, pool, queue: new VerificationQueue(pool, limits) };
}

describe('VerificationQueue', () => {
  it('queues what passes the cheap checks and adds it, signatures verified, in batches of batchSize', () => {
    const { ledger, pool, queue, spend } = setup({ batchSize: 2 });
    const txs = [0, 1, 2, 3, 4].map((i) => spend(i, FEE));
    for (const tx of txs) expect(queue.submit(tx, ledger)).toEqual({ ok: true, txid: hexTxid(tx) });
    expect([queue.pending, pool.size]).toEqual([5, 0]);
    const before = ledger.signatures.stats.verifications;
    const first = queue.runBatch(ledger);
    expect(first.map((result) => [result.txid, result.verdict.ok])).toEqual([
      [hexTxid(txs[0]!), true],
      [hexTxid(txs[1]!), true],
    ]);
    expect([queue.pending, pool.size, ledger.signatures.stats.verifications - before]).toEqual([3, 2, 2]);
    expect(queue.runBatch(ledger, 10)).toHaveLength(3);
    expect([queue.pending, pool.size]).toEqual([0, 5]);
  });

  it('refuses cheap failures at once, without queueing', () => {
    const { ledger, queue } = setup();
    const ghost = transfer([{ from: new Uint8Array(32).fill(3), index: 0, key: BOB }], [[1n, CAROL]]);
    expect(reason(queue.submit(ghost, ledger))).toMatch(/^missing-inputs:/);
    expect(queue.pending).toBe(0);
  });

  it('holds maxPending transactions (at the edge) and answers busy past that', () => {
    const { ledger, queue, spend } = setup({ maxPending: 2 });
    expect(reason(queue.submit(spend(0, FEE), ledger))).toBe('queued');
    expect(reason(queue.submit(spend(1, FEE), ledger))).toBe('queued');
    expect(reason(queue.submit(spend(2, FEE), ledger))).toBe('busy: 2 transactions wait for verification');
    queue.runBatch(ledger, 1);
    expect(reason(queue.submit(spend(2, FEE), ledger))).toBe('queued');
  });

  it('refuses the same transaction twice while it waits', () => {
    const { ledger, queue, spend } = setup();
    const tx = spend(0, FEE);
    queue.submit(tx, ledger);
    expect(reason(queue.submit(tx, ledger))).toBe(`already-known: transaction ${hexTxid(tx)} is queued`);
  });

  it('lets a transfer spend an output of one still waiting, and adds the parent first', () => {
    const { ledger, pool, queue, spend } = setup();
    const parent = spend(0, FEE);
    const child = transfer([{ from: parent, index: 0, key: BOB }], [[parent.outputs[0]!.amount - FEE, CAROL]]);
    expect(reason(queue.submit(parent, ledger))).toBe('queued');
    expect(reason(queue.submit(child, ledger))).toBe('queued');
    expect(queue.runBatch(ledger).map((result) => result.verdict.ok)).toEqual([true, true]);
    expect([...pool.entries()].map((entry) => entry.txid)).toEqual([hexTxid(parent), hexTxid(child)]);
  });

  it('does not let a forged copy sent first shut out the genuine transaction', () => {
    const { ledger, pool, queue, spend } = setup();
    const genuine = spend(0, FEE);
    const copy = forged(genuine);
    expect(hexTxid(copy)).toBe(hexTxid(genuine));
    expect(reason(queue.submit(copy, ledger))).toBe('queued');
    expect(reason(queue.submit(genuine, ledger))).toBe('queued');
    const results = queue.runBatch(ledger);
    expect(results.map((result) => (result.verdict.ok ? 'added' : result.verdict.reason))).toEqual([
      'bad-signature',
      'added',
    ]);
    expect(pool.get(hexTxid(genuine))?.tx).toBe(genuine);
  });

  it('refuses a forged transaction seen before at submit, at the cost of a hash', () => {
    const { ledger, queue, spend } = setup();
    const copy = forged(spend(0, FEE));
    queue.submit(copy, ledger);
    queue.runBatch(ledger);
    const before = ledger.signatures.stats.verifications;
    expect(reason(queue.submit(copy, ledger))).toBe('bad-signature: input 0: signature does not verify');
    expect([queue.pending, ledger.signatures.stats.verifications]).toEqual([0, before]);
  });

  it('re-checks a waiting transaction when its batch comes: a block may have spent its input meanwhile', () => {
    const { ledger, tree, queue, spend, extend } = setup();
    const waiting = spend(0, FEE);
    queue.submit(waiting, ledger);
    extend(tree.block(ledger.tip, [spend(0, 2n * FEE, CAROL)], { fees: 2n * FEE }));
    const before = ledger.signatures.stats.verifications;
    const verdicts = queue.runBatch(ledger).map(({ verdict }) => (verdict.ok ? 'added' : verdict.reason));
    expect(verdicts).toEqual(['missing-inputs']);
    expect(ledger.signatures.stats.verifications).toBe(before);
  });

  it('refuses limits that are not positive integers, and takes 1', () => {
    const pool = new Mempool();
    expect(() => new VerificationQueue(pool, { maxPending: 0 })).toThrow(
      new RangeError('maxPending must be a positive integer, got 0'),
    );
    expect(() => new VerificationQueue(pool, { batchSize: 1.5 })).toThrow(
      new RangeError('batchSize must be a positive integer, got 1.5'),
    );
    expect(new VerificationQueue(pool, { maxPending: 1, batchSize: 1 }).limits).toEqual({
      maxPending: 1,
      batchSize: 1,
    });
  });

  it('lets a child spend a transaction while any copy of it waits, and not after the last one left', () => {
    const { ledger, queue, spend } = setup();
    const parent = spend(0, FEE);
    const child = transfer([{ from: parent, index: 0, key: BOB }], [[parent.outputs[0]!.amount - FEE, CAROL]]);
    // Two copies with different bad signature bytes: both queue, both fail.
    const [first, second] = [1, 2].map((flip): TransferTx => {
      const signature = parent.inputs[0]!.signature.slice();
      signature[20]! ^= flip;
      return { ...parent, inputs: [{ ...parent.inputs[0]!, signature }] };
    }) as [TransferTx, TransferTx];
    expect(reason(queue.submit(first, ledger))).toBe('queued');
    expect(reason(queue.submit(second, ledger))).toBe('queued');
    // One copy verified (and refused), the other still waits: the parent is still pending.
    expect(queue.runBatch(ledger, 1).map(({ verdict }) => verdict.ok)).toEqual([false]);
    expect(reason(queue.submit(child, ledger))).toBe('queued');
    expect(queue.runBatch(ledger).map(({ verdict }) => (verdict.ok ? 'added' : verdict.reason))).toEqual([
      'bad-signature',
      'missing-inputs',
    ]);
    // Every copy gone, nothing of the parent waits any more.
    expect(reason(queue.submit(child, ledger))).toMatch(/^missing-inputs:/);
  });
});
