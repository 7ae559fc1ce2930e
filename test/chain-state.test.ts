/**
 * The chain state beside a powchain block tree (docs/ledger.md "How the node drives it"), in
 * process: the index of the main chain's transactions, outputs and address histories as the
 * head moves forward, across a reorganisation and from a snapshot; the templates it fills;
 * the subsidies paid so far and coinbase maturity; the ledger a snapshot gives back. Small
 * blocks mined with node:crypto at an easy target (1 hash in 64).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { COIN, DEFAULT_PARAMS, type NetworkParams, encodeParams, subsidy } from '../src/primitives/params.js';
import { PAYLOAD_VERSION, decodePayload, encodePayload } from '../src/primitives/payload.js';
import { type Transaction, txid } from '../src/primitives/tx.js';
import { MAX_TARGET } from '../src/primitives/limits.js';
import { BlockTree, type TreeEntry, type TreeLimits } from '../src/consensus/block-tree.js';
import {
  type AddressEvent,
  ChainState,
  type ChainStateOptions,
  isTransfer,
  ledgerFromSnapshot,
} from '../src/consensus/chain-state.js';
import { Ledger, encodeSnapshot } from '../src/consensus/ledger/index.js';
import { powchainRules } from '../src/consensus/rules/powchain.js';
import { seedRules } from '../src/consensus/rules/seed.js';
import { KEYS, coinbase, hashOf, hexTxid, transfer } from './helpers/ledger-chain.js';
import { mineBlock } from './helpers/powchain-chain.js';

const params: NetworkParams = {
  ...DEFAULT_PARAMS,
  initialTarget: 1n << 250n,
  genesisTimeMs: 1_700_000_000_000,
  coinbaseMaturity: 2,
};
const genesis = mineBlock(new Block(encodeParams(params)), params.initialTarget);
const genesisHash = genesis.hash();
const [alice, bob, carol, dave] = [KEYS[1]!, KEYS[2]!, KEYS[3]!, KEYS[4]!];
const FEE = 1_000n;
/** Events kept per address. */
const MAX_HISTORY = 1_000;
const NO_CHANGE = { confirmed: [], dropped: [], restored: 0, connected: 0, disconnected: 0 };

/** A tree over `genesis` (holding `blocks`, unchecked by any chain state), then its chain state. */
class Chain {
  readonly rules = powchainRules(params, genesis.hashHex());
  readonly tree: BlockTree;
  #state: ChainState | undefined;

  constructor(limits: TreeLimits = {}, blocks: readonly Block[] = []) {
    this.tree = new BlockTree(genesis, this.rules, limits);
    for (const block of blocks) this.take(block);
  }

  /** The chain state from now on: the rules check blocks against it and fill templates from it. */
  start(options: ChainStateOptions = { payTo: hashOf(alice) }): ChainState {
    this.#state = this.rules.chainState(this.tree, options);
    return this.#state;
  }

  get state(): ChainState {
    if (!this.#state) throw new Error('no chain state yet');
    return this.#state;
  }

  /** Mines the rules' template on `parent` (the head by default): what the chain state fills in. */
  mine(tag: string, parent: TreeEntry = this.tree.head): TreeEntry {
    const { data, target } = this.rules.template(parent, parent.facts.time! + params.blockIntervalMs, tag);
    return this.take(mineBlock(new Block(data, parent.block), target));
  }

  /** Mines a block on `parent` holding exactly `transactions`. */
  mineWith(parent: TreeEntry, transactions: Transaction[]): TreeEntry {
    const target = this.rules.nextTarget(parent);
    const time = parent.facts.time! + params.blockIntervalMs;
    const data = encodePayload({ version: PAYLOAD_VERSION, height: parent.height + 1, time, target, transactions });
    return this.take(mineBlock(new Block(data, parent.block), target));
  }

  take(block: Block): TreeEntry {
    const verdict = this.tree.append(block, Number.MAX_SAFE_INTEGER);
    if (!verdict.ok) throw new Error(`block refused: ${verdict.reason} ${verdict.detail ?? ''}`);
    if (verdict.headChanged) this.#state?.followHead();
    return verdict.entry;
  }

  transactions(entry: TreeEntry): Transaction[] {
    const decoded = this.rules.payloadOf(entry.block);
    if (!decoded.ok) throw new Error(decoded.reason);
    return decoded.value.transactions;
  }
}

/**
 * Alice mines blocks 1 and 2, then pays all of block 1's coinbase to bob (no change back),
 * which block 3 confirms, her coinbase there claiming the fee.
 */
function paidChain() {
  const chain = new Chain();
  chain.start();
  const a1 = chain.mine('a1');
  const a2 = chain.mine('a2');
  const [cb1] = chain.transactions(a1) as [Transaction];
  const pay = transfer([{ from: cb1, index: 0, key: alice }], [[50n * COIN - FEE, bob]], genesisHash);
  expect(chain.state.add(pay)).toMatchObject({ ok: true, txid: hexTxid(pay) });
  const a3 = chain.mine('a3');
  const [cb2] = chain.transactions(a2) as [Transaction];
  const [cb3, confirmedPay] = chain.transactions(a3) as [Transaction, Transaction];
  expect(confirmedPay).toEqual(pay);
  return { chain, a1, a2, a3, cb1, cb2, cb3, pay };
}

/** A chain state over `genesis`'s tree whose ledger is at `height` (no coins), under `networkParams`. */
function stateAtHeight(height: number, networkParams: NetworkParams = params): ChainState {
  const rules = powchainRules(networkParams, genesis.hashHex());
  const tip = genesis.hashHex();
  const ledger = Ledger.fromState(networkParams, genesisHash, { tip, height, coins: [], undo: [] });
  return new ChainState(genesisTree, rules, { ledger });
}
const genesisTree = new BlockTree(genesis, powchainRules(params, genesis.hashHex()));

describe('the chain state of a powchain tree', () => {
  it('keeps undo records as deep as the forks the tree accepts, and refuses a payee that is not a key hash', () => {
    expect(new Chain().start({}).ledger.undoDepth).toBe(110);
    expect(new Chain({ maxForkDepth: 5 }).start({}).ledger.undoDepth).toBe(15);
    const { tree, rules } = new Chain();
    expect(() => new ChainState(tree, rules, { payTo: new Uint8Array(19) })).toThrow(
      new RangeError('payTo must be a 20-byte key hash'),
    );
    expect(() => new ChainState(tree, rules, { payTo: new Uint8Array(21) })).toThrow(
      new RangeError('payTo must be a 20-byte key hash'),
    );
    expect(new ChainState(tree, rules, { payTo: new Uint8Array(20) }).payTo).toEqual(new Uint8Array(20));
    expect(new ChainState(tree, rules).payTo).toBeUndefined();
  });

  it('follows the head block by block, and does nothing when the head has not moved', () => {
    const chain = new Chain();
    const state = chain.start();
    expect(state.followHead()).toEqual(NO_CHANGE);
    chain.mine('a1');
    expect(state.ledger.tip).toBe(chain.tree.head.hash);
    expect(state.ledger.height).toBe(1);
    expect(state.followHead()).toEqual(NO_CHANGE);
  });

  it('indexes every main-chain transaction, output and balance change, newest first', () => {
    const { chain, a3, cb1, cb2, cb3, pay } = paidChain();
    const { state } = chain;
    expect(state.confirmed(hexTxid(pay))).toEqual({ tx: pay, block: a3.hash, height: 3 });
    expect(state.confirmed(hexTxid(cb1))).toEqual({ tx: cb1, block: chain.tree.mainAt(1)!.hash, height: 1 });
    expect(state.confirmed('00'.repeat(32))).toBeUndefined();
    // Outputs, spent or not.
    expect(state.output({ txid: txid(pay), index: 0 })).toEqual({ amount: 50n * COIN - FEE, keyHash: hashOf(bob) });
    expect(state.output({ txid: txid(cb1), index: 0 })).toEqual({ amount: 50n * COIN, keyHash: hashOf(alice) });
    expect(state.output({ txid: txid(cb3), index: 0 })).toEqual({ amount: 50n * COIN + FEE, keyHash: hashOf(alice) });
    expect(state.output({ txid: txid(pay), index: 1 })).toBeUndefined();
    // Alice: three coinbases and one payment of a whole coinbase (its input counts against her).
    const aliceHistory = [
      { txid: hexTxid(pay), height: 3, delta: -50n * COIN },
      { txid: hexTxid(cb3), height: 3, delta: 50n * COIN + FEE },
      { txid: hexTxid(cb2), height: 2, delta: 50n * COIN },
      { txid: hexTxid(cb1), height: 1, delta: 50n * COIN },
    ];
    expect(state.history(hashOf(alice))).toEqual(aliceHistory);
    expect(state.history(hashOf(bob))).toEqual([{ txid: hexTxid(pay), height: 3, delta: 50n * COIN - FEE }]);
    expect(state.history(hashOf(carol))).toEqual([]);
    // Asked again, the same answers.
    expect(state.history(hashOf(alice))).toEqual(aliceHistory);

    // Change back to the sender nets out in one event.
    const [coin] = state.ledger.unspent(hashOf(alice)).filter(({ coin }) => state.spendableAt(coin));
    const split = transfer(
      [{ from: coin!.outpoint.txid, index: coin!.outpoint.index, key: alice }],
      [
        [COIN, carol],
        [coin!.coin.amount - COIN - FEE, alice],
      ],
      genesisHash,
    );
    expect(state.add(split).ok).toBe(true);
    const a4 = chain.mine('a4');
    expect(state.confirmed(hexTxid(split))).toEqual({ tx: split, block: a4.hash, height: 4 });
    expect(state.history(hashOf(alice))[0]).toEqual({ txid: hexTxid(split), height: 4, delta: -COIN - FEE });
    expect(state.history(hashOf(carol))).toEqual([{ txid: hexTxid(split), height: 4, delta: COIN }]);
  });

  it("keeps an address's last 1,000 events", () => {
    // Every hash meets the target of this network. Its blocks go into the tree unchecked by a
    // chain state, which then comes from a snapshot at the head: it indexes them when asked.
    const easy = { ...params, initialTarget: MAX_TARGET };
    const root = mineBlock(new Block(encodeParams(easy)), MAX_TARGET);
    const rules = powchainRules(easy, root.hashHex());
    const tree = new BlockTree(root, rules);
    const events: AddressEvent[] = [];
    for (let height = 1; height <= MAX_HISTORY + 1; height++) {
      const parent = tree.head;
      const cb = coinbase(height, 50n * COIN, bob);
      const time = parent.facts.time! + easy.blockIntervalMs;
      const data = encodePayload({ version: PAYLOAD_VERSION, height, time, target: MAX_TARGET, transactions: [cb] });
      const verdict = tree.append(new Block(data, parent.block), Number.MAX_SAFE_INTEGER);
      if (!verdict.ok) throw new Error(verdict.reason);
      events.push({ txid: hexTxid(cb), height, delta: 50n * COIN });
    }
    const ledger = Ledger.fromState(easy, root.hash(), {
      tip: tree.head.hash,
      height: tree.head.height,
      coins: [],
      undo: [],
    });
    const state = new ChainState(tree, rules, { ledger });
    expect(state.history(hashOf(bob))).toEqual(events.slice(-MAX_HISTORY).reverse());
  });

  it("answers a mempool transaction's outputs after the main chain's", () => {
    const { chain, pay } = paidChain();
    const { state } = chain;
    const onward = transfer([{ from: pay, index: 0, key: bob }], [[COIN, carol]], genesisHash);
    expect(state.add(onward).ok).toBe(true);
    expect(state.output({ txid: txid(onward), index: 0 })).toEqual({ amount: COIN, keyHash: hashOf(carol) });
    expect(state.output({ txid: txid(onward), index: 1 })).toBeUndefined();
    expect(state.confirmed(hexTxid(onward))).toBeUndefined();
    expect(state.history(hashOf(carol))).toEqual([]);
  });

  it('takes the blocks that left the main chain out of the index, and the new ones in', () => {
    const { chain, a2, a3, cb1, cb2, cb3, pay } = paidChain();
    const { state } = chain;
    // A branch from block 2 where alice's coin went to dave instead, and the coinbase to carol.
    const conflict = transfer([{ from: cb1, index: 0, key: alice }], [[50n * COIN - 2n * FEE, dave]], genesisHash);
    const cbB3 = coinbase(3, 50n * COIN + 2n * FEE, carol, 'b3');
    const b3 = chain.mineWith(a2, [cbB3, conflict]);
    expect(chain.tree.head).toBe(a3);
    const b4 = chain.mine('b4', b3);
    expect(chain.tree.head).toBe(b4);
    const [cbB4] = chain.transactions(b4) as [Transaction];

    expect(state.confirmed(hexTxid(pay))).toBeUndefined();
    expect(state.confirmed(hexTxid(cb3))).toBeUndefined();
    expect(state.confirmed(hexTxid(conflict))).toEqual({ tx: conflict, block: b3.hash, height: 3 });
    // The payment to bob lost its coin: out of the mempool, its outputs gone with block 3's.
    expect(state.mempool.get(hexTxid(pay))).toBeUndefined();
    expect(state.output({ txid: txid(pay), index: 0 })).toBeUndefined();
    expect(state.output({ txid: txid(cb3), index: 0 })).toBeUndefined();
    expect(state.output({ txid: txid(conflict), index: 0 })).toEqual({
      amount: 50n * COIN - 2n * FEE,
      keyHash: hashOf(dave),
    });

    expect(state.history(hashOf(alice))).toEqual([
      { txid: hexTxid(cbB4), height: 4, delta: 50n * COIN },
      { txid: hexTxid(conflict), height: 3, delta: -50n * COIN },
      { txid: hexTxid(cb2), height: 2, delta: 50n * COIN },
      { txid: hexTxid(cb1), height: 1, delta: 50n * COIN },
    ]);
    expect(state.history(hashOf(bob))).toEqual([]);
    expect(state.history(hashOf(carol))).toEqual([{ txid: hexTxid(cbB3), height: 3, delta: 50n * COIN + 2n * FEE }]);
    expect(state.history(hashOf(dave))).toEqual([{ txid: hexTxid(conflict), height: 3, delta: 50n * COIN - 2n * FEE }]);
  });

  it('fills a template on its tip from the mempool, and elsewhere a coinbase alone', () => {
    const { chain, a2, pay } = paidChain();
    const { state } = chain;
    const tag = new TextEncoder().encode('t');
    const onward = transfer([{ from: pay, index: 0, key: bob }], [[COIN, carol]], genesisHash);
    expect(state.add(onward).ok).toBe(true);
    const fee = 50n * COIN - FEE - COIN;
    expect(state.template(chain.tree.head, tag)).toEqual([
      { kind: 'coinbase', height: 4, tag, outputs: [{ amount: 50n * COIN + fee, keyHash: hashOf(alice) }] },
      onward,
    ]);
    // On block 2 (off the tip): height 3, the subsidy alone, no transfer.
    expect(state.template(a2, tag)).toEqual([
      { kind: 'coinbase', height: 3, tag, outputs: [{ amount: 50n * COIN, keyHash: hashOf(alice) }] },
    ]);
    // Where the subsidy is 1 base unit, and where it has run out: a coinbase with no output.
    const halvingsToOne = (50n * COIN).toString(2).length - 1;
    const lastPaid = { ...a2, height: params.halvingInterval * halvingsToOne };
    expect(subsidy(params, lastPaid.height + 1)).toBe(1n);
    expect(state.template(lastPaid, tag)).toEqual([
      { kind: 'coinbase', height: lastPaid.height + 1, tag, outputs: [{ amount: 1n, keyHash: hashOf(alice) }] },
    ]);
    const unpaid = { ...a2, height: params.halvingInterval * (halvingsToOne + 1) - 1 };
    expect(subsidy(params, unpaid.height + 1)).toBe(0n);
    expect(state.template(unpaid, tag)).toEqual([{ kind: 'coinbase', height: unpaid.height + 1, tag, outputs: [] }]);
    // Without a payee, a coinbase that pays no one, even on the tip.
    state.payTo = undefined;
    expect(state.template(chain.tree.head, tag)).toEqual([{ kind: 'coinbase', height: 4, tag, outputs: [] }]);
  });

  it('adds up the subsidies of every block up to its height, era by era', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.bigInt({ min: 1n, max: 50n * COIN }),
        fc.integer({ min: 0, max: 900 }),
        (halvingInterval, firstSubsidy, height) => {
          const networkParams = { ...params, halvingInterval, subsidy: firstSubsidy };
          let expected = 0n;
          for (let h = 1; h <= height; h++) expected += subsidy(networkParams, h);
          expect(stateAtHeight(height, networkParams).subsidiesPaid()).toBe(expected);
        },
      ),
    );
    expect(stateAtHeight(0).subsidiesPaid()).toBe(0n);
    expect(stateAtHeight(3).subsidiesPaid()).toBe(150n * COIN);
  });

  it('lets a coinbase be spent once it is coinbaseMaturity blocks deep in the next block, any other coin at once', () => {
    // Maturity 2: a coinbase of block 5 may be spent from block 7 on, so on a ledger at height 6.
    expect(stateAtHeight(6).spendableAt({ height: 5, coinbase: true })).toBe(true);
    expect(stateAtHeight(5).spendableAt({ height: 5, coinbase: true })).toBe(false);
    expect(stateAtHeight(5).spendableAt({ height: 4, coinbase: true })).toBe(true);
    expect(stateAtHeight(5).spendableAt({ height: 5, coinbase: false })).toBe(true);
    expect(stateAtHeight(5).spendableAt({ height: 6, coinbase: false })).toBe(true);
  });

  it('throws on a tree it cannot route over: a ledger tip not in it, a block without a payload', () => {
    const { chain, a3 } = paidChain();
    const short = new Chain({}, [chain.tree.mainAt(1)!.block, chain.tree.mainAt(2)!.block]);
    const ledger = Ledger.fromState(params, genesisHash, chain.state.ledger.state());
    const state = short.start({ ledger });
    expect(() => state.followHead()).toThrow(
      new RangeError(`the ledger's tip ${a3.hash.slice(0, 16)} is not in the tree`),
    );

    // A seed tree over the same genesis, whose block is no payload.
    const seed = new BlockTree(genesis, seedRules({ target: params.initialTarget }));
    const block = mineBlock(new Block('not a payload', genesis), params.initialTarget);
    expect(seed.append(block, Number.MAX_SAFE_INTEGER).ok).toBe(true);
    const decoded = decodePayload(block.data, params.maxBlockBytes);
    if (decoded.ok) throw new Error('the block decodes');
    const misplaced = new ChainState(seed, chain.rules);
    expect(() => misplaced.followHead()).toThrow(
      new RangeError(`a block of the tree has no payload: ${decoded.reason}`),
    );
  });

  it('says which transactions are transfers', () => {
    const { pay, cb1 } = paidChain();
    expect(isTransfer(pay)).toBe(true);
    expect(isTransfer(cb1)).toBe(false);
  });
});

describe('a chain state restored from a snapshot', () => {
  it('rebuilds its index from the main chain when first asked, then follows the head as usual', () => {
    const { chain, a3, cb1, pay } = paidChain();
    const snapshot = encodeSnapshot(chain.state.ledger);
    chain.mine('a4');
    const expected = chain.state.history(hashOf(alice));
    expect(expected).toHaveLength(5);

    const copy = new Chain(
      {},
      chain.tree
        .mainChain()
        .slice(1)
        .map((entry) => entry.block),
    );
    const restored = ledgerFromSnapshot(copy.tree, snapshot);
    if (!restored.ok) throw new Error(restored.reason);
    expect(restored.ledger.tip).toBe(a3.hash);
    expect(restored.ledger.height).toBe(3);
    expect(restored.ledger.undoDepth).toBe(110);
    const state = copy.start({ payTo: hashOf(alice), ledger: restored.ledger });
    expect(state.followHead()).toMatchObject({ connected: 1, disconnected: 0 });
    expect(state.confirmed(hexTxid(pay))).toEqual({ tx: pay, block: a3.hash, height: 3 });
    expect(state.history(hashOf(alice))).toEqual(expected);
    expect(state.history(hashOf(alice))).toEqual(expected);
    expect(state.output({ txid: txid(cb1), index: 0 })).toEqual({ amount: 50n * COIN, keyHash: hashOf(alice) });

    // From then on, each new head's blocks are indexed as they come.
    const a5 = copy.mine('a5');
    const [cb5] = copy.transactions(a5) as [Transaction];
    expect(state.history(hashOf(alice))).toEqual([{ txid: hexTxid(cb5), height: 5, delta: 50n * COIN }, ...expected]);
    expect(state.confirmed(hexTxid(cb5))).toEqual({ tx: cb5, block: a5.hash, height: 5 });
  });

  it('gives the ledger of a snapshot whose tip the tree holds, with undo records as deep as its forks, else why not', () => {
    const { chain, a3 } = paidChain();
    const snapshot = encodeSnapshot(chain.state.ledger);
    const blocks = chain.tree
      .mainChain()
      .slice(1)
      .map((entry) => entry.block);
    const shallow = ledgerFromSnapshot(new Chain({ maxForkDepth: 5 }, blocks).tree, snapshot);
    expect(shallow.ok && shallow.ledger.undoDepth).toBe(15);
    expect(shallow.ok && shallow.ledger.supply()).toBe(chain.state.ledger.supply());

    expect(ledgerFromSnapshot(new Chain({}, blocks.slice(0, 2)).tree, snapshot)).toEqual({
      ok: false,
      reason: `its tip ${a3.hash.slice(0, 16)}… is not a stored block`,
    });
    expect(ledgerFromSnapshot(chain.tree, snapshot.subarray(0, 3))).toEqual({
      ok: false,
      reason: 'snapshot is 3 bytes, too short to be one',
    });
    const seed = new BlockTree(genesis, seedRules({ target: params.initialTarget }));
    expect(ledgerFromSnapshot(seed, snapshot)).toEqual({ ok: false, reason: 'this network keeps no chain state' });
  });
});
