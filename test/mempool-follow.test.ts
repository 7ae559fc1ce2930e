import { describe, expect, it } from 'vitest';
import { Mempool, type AddVerdict } from '../src/consensus/ledger/mempool.js';
import type { TransferTx } from '../src/primitives/tx.js';
import { MINER, hexTxid, transfer } from './helpers/ledger-chain.js';
import { BOB, CAROL, poolFixture } from './helpers/mempool-fixture.js';

const FEE = 1_000n;

function ok(verdict: AddVerdict): void {
  if (!verdict.ok) throw new Error(`${verdict.reason}: ${verdict.detail}`);
}

const ids = (txs: TransferTx[]): string[] => txs.map(hexTxid);

describe('Mempool: following the ledger', () => {
  it('after a block: its transfers leave, their children stay, conflicting ones leave with their descendants', () => {
    const { ledger, tree, spend, extend } = poolFixture();
    const pool = new Mempool();
    const a = spend(0, FEE);
    const child = transfer([{ from: a, index: 0, key: BOB }], [[a.outputs[0]!.amount - FEE, CAROL]]);
    const b = spend(1, FEE);
    const d = spend(2, FEE);
    const dChild = transfer([{ from: d, index: 0, key: BOB }], [[d.outputs[0]!.amount - FEE, CAROL]]);
    for (const tx of [a, child, b, d, dChild]) ok(pool.add(tx, ledger));
    // The block confirms a, and spends output 2 elsewhere (conflicting with d).
    const rival = spend(2, 2n * FEE, CAROL);
    const block = tree.block(ledger.tip, [a, rival], { fees: 3n * FEE });
    extend(block);
    const update = pool.follow({ returned: [], disconnected: [], connected: [block.payload] }, ledger);
    expect(update).toEqual({ confirmed: [hexTxid(a)], dropped: ids([dChild, d]), restored: 0 });
    expect([...pool.entries()].map((entry) => entry.txid)).toEqual(ids([child, b]));
    // The child now spends a confirmed output: a template with it is a valid block.
    const selection = pool.select(10_000, ledger, ledger.height + 1);
    const next = tree.block(ledger.tip, selection.transactions, { fees: selection.fees });
    expect(ledger.checkBlock(next)).toEqual({ ok: true, fees: 2n * FEE });
  });

  it('after a reorganisation: returned transfers come back unless the new chain spent their inputs', () => {
    const { ledger, tree, spend, extend } = poolFixture();
    const pool = new Mempool();
    const fork = ledger.tip;
    const a = spend(0, FEE);
    const y = spend(1, FEE);
    const main = tree.block(fork, [a, y], { fees: 2n * FEE });
    extend(main);
    const child = transfer([{ from: a, index: 0, key: BOB }], [[a.outputs[0]!.amount - FEE, CAROL]]);
    const waiting = spend(5, FEE);
    ok(pool.add(child, ledger));
    ok(pool.add(waiting, ledger));
    // The fork spends a's input elsewhere and grows longer.
    const aRival = spend(0, FEE, CAROL);
    const f1 = tree.block(fork, [aRival], { fees: FEE, tag: 'fork' });
    const f2 = tree.block(f1.hash);
    const route = tree.route(ledger.tip, f2.hash);
    expect(ledger.checkBlock(f2, tree.route(ledger.tip, f1.hash)).ok).toBe(true);
    const change = ledger.reorganize(route);
    expect(ids(change.returned)).toEqual(ids([a, y]));
    const update = pool.follow(change, ledger);
    expect(update).toEqual({ confirmed: [], dropped: [hexTxid(child)], restored: 1 });
    expect([...pool.entries()].map((entry) => entry.txid)).toEqual(ids([y, waiting]));
  });

  it('calls a pool transfer that the new chain holds confirmed, not dropped', () => {
    const { ledger, tree, spend, extend } = poolFixture();
    const pool = new Mempool();
    const fork = ledger.tip;
    const main = tree.block(fork);
    extend(main);
    const p = spend(0, FEE);
    ok(pool.add(p, ledger));
    const f1 = tree.block(fork, [p], { fees: FEE, tag: 'fork' });
    const f2 = tree.block(f1.hash);
    const update = pool.follow(ledger.reorganize(tree.route(ledger.tip, f2.hash)), ledger);
    expect(update).toEqual({ confirmed: [hexTxid(p)], dropped: [], restored: 0 });
    expect(pool.size).toBe(0);
  });

  it('drops a coinbase spend that a shorter new chain makes immature, and restores the returned fan-out', () => {
    const { ledger, tree, coinbases, fanOut } = poolFixture();
    // The fan-out pays no fee: a pool that takes free transfers gets it back.
    const pool = new Mempool({ minFeeRate: 0n });
    // At height 4 the next block (5) may spend the coinbase of height 2.
    const early = transfer([{ from: coinbases[1]!, index: 0, key: MINER }], [[1_000_000n, BOB]]);
    ok(pool.add(early, ledger));
    // A heavier single block at height 3 replaces blocks 3 and 4: the next block is 4 again.
    const chain = tree.chain(ledger.tip);
    const replacement = tree.block(chain[1]!.hash, [], { tag: 'heavier' });
    expect(ledger.checkBlock(replacement, tree.route(ledger.tip, chain[1]!.hash)).ok).toBe(true);
    const change = ledger.reorganize(tree.route(ledger.tip, replacement.hash));
    expect(ids(change.returned)).toEqual([hexTxid(fanOut)]);
    const update = pool.follow(change, ledger);
    expect(update).toEqual({ confirmed: [], dropped: [hexTxid(early)], restored: 1 });
    expect(pool.has(hexTxid(fanOut))).toBe(true);
  });

  it('trims to its limits after a reorganisation, lowest fee rate first (returned transfers are not refused for fullness)', () => {
    const { ledger, tree, spend, extend } = poolFixture();
    const pool = new Mempool({ maxCount: 2 });
    const fork = ledger.tip;
    const txs = [2_000n, 500n, 1_000n, 400n].map((fee, i) => spend(i, fee));
    const main = tree.block(fork, txs, { fees: 3_900n });
    extend(main);
    const f1 = tree.block(fork, [], { tag: 'fork' });
    const f2 = tree.block(f1.hash);
    const update = pool.follow(ledger.reorganize(tree.route(ledger.tip, f2.hash)), ledger);
    expect(update).toEqual({ confirmed: [], dropped: ids([txs[3]!, txs[1]!]), restored: 2 });
    expect([...pool.entries()].map((entry) => entry.txid)).toEqual(ids([txs[0]!, txs[2]!]));
  });

  /** A reorganisation to a fork without `main`'s transfers, which come back to `pool`. */
  function returnAll(txs: TransferTx[], fees: bigint, pool: Mempool, fixture = poolFixture()) {
    const { ledger, tree, extend } = fixture;
    const fork = ledger.tip;
    extend(tree.block(fork, txs, { fees }));
    const f1 = tree.block(fork, [], { tag: 'fork' });
    const f2 = tree.block(f1.hash);
    return pool.follow(ledger.reorganize(tree.route(ledger.tip, f2.hash)), ledger);
  }

  it('trims to maxBytes after a reorganisation, keeping a pool at exactly the limit', () => {
    const fixture = poolFixture();
    const pool = new Mempool({ maxBytes: 2 * 163 });
    const txs = [2_000n, 500n, 1_000n].map((fee, i) => fixture.spend(i, fee));
    expect(returnAll(txs, 3_500n, pool, fixture)).toEqual({ confirmed: [], dropped: ids([txs[1]!]), restored: 2 });
    expect(pool.bytes).toBe(2 * 163);
  });

  it('trims the newest of equal fee rates first', () => {
    const fixture = poolFixture();
    const pool = new Mempool({ maxCount: 2 });
    const txs = [0, 1, 2].map((i) => fixture.spend(i, FEE));
    expect(returnAll(txs, 3n * FEE, pool, fixture)).toEqual({ confirmed: [], dropped: ids([txs[2]!]), restored: 2 });
  });

  it('trims an entry evicted with its parent once', () => {
    const fixture = poolFixture();
    const { spend } = fixture;
    const pool = new Mempool({ maxCount: 1 });
    // Per byte: the parent pays 1 (1.5 with its child), the child 2, then 3 and 4.
    const parent = spend(0, 163n);
    const child = transfer([{ from: parent, index: 0, key: BOB }], [[parent.outputs[0]!.amount - 326n, CAROL]]);
    const [three, four] = [spend(1, 489n), spend(2, 652n)];
    expect(returnAll([parent, child, three, four], 1_630n, pool, fixture)).toEqual({
      confirmed: [],
      dropped: ids([child, parent, three]),
      restored: 1,
    });
    expect([...pool.entries()].map((entry) => entry.txid)).toEqual(ids([four]));
    expect(pool.bytes).toBe(163);
  });

  it('re-admits the old entries after the returned ones, trimming rather than refusing them for fullness', () => {
    const fixture = poolFixture();
    const { ledger, spend } = fixture;
    const pool = new Mempool({ maxCount: 2 });
    // The pool holds a parent at 1/byte and its child at 9/byte (5/byte together).
    const parent = spend(0, 163n);
    const child = transfer([{ from: parent, index: 0, key: BOB }], [[parent.outputs[0]!.amount - 1_467n, CAROL]]);
    ok(pool.add(parent, ledger));
    ok(pool.add(child, ledger));
    // Two transfers come back at 2 and 6 per byte: the one at 2 goes first, then the parent with its child.
    const [two, six] = [spend(1, 326n), spend(2, 978n)];
    expect(returnAll([two, six], 1_304n, pool, fixture)).toEqual({
      confirmed: [],
      dropped: ids([two, child, parent]),
      restored: 1,
    });
    expect([...pool.entries()].map((entry) => entry.txid)).toEqual(ids([six]));
  });

  it('onReorganized alone confirms nothing: it rebuilds the pool against the ledger', () => {
    const { ledger, spend } = poolFixture();
    const pool = new Mempool();
    const tx = spend(0, FEE);
    ok(pool.add(tx, ledger));
    expect(pool.onReorganized([], ledger)).toEqual({ confirmed: [], dropped: [], restored: 0 });
    expect([...pool.entries()].map((entry) => entry.txid)).toEqual(ids([tx]));
  });
});
