import { describe, expect, it } from 'vitest';
import { EMPTY_ROUTE, Ledger, LedgerRouteError, type BlockRef, type Route } from '../src/consensus/ledger/ledger.js';
import { routeBetween } from '../src/consensus/ledger/route.js';
import { bytesToHex } from '../src/primitives/bytes.js';
import { MAX_MONEY, checkParams, subsidy } from '../src/primitives/params.js';
import {
  checkTransferSignatures,
  signatureDigest,
  txid,
  type CoinbaseTx,
  type TransferTx,
} from '../src/primitives/tx.js';
import { signMessage } from '../src/primitives/keys.js';
import {
  GENESIS_HASH,
  GENESIS_HEX,
  KEYS,
  MINER,
  OTHER_GENESIS_HASH,
  TEST_PARAMS,
  TestTree,
  coinbase,
  hashOf,
  hexTxid,
  transfer,
} from './helpers/ledger-chain.js';

const [, ALICE, BOB, CAROL] = KEYS as [unknown, (typeof KEYS)[0], (typeof KEYS)[0], (typeof KEYS)[0]];
const SUBSIDY = subsidy(TEST_PARAMS, 1);

/** Checks `block` on the tip and connects it; fails the test if it is refused. */
function extend(ledger: Ledger, block: BlockRef): void {
  const verdict = ledger.checkBlock(block, EMPTY_ROUTE);
  if (!verdict.ok) throw new Error(`${verdict.reason}: ${verdict.detail}`);
  ledger.reorganize({ disconnect: [], connect: [block] });
}

function refusal(ledger: Ledger, block: BlockRef, route: Route = EMPTY_ROUTE): string {
  const verdict = ledger.checkBlock(block, route);
  return verdict.ok ? 'accepted' : `${verdict.reason}: ${verdict.detail}`;
}

/** A ledger at height 3 whose block-1 coinbase (SUBSIDY to MINER) is spendable in block 4. */
function funded(): { ledger: Ledger; tree: TestTree; tip: string; reward: CoinbaseTx } {
  const ledger = new Ledger(TEST_PARAMS, GENESIS_HASH);
  const tree = new TestTree();
  let tip = GENESIS_HEX;
  for (let i = 0; i < 3; i++) {
    const block = tree.block(tip);
    extend(ledger, block);
    tip = block.hash;
  }
  const reward = tree.chain(tip)[0]!.payload.transactions[0] as CoinbaseTx;
  return { ledger, tree, tip, reward };
}

const snapshotOf = (ledger: Ledger): string[] =>
  [...ledger.state().coins]
    .map(([key, coin]) => `${key}=${coin.amount}@${coin.height}${coin.coinbase ? 'c' : ''}`)
    .sort();

describe('Ledger: the unspent-output set', () => {
  it('starts at the genesis with nothing unspent', () => {
    const ledger = new Ledger(TEST_PARAMS, GENESIS_HASH);
    expect([ledger.tip, ledger.height, ledger.size, ledger.supply(), ledger.reach]).toEqual([GENESIS_HEX, 0, 0, 0n, 0]);
  });

  it('connects a block: its coinbase becomes an immature coin of the miner', () => {
    const ledger = new Ledger(TEST_PARAMS, GENESIS_HASH);
    const tree = new TestTree();
    const block = tree.block(GENESIS_HEX);
    extend(ledger, block);
    const reward = block.payload.transactions[0]!;
    expect(ledger.tip).toBe(block.hash);
    expect(ledger.height).toBe(1);
    expect(ledger.coin({ txid: txid(reward), index: 0 })).toEqual({
      amount: SUBSIDY,
      keyHash: hashOf(MINER),
      height: 1,
      coinbase: true,
    });
    expect(ledger.balance(hashOf(MINER))).toBe(SUBSIDY);
    expect(ledger.unspent(hashOf(MINER)).map((u) => bytesToHex(u.outpoint.txid))).toEqual([hexTxid(reward)]);
    expect(ledger.supply()).toBe(SUBSIDY);
  });

  it('moves coins with a transfer and pays its fee to the miner; checkBlock changes nothing', () => {
    const { ledger, tree, tip, reward } = funded();
    const pay = transfer(
      [{ from: reward, index: 0, key: MINER }],
      [
        [30n, ALICE],
        [SUBSIDY - 30n - 7n, MINER],
      ],
    );
    const block = tree.block(tip, [pay], { fees: 7n });
    const before = snapshotOf(ledger);
    expect(ledger.checkBlock(block)).toEqual({ ok: true, fees: 7n });
    expect(snapshotOf(ledger)).toEqual(before);
    extend(ledger, block);
    expect(ledger.balance(hashOf(ALICE))).toBe(30n);
    expect(ledger.coin({ txid: txid(reward), index: 0 })).toBeUndefined();
    expect(ledger.supply()).toBe(4n * SUBSIDY);
    expect(ledger.balance(hashOf(MINER))).toBe(4n * SUBSIDY - 30n);
  });

  it('disconnects a block back to exactly the set before it and returns its transfers', () => {
    const { ledger, tree, tip, reward } = funded();
    const before = snapshotOf(ledger);
    const pay = transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY, ALICE]]);
    const block = tree.block(tip, [pay]);
    extend(ledger, block);
    const change = ledger.reorganize(tree.route(block.hash, tip));
    expect(change.returned).toEqual([pay]);
    expect(change.disconnected).toEqual([block.payload]);
    expect(ledger.tip).toBe(tip);
    expect(ledger.height).toBe(3);
    expect(snapshotOf(ledger)).toEqual(before);
  });

  it('checks a fork block on the state its route reaches, without moving', () => {
    const { ledger, tree, tip, reward } = funded();
    const toAlice = transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY, ALICE]]);
    const main = tree.block(tip, [toAlice]);
    extend(ledger, main);
    // The fork spends the same coin to Bob: valid there, since the main block is not on it.
    const toBob = transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY, BOB]]);
    const fork = tree.block(tip, [toBob], { tag: 'fork' });
    expect(refusal(ledger, fork, tree.route(ledger.tip, tip))).toBe('accepted');
    const forkChild = tree.block(fork.hash, [transfer([{ from: toBob, index: 0, key: BOB }], [[SUBSIDY, CAROL]])]);
    expect(refusal(ledger, forkChild, tree.route(ledger.tip, fork.hash))).toBe('accepted');
    expect(ledger.tip).toBe(main.hash);
    expect(ledger.balance(hashOf(ALICE))).toBe(SUBSIDY);
  });

  it('connects the block reorganize is given, not the last one checked (the fast path is keyed by hash)', () => {
    const { ledger, tree, tip, reward } = funded();
    const toAlice = tree.block(tip, [transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY, ALICE]])]);
    const toBob = tree.block(tip, [transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY, BOB]])], {
      tag: 'other',
    });
    expect(ledger.checkBlock(toBob).ok).toBe(true);
    expect(ledger.checkBlock(toAlice).ok).toBe(true);
    ledger.reorganize({ disconnect: [], connect: [toBob] });
    expect([ledger.balance(hashOf(ALICE)), ledger.balance(hashOf(BOB))]).toEqual([0n, SUBSIDY]);
  });

  it('refuses outputs above inputs, and a spend of an output that never existed', () => {
    const { ledger, tree, tip, reward } = funded();
    const tooMuch = transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY + 1n, ALICE]]);
    expect(refusal(ledger, tree.block(tip, [tooMuch]))).toMatch(
      new RegExp(`^bad-tx: transaction 1 \\(.*\\): outputs \\(${SUBSIDY + 1n}\\) exceed inputs \\(${SUBSIDY}\\)$`),
    );
    const ghost = transfer([{ from: new Uint8Array(32).fill(9), index: 0, key: MINER }], [[1n, ALICE]]);
    expect(refusal(ledger, tree.block(tip, [ghost]))).toMatch(
      /^bad-tx: .*input 0 spends 0909.*:0, which is not an unspent output/,
    );
  });

  it('lets a transfer spend an output of an earlier transfer of the same block', () => {
    const { ledger, tree, tip, reward } = funded();
    const first = transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY, ALICE]]);
    const second = transfer([{ from: first, index: 0, key: ALICE }], [[SUBSIDY, BOB]]);
    extend(ledger, tree.block(tip, [first, second]));
    expect(ledger.balance(hashOf(BOB))).toBe(SUBSIDY);
    const reversed = tree.block(tip, [second, first], { tag: 'reversed' });
    expect(refusal(ledger, reversed, tree.route(ledger.tip, tip))).toMatch(
      /^bad-tx: transaction 1 .*not an unspent output/,
    );
  });
});

describe('Ledger: the classic failures', () => {
  it('double spend inside one block', () => {
    const { ledger, tree, tip, reward } = funded();
    const toAlice = transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY, ALICE]]);
    const toBob = transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY, BOB]]);
    expect(refusal(ledger, tree.block(tip, [toAlice, toBob]))).toMatch(
      new RegExp(
        `^bad-tx: transaction 2 \\(.*\\): input 0 spends ${hexTxid(reward)}:0, already spent by transaction 1 of this block$`,
      ),
    );
  });

  it('double spend across two blocks', () => {
    const { ledger, tree, tip, reward } = funded();
    const toAlice = transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY, ALICE]]);
    const first = tree.block(tip, [toAlice]);
    extend(ledger, first);
    const toBob = transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY, BOB]]);
    expect(refusal(ledger, tree.block(first.hash, [toBob]))).toMatch(
      new RegExp(
        `^bad-tx: transaction 1 \\(.*\\): input 0 spends ${hexTxid(reward)}:0, which is not an unspent output`,
      ),
    );
    // The same transaction again is a double spend too.
    expect(refusal(ledger, tree.block(first.hash, [toAlice], { tag: 'again' }))).toMatch(
      /^bad-tx: .*not an unspent output/,
    );
  });

  it('double spend across a fork and its reorganisation', () => {
    const { ledger, tree, tip, reward } = funded();
    const toAlice = transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY, ALICE]]);
    const main = tree.block(tip, [toAlice]);
    extend(ledger, main);
    // A fork spends the same coin to Bob, then grows longer and the ledger follows it.
    const toBob = transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY, BOB]]);
    const fork1 = tree.block(tip, [toBob], { tag: 'fork' });
    expect(refusal(ledger, fork1, tree.route(ledger.tip, tip))).toBe('accepted');
    const fork2 = tree.block(fork1.hash);
    expect(refusal(ledger, fork2, tree.route(ledger.tip, fork1.hash))).toBe('accepted');
    // On the fork, Alice's transaction spends a spent coin, before and after the reorganisation.
    const replay = tree.block(fork1.hash, [toAlice], { tag: 'replay' });
    expect(refusal(ledger, replay, tree.route(ledger.tip, fork1.hash))).toMatch(/^bad-tx: .*not an unspent output/);
    const change = ledger.reorganize(tree.route(ledger.tip, fork2.hash));
    expect(change.returned).toEqual([toAlice]);
    expect([ledger.balance(hashOf(ALICE)), ledger.balance(hashOf(BOB))]).toEqual([0n, SUBSIDY]);
    expect(refusal(ledger, tree.block(fork2.hash, [toAlice]))).toMatch(/^bad-tx: .*not an unspent output/);
    // And the old main chain, checked from the new tip, still refuses Bob's spend on top of it.
    const mainChild = tree.block(main.hash, [toBob], { tag: 'back' });
    expect(refusal(ledger, mainChild, tree.route(ledger.tip, main.hash))).toMatch(/^bad-tx: .*not an unspent output/);
  });

  it('two inputs spending one output in one transaction (CVE-2018-17144)', () => {
    const { ledger, tree, tip, reward } = funded();
    // Signed properly over the duplicated inputs: only the duplicate rule can refuse it.
    const unsigned = {
      kind: 'transfer' as const,
      inputs: [0, 1].map(() => ({ txid: txid(reward), index: 0, publicKey: MINER.publicKey })),
      outputs: [{ amount: 2n * SUBSIDY, keyHash: hashOf(ALICE) }],
    };
    const signature = signMessage(signatureDigest(unsigned, GENESIS_HASH), MINER.privateKey);
    const doubled: TransferTx = { ...unsigned, inputs: unsigned.inputs.map((input) => ({ ...input, signature })) };
    expect(checkTransferSignatures(doubled, GENESIS_HASH).ok).toBe(true);
    expect(refusal(ledger, tree.block(tip, [doubled], { fees: 0n }))).toMatch(
      /^bad-tx: transaction 1: input 1 spends the same output as input 0$/,
    );
  });

  it('an output sum that overflows or passes MAX_MONEY (CVE-2010-5139)', () => {
    const { ledger, tree, tip, reward } = funded();
    const sign = (amounts: bigint[]): TransferTx => {
      const unsigned = {
        kind: 'transfer' as const,
        inputs: [{ txid: txid(reward), index: 0, publicKey: MINER.publicKey }],
        outputs: amounts.map((amount) => ({ amount, keyHash: hashOf(ALICE) })),
      };
      const signature = signMessage(signatureDigest(unsigned, GENESIS_HASH), MINER.privateKey);
      return { ...unsigned, inputs: [{ ...unsigned.inputs[0]!, signature }] };
    };
    // Two amounts that a 64-bit sum would wrap to 0.
    expect(refusal(ledger, tree.block(tip, [sign([1n << 63n, 1n << 63n])]))).toMatch(
      new RegExp(`^bad-tx: .*output 0: amount must be 1 to ${MAX_MONEY} base units, got ${1n << 63n}$`),
    );
    // An amount no 64-bit field holds (no encoding, so no txid and no signature): refused, not thrown.
    const unencodable: TransferTx = {
      kind: 'transfer',
      inputs: [{ txid: txid(reward), index: 0, publicKey: MINER.publicKey, signature: new Uint8Array(64) }],
      outputs: [{ amount: 1n << 64n, keyHash: hashOf(ALICE) }],
    };
    expect(refusal(ledger, tree.block(tip, [unencodable], { tag: 'u' }))).toBe(
      `bad-tx: transaction 1: output 0: amount must be 1 to ${MAX_MONEY} base units, got ${1n << 64n}`,
    );
    // Each amount in range, the sum one past MAX_MONEY.
    expect(refusal(ledger, tree.block(tip, [sign([MAX_MONEY, 1n])], { tag: 'b' }))).toMatch(
      new RegExp(`^bad-tx: .*outputs add up to more than MAX_MONEY \\(${MAX_MONEY}\\)$`),
    );
    // At MAX_MONEY exactly the sum is in range, and the block fails only on the missing money.
    expect(refusal(ledger, tree.block(tip, [sign([MAX_MONEY - 1n, 1n])], { tag: 'c' }))).toMatch(
      new RegExp(`^bad-tx: .*outputs \\(${MAX_MONEY}\\) exceed inputs \\(${SUBSIDY}\\)$`),
    );
  });

  it('spending an immature coinbase (refused one block early, accepted at maturity)', () => {
    const ledger = new Ledger(TEST_PARAMS, GENESIS_HASH);
    const tree = new TestTree();
    const first = tree.block(GENESIS_HEX);
    extend(ledger, first);
    const reward = first.payload.transactions[0]!;
    const spend = transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY, ALICE]]);
    let tip = first.hash;
    // Maturity 3: the coinbase of height 1 is spendable from height 4 on.
    for (let height = 2; height < 1 + TEST_PARAMS.coinbaseMaturity; height++) {
      expect(refusal(ledger, tree.block(tip, [spend], { tag: 'early' }))).toMatch(
        new RegExp(`^bad-tx: .*input 0 spends the coinbase of height 1, immature until height 4$`),
      );
      const empty = tree.block(tip);
      extend(ledger, empty);
      tip = empty.hash;
    }
    expect(refusal(ledger, tree.block(tip, [spend]))).toBe('accepted');
  });

  it('a coinbase that pays too much (by one base unit), and one paying exactly subsidy + fees', () => {
    const { ledger, tree, tip, reward } = funded();
    const pay = transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY - 100n, ALICE]]);
    expect(refusal(ledger, tree.block(tip, [pay], { fees: 100n, overpay: 1n }))).toBe(
      `bad-coinbase: coinbase pays ${SUBSIDY + 101n}, more than subsidy ${SUBSIDY} + fees 100 = ${SUBSIDY + 100n}`,
    );
    expect(refusal(ledger, tree.block(tip, [pay], { fees: 100n, tag: 'exact' }))).toBe('accepted');
    expect(refusal(ledger, tree.block(tip, [], { overpay: 1n, tag: 'empty' }))).toMatch(/^bad-coinbase: coinbase pays/);
  });

  it('two coinbases with the same txid (in one block, and one copied from an earlier block)', () => {
    const { ledger, tree, tip } = funded();
    const own = coinbase(4, SUBSIDY);
    expect(refusal(ledger, tree.block(tip, [], { transactions: [own, own] }))).toBe(
      'bad-coinbase: transaction 1 is a second coinbase',
    );
    const earlier = tree.chain(tip)[0]!.payload.transactions[0]!;
    expect(refusal(ledger, tree.block(tip, [], { transactions: [earlier] }))).toBe(
      'bad-coinbase: coinbase height 1 is not the block height 4',
    );
  });

  it('a coinbase that is not first', () => {
    const { ledger, tree, tip, reward } = funded();
    const pay = transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY, ALICE]]);
    expect(refusal(ledger, tree.block(tip, [], { transactions: [pay, coinbase(4, SUBSIDY)] }))).toBe(
      'bad-coinbase: first transaction is not a coinbase',
    );
  });

  it('a signature from another key (with the owner’s public key, and with the signer’s)', () => {
    const { ledger, tree, tip, reward } = funded();
    const honest = transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY, ALICE]]);
    const signature = signMessage(signatureDigest(honest, GENESIS_HASH), ALICE.privateKey);
    const forged: TransferTx = { ...honest, inputs: [{ ...honest.inputs[0]!, signature }] };
    expect(refusal(ledger, tree.block(tip, [forged]))).toMatch(
      /^bad-tx: transaction 1 \(.*\): input 0: signature does not verify$/,
    );
    const ownKey = transfer([{ from: reward, index: 0, key: ALICE }], [[SUBSIDY, ALICE]]);
    expect(refusal(ledger, tree.block(tip, [ownKey], { tag: 'b' }))).toMatch(
      /^bad-tx: .*input 0: public key does not match the spent output's key hash$/,
    );
  });

  it('a transaction replayed from another powchain network', () => {
    const { ledger, tree, tip, reward } = funded();
    const otherNetwork = transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY, ALICE]], OTHER_GENESIS_HASH);
    expect(checkTransferSignatures(otherNetwork, OTHER_GENESIS_HASH).ok).toBe(true);
    expect(refusal(ledger, tree.block(tip, [otherNetwork]))).toMatch(/^bad-tx: .*input 0: signature does not verify$/);
    // The same spend, signed for this network, is fine.
    const here = transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY, ALICE]]);
    expect(refusal(ledger, tree.block(tip, [here], { tag: 'here' }))).toBe('accepted');
  });

  it('a modified transaction with the old signature', () => {
    const { ledger, tree, tip, reward } = funded();
    const honest = transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY - 10n, ALICE]]);
    expect(refusal(ledger, tree.block(tip, [honest], { fees: 10n }))).toBe('accepted');
    const redirected: TransferTx = { ...honest, outputs: [{ amount: SUBSIDY - 10n, keyHash: hashOf(BOB) }] };
    expect(refusal(ledger, tree.block(tip, [redirected], { fees: 10n, tag: 'b' }))).toMatch(
      /^bad-tx: .*input 0: signature does not verify$/,
    );
    const bigger: TransferTx = { ...honest, outputs: [{ amount: SUBSIDY, keyHash: hashOf(ALICE) }] };
    expect(refusal(ledger, tree.block(tip, [bigger], { tag: 'c' }))).toMatch(/^bad-tx: .*signature does not verify$/);
  });

  it('a txid changed by a third party: it cannot be, and a copy with other signature bytes is refused', () => {
    const { ledger, tree, tip, reward } = funded();
    const honest = transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY, ALICE]]);
    // The honest transaction verifies first, so the signature cache knows its txid.
    expect(refusal(ledger, tree.block(tip, [honest]))).toBe('accepted');
    const flipped = honest.inputs[0]!.signature.slice();
    flipped[5]! ^= 0x01;
    // s + L: the other encoding of the same ed25519 scalar, which strict verification refuses.
    const L = (1n << 252n) + 27742317777372353535851937790883648493n;
    const sig = honest.inputs[0]!.signature;
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!);
    const sPlusL = sig.slice();
    let wide = s + L;
    for (let i = 32; i < 64; i++, wide >>= 8n) sPlusL[i] = Number(wide & 0xffn);
    for (const signature of [flipped, sPlusL]) {
      const copy: TransferTx = { ...honest, inputs: [{ ...honest.inputs[0]!, signature }] };
      expect(hexTxid(copy)).toBe(hexTxid(honest));
      expect(refusal(ledger, tree.block(tip, [copy], { tag: bytesToHex(signature) }))).toMatch(
        /^bad-tx: .*input 0: signature does not verify$/,
      );
    }
  });
});

describe('Ledger: routes and undo records', () => {
  function chainOf(length: number, undoDepth: number): { ledger: Ledger; tree: TestTree; hashes: string[] } {
    const ledger = new Ledger(TEST_PARAMS, GENESIS_HASH, { undoDepth });
    const tree = new TestTree();
    const hashes = [GENESIS_HEX];
    for (let i = 0; i < length; i++) {
      const block = tree.block(hashes.at(-1)!);
      extend(ledger, block);
      hashes.push(block.hash);
    }
    return { ledger, tree, hashes };
  }

  it('keeps undo records for undoDepth blocks: disconnects that many, and throws one past it', () => {
    const { ledger, tree, hashes } = chainOf(6, 3);
    expect(ledger.reach).toBe(3);
    expect(() => ledger.checkBlock(tree.block(hashes[2]!), tree.route(ledger.tip, hashes[2]!))).toThrow(
      new LedgerRouteError('route disconnects 4 blocks; undo records are kept for 3'),
    );
    expect(ledger.checkBlock(tree.block(hashes[3]!), tree.route(ledger.tip, hashes[3]!)).ok).toBe(true);
    ledger.reorganize(tree.route(ledger.tip, hashes[3]!));
    expect([ledger.tip, ledger.height, ledger.reach, ledger.supply()]).toEqual([hashes[3], 3, 0, 3n * SUBSIDY]);
  });

  it('checks a branch block by block from the last checked state, undisturbed by a refused block', () => {
    const { ledger, tree, tip, reward } = funded();
    const main = tree.block(tip);
    extend(ledger, main);
    const toAlice = transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY, ALICE]]);
    const f1 = tree.block(tip, [toAlice], { tag: 'fork' });
    expect(refusal(ledger, f1, tree.route(ledger.tip, tip))).toBe('accepted');
    // A refused child of f1 (a re-spend), then a good one: the state at f1 is intact.
    const again = tree.block(f1.hash, [toAlice], { tag: 'again' });
    expect(refusal(ledger, again, tree.route(ledger.tip, f1.hash))).toMatch(/^bad-tx: .*not an unspent output/);
    const toBob = transfer([{ from: toAlice, index: 0, key: ALICE }], [[SUBSIDY, BOB]]);
    const f2 = tree.block(f1.hash, [toBob]);
    expect(refusal(ledger, f2, tree.route(ledger.tip, f1.hash))).toBe('accepted');
    const f3 = tree.block(f2.hash);
    expect(refusal(ledger, f3, tree.route(ledger.tip, f2.hash))).toBe('accepted');
    const change = ledger.reorganize(tree.route(ledger.tip, f3.hash));
    expect(change.connected).toEqual([f1.payload, f2.payload, f3.payload]);
    expect([ledger.tip, ledger.height, ledger.balance(hashOf(ALICE)), ledger.balance(hashOf(BOB))]).toEqual([
      f3.hash,
      6,
      0n,
      SUBSIDY,
    ]);
    expect(ledger.supply()).toBe(6n * SUBSIDY);
  });

  it('routeBetween walks from one block back to the fork point and on to the other', () => {
    const tree = new TestTree();
    interface Node {
      hash: string;
      height: number;
      parent: Node | undefined;
    }
    const genesis: Node = { hash: GENESIS_HEX, height: 0, parent: undefined };
    const nodes = new Map<string, Node>([[GENESIS_HEX, genesis]]);
    const add = (parent: Node, tag: string): Node => {
      const block = tree.block(parent.hash, [], { tag });
      const node = { hash: block.hash, height: block.height, parent };
      nodes.set(block.hash, node);
      return node;
    };
    const a1 = add(genesis, 'a1');
    const a3 = add(add(a1, 'a2'), 'a3');
    const b3 = add(add(a1, 'b2'), 'b3');
    const refOf = (node: Node): BlockRef => tree.get(node.hash);
    for (const [from, to] of [
      [a3, b3],
      [b3, a3],
      [a3, a3],
      [a3, a1],
      [genesis, a3],
      [a1, genesis],
    ] as const) {
      expect(routeBetween(from, to, refOf)).toEqual(tree.route(from.hash, to.hash));
    }
    expect(routeBetween(a3, b3, refOf).disconnect.map((block) => block.height)).toEqual([3, 2]);
    const stranger: Node = { hash: 'ff'.repeat(32), height: 0, parent: undefined };
    expect(() => routeBetween(a3, stranger, refOf)).toThrow(new RangeError('the two blocks are not in one tree'));
  });

  it('routeBetween throws on blocks of two trees, whichever side reaches its root first', () => {
    interface Node {
      height: number;
      parent: Node | undefined;
    }
    const root: Node = { height: 0, parent: undefined };
    const child: Node = { height: 1, parent: root };
    // A block of another tree whose oldest known block is at height 2.
    const stray: Node = { height: 3, parent: { height: 2, parent: undefined } };
    // What a route holds does not matter here: it never gets built.
    const someBlock = new TestTree().block(GENESIS_HEX);
    const refOf = (): BlockRef => someBlock;
    for (const [from, to] of [
      [child, stray],
      [stray, child],
      [root, stray],
      [stray, root],
    ] as const) {
      expect(() => routeBetween(from, to, refOf)).toThrow(new RangeError('the two blocks are not in one tree'));
    }
  });

  it('throws on a route that does not start at the tip or does not link up', () => {
    const { ledger, tree, hashes } = chainOf(3, 10);
    const notTip = { disconnect: [tree.get(hashes[2]!)], connect: [] };
    expect(() => ledger.reorganize(notTip)).toThrow(LedgerRouteError);
    const unlinked = { disconnect: [], connect: [tree.block(hashes[1]!)] };
    expect(() => ledger.reorganize(unlinked)).toThrow(LedgerRouteError);
    expect(() => ledger.checkBlock(tree.block(hashes[2]!))).toThrow(LedgerRouteError);
    expect(ledger.tip).toBe(hashes[3]);
  });

  it('changes nothing when a block on the route breaks the rules (a broken invariant)', () => {
    const { ledger, tree, hashes } = chainOf(3, 10);
    const before = snapshotOf(ledger);
    const good = tree.block(hashes[3]!);
    const bad = tree.block(good.hash, [], { overpay: 1n });
    expect(() => ledger.reorganize({ disconnect: [], connect: [good, bad] })).toThrow(
      /fails the ledger rules: bad-coinbase/,
    );
    expect([ledger.tip, snapshotOf(ledger)]).toEqual([hashes[3], before]);
  });

  it('refuses an undo depth out of range and a genesis hash of the wrong length', () => {
    expect(() => new Ledger(TEST_PARAMS, GENESIS_HASH, { undoDepth: -1 })).toThrow(RangeError);
    expect(() => new Ledger(TEST_PARAMS, GENESIS_HASH, { undoDepth: 10_001 })).toThrow(RangeError);
    expect(new Ledger(TEST_PARAMS, GENESIS_HASH, { undoDepth: 10_000 }).undoDepth).toBe(10_000);
    expect(() => new Ledger(TEST_PARAMS, new Uint8Array(31))).toThrow(RangeError);
  });
});

describe('Ledger: construction', () => {
  it('names the broken rule of bad parameters, a bad genesis hash and an undo depth out of range', () => {
    const params = { ...TEST_PARAMS, coinbaseMaturity: -1 };
    const verdict = checkParams(params);
    expect(verdict.ok).toBe(false);
    expect(() => new Ledger(params, GENESIS_HASH)).toThrow(
      `invalid network parameters: ${verdict.ok ? '' : verdict.reason}`,
    );
    expect(() => new Ledger(TEST_PARAMS, new Uint8Array(33))).toThrow('genesis hash must be 32 bytes');
    expect(() => new Ledger(TEST_PARAMS, GENESIS_HASH, { undoDepth: -1 })).toThrow(
      'undo depth must be 0 to 10000, got -1',
    );
    expect(() => new Ledger(TEST_PARAMS, GENESIS_HASH, { undoDepth: 1.5 })).toThrow(
      'undo depth must be 0 to 10000, got 1.5',
    );
  });

  it('takes an undo depth of 0: it connects blocks and can disconnect none', () => {
    const ledger = new Ledger(TEST_PARAMS, GENESIS_HASH, { undoDepth: 0 });
    const tree = new TestTree();
    const block = tree.block(GENESIS_HEX);
    extend(ledger, block);
    expect([ledger.undoDepth, ledger.height, ledger.reach]).toEqual([0, 1, 0]);
    expect(() => ledger.reorganize(tree.route(block.hash, GENESIS_HEX))).toThrow(
      new LedgerRouteError('route disconnects 1 blocks; undo records are kept for 0'),
    );
  });

  it('keeps its own copy of the genesis hash', () => {
    const genesis = GENESIS_HASH.slice();
    const ledger = new Ledger(TEST_PARAMS, genesis);
    genesis.fill(0);
    expect(ledger.genesisHash).toEqual(GENESIS_HASH);
    expect(ledger.tip).toBe(GENESIS_HEX);
  });

  it('throws LedgerRouteError, named so', () => {
    const error = new LedgerRouteError('x');
    expect([error.name, error instanceof Error, String(error)]).toEqual([
      'LedgerRouteError',
      true,
      'LedgerRouteError: x',
    ]);
  });
});

describe('Ledger: unspent outputs of one owner', () => {
  it('lists them oldest first, then by outpoint key, whatever order they were added in', () => {
    const { ledger, tree, tip, reward } = funded();
    // A coinbase tag whose txid sorts after the transfer's, so that the block adds them out of key order.
    const pay = transfer(
      [{ from: reward, index: 0, key: MINER }],
      [
        [SUBSIDY - 10n, MINER],
        [10n, MINER],
      ],
    );
    let tag = 0;
    while (hexTxid(coinbase(4, SUBSIDY, MINER, `t${tag}`)) < hexTxid(pay)) tag++;
    const block = tree.block(tip, [pay], { tag: `t${tag}` });
    extend(ledger, block);
    const listed = (): string[] =>
      ledger.unspent(hashOf(MINER)).map((u) => `${u.coin.height}@${bytesToHex(u.outpoint.txid)}:${u.outpoint.index}`);
    const [cb4] = block.payload.transactions as [CoinbaseTx];
    const [cb2, cb3] = [1, 2].map((i) => tree.chain(tip)[i]!.payload.transactions[0]!) as [CoinbaseTx, CoinbaseTx];
    expect(listed()).toEqual([
      `2@${hexTxid(cb2)}:0`,
      `3@${hexTxid(cb3)}:0`,
      `4@${hexTxid(pay)}:0`,
      `4@${hexTxid(pay)}:1`,
      `4@${hexTxid(cb4)}:0`,
    ]);
    // Disconnected, the block gives the coin of height 1 back: added last, listed first.
    ledger.reorganize(tree.route(block.hash, tip));
    expect(listed()).toEqual([`1@${hexTxid(reward)}:0`, `2@${hexTxid(cb2)}:0`, `3@${hexTxid(cb3)}:0`]);
    expect(ledger.unspent(hashOf(MINER))[0]).toEqual({
      outpoint: { txid: txid(reward), index: 0 },
      coin: { amount: SUBSIDY, keyHash: hashOf(MINER), height: 1, coinbase: true },
    });
  });
});

describe('Ledger: routes that do not link up', () => {
  it('checkBlock refuses a block whose parent or height does not follow the route’s end', () => {
    const { ledger, tree, tip } = funded();
    const good = tree.block(tip);
    const wrongHeight: BlockRef = { ...good, height: 5 };
    expect(() => ledger.checkBlock(wrongHeight)).toThrow(
      new LedgerRouteError(
        `block ${good.hash} (height 5, parent ${tip}) does not follow the route's end ${tip} (height 3)`,
      ),
    );
    const orphan: BlockRef = { ...good, parentHash: GENESIS_HEX };
    expect(() => ledger.checkBlock(orphan)).toThrow(
      new LedgerRouteError(
        `block ${good.hash} (height 4, parent ${GENESIS_HEX}) does not follow the route's end ${tip} (height 3)`,
      ),
    );
    expect(() => ledger.checkBlock({ ...good, hash: good.hash.toUpperCase() })).toThrow(LedgerRouteError);
    expect(ledger.checkBlock(good)).toEqual({ ok: true, fees: 0n });
  });

  it('reorganize refuses a connected block whose parent or height does not follow', () => {
    const { ledger, tree, tip } = funded();
    const good = tree.block(tip);
    expect(() => ledger.reorganize({ disconnect: [], connect: [{ ...good, height: 5 }] })).toThrow(
      new LedgerRouteError(`route connects ${good.hash} (height 5, parent ${tip}) after ${tip} (height 3)`),
    );
    expect(() => ledger.reorganize({ disconnect: [], connect: [{ ...good, parentHash: GENESIS_HEX }] })).toThrow(
      new LedgerRouteError(`route connects ${good.hash} (height 4, parent ${GENESIS_HEX}) after ${tip} (height 3)`),
    );
    expect([ledger.tip, ledger.height]).toEqual([tip, 3]);
  });

  it('reorganize refuses a disconnected block that is not the tip, by hash or by height', () => {
    const { ledger, tree, tip } = funded();
    const sibling = tree.block(tree.get(tip).parentHash, [], { tag: 'sibling' });
    expect(() => ledger.reorganize({ disconnect: [sibling], connect: [] })).toThrow(
      new LedgerRouteError(`route disconnects ${sibling.hash} (height 3); the tip is ${tip}`),
    );
    expect(() => ledger.reorganize({ disconnect: [{ ...tree.get(tip), height: 4 }], connect: [] })).toThrow(
      new LedgerRouteError(`route disconnects ${tip} (height 4); the tip is ${tip}`),
    );
    expect([ledger.tip, ledger.height, ledger.reach]).toEqual([tip, 3, 3]);
  });

  it('reorganize refuses to disconnect the tip with an undo record of another block', () => {
    const { ledger, tree, tip } = funded();
    const state = ledger.state();
    const undo = state.undo.map((record, i) =>
      i === state.undo.length - 1 ? { ...record, hash: 'ee'.repeat(32) } : record,
    );
    const restored = Ledger.fromState(TEST_PARAMS, GENESIS_HASH, { ...state, coins: [...state.coins], undo });
    expect(() => restored.reorganize(tree.route(tip, tree.get(tip).parentHash))).toThrow(
      new LedgerRouteError(`route disconnects ${tip} (height 3); the tip is ${tip}`),
    );
  });

  it('throws on an undo record that does not match the block it undoes, changing nothing', () => {
    const { ledger, tree, tip, reward } = funded();
    const block = tree.block(tip, [transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY, ALICE]])]);
    extend(ledger, block);
    const state = ledger.state();
    const last = state.undo.at(-1)!;
    const spent = last.spent[0]!;
    const withUndo = (record: typeof last): Ledger =>
      Ledger.fromState(TEST_PARAMS, GENESIS_HASH, {
        ...state,
        coins: [...ledger.state().coins],
        undo: [...state.undo.slice(0, -1), record],
      });
    const wrongKey = `${'cd'.repeat(32)}:0`;
    const mismatched = withUndo({ ...last, spent: [{ ...spent, key: wrongKey }] });
    expect(() => mismatched.reorganize(tree.route(block.hash, tip))).toThrow(
      `undo record of block ${block.hash} does not match its input ${spent.key}`,
    );
    const extra = withUndo({ ...last, spent: [{ ...spent, key: wrongKey }, spent] });
    expect(() => extra.reorganize(tree.route(block.hash, tip))).toThrow(
      `undo record of block ${block.hash} has 1 coins its block did not spend`,
    );
    expect([extra.tip, extra.balance(hashOf(ALICE)), extra.reach]).toEqual([block.hash, SUBSIDY, 4]);
  });
});

describe('Ledger: the state prepared by checkBlock', () => {
  it('is taken by reorganize when the route ends at the last checked block, which is not connected again', () => {
    const { ledger, tree, tip } = funded();
    const block = tree.block(tip);
    expect(ledger.checkBlock(block)).toEqual({ ok: true, fees: 0n });
    // Keyed by hash: a payload that fails the rules under the same hash shows it is not looked at again.
    const broken = tree.block(tip, [], { overpay: 1n });
    const change = ledger.reorganize({ disconnect: [], connect: [{ ...block, payload: broken.payload }] });
    expect(change.connected).toEqual([broken.payload]);
    expect([ledger.tip, ledger.height, ledger.supply()]).toEqual([block.hash, 4, 4n * SUBSIDY]);
  });

  it('is used only for the route ending at that block, not one passing through it', () => {
    const { ledger, tree, tip } = funded();
    const f1 = tree.block(tip);
    const f2 = tree.block(f1.hash);
    const f3 = tree.block(f2.hash);
    expect(ledger.checkBlock(f1).ok).toBe(true);
    expect(ledger.checkBlock(f2, { disconnect: [], connect: [f1] }).ok).toBe(true);
    ledger.reorganize({ disconnect: [], connect: [f1, f2, f3] });
    expect([ledger.tip, ledger.height, ledger.reach]).toEqual([f3.hash, 6, 6]);
  });

  it('is not used for a route with another number of disconnections', () => {
    const { ledger, tree, tip } = funded();
    const parent = tree.get(tip).parentHash;
    const fork = tree.block(parent, [], { tag: 'fork' });
    expect(ledger.checkBlock(fork, tree.route(tip, parent)).ok).toBe(true);
    expect(() => ledger.reorganize({ disconnect: [], connect: [fork] })).toThrow(
      new LedgerRouteError(`route connects ${fork.hash} (height 3, parent ${parent}) after ${tip} (height 3)`),
    );
    ledger.reorganize(tree.route(tip, fork.hash));
    expect([ledger.tip, ledger.height]).toEqual([fork.hash, 3]);
  });
});

describe('Ledger: transfers returned by a reorganisation', () => {
  it('returns those of the disconnected blocks, oldest block first, less those the new branch holds', () => {
    const { ledger, tree, tip, reward } = funded();
    const chain = tree.chain(tip);
    const pay1 = transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY, ALICE]]);
    const m1 = tree.block(tip, [pay1]);
    extend(ledger, m1);
    const pay2 = transfer([{ from: chain[1]!.payload.transactions[0]!, index: 0, key: MINER }], [[SUBSIDY, BOB]]);
    const pay3 = transfer([{ from: pay1, index: 0, key: ALICE }], [[SUBSIDY, CAROL]]);
    const m2 = tree.block(m1.hash, [pay2, pay3]);
    extend(ledger, m2);
    // The fork holds pay2 and neither pay1 nor its child pay3.
    const f1 = tree.block(tip, [], { tag: 'fork' });
    const f2 = tree.block(f1.hash, [pay2]);
    const f3 = tree.block(f2.hash);
    const change = ledger.reorganize(tree.route(ledger.tip, f3.hash));
    expect(change.returned).toEqual([pay1, pay3]);
    expect(change.disconnected).toEqual([m2.payload, m1.payload]);
    // Back again: the main branch holds pay2 too, so nothing of the fork's comes back.
    const m3 = tree.block(m2.hash);
    const m4 = tree.block(m3.hash);
    expect(ledger.reorganize(tree.route(ledger.tip, m4.hash)).returned).toEqual([]);
    expect(ledger.balance(hashOf(CAROL))).toBe(SUBSIDY);
  });
});

describe('Ledger: sums near MAX_MONEY (on a saved state no honest chain reaches)', () => {
  const RICH = new Uint8Array(32).fill(0x77);
  const amounts = [MAX_MONEY, MAX_MONEY, MAX_MONEY - 1n, 1n];
  function rich(): { ledger: Ledger; tree: TestTree } {
    const coins = amounts.map(
      (amount, index) =>
        [`${bytesToHex(RICH)}:${index}`, { amount, keyHash: hashOf(MINER), height: 0, coinbase: false }] as const,
    );
    const state = { tip: GENESIS_HEX, height: 0, coins, undo: [] };
    return { ledger: Ledger.fromState(TEST_PARAMS, GENESIS_HASH, state), tree: new TestTree() };
  }
  const spend = (indexes: number[], outputs: bigint[]): TransferTx =>
    transfer(
      indexes.map((index) => ({ from: RICH, index, key: MINER })),
      outputs.map((amount) => [amount, ALICE] as const),
    );

  it('refuses inputs adding up to more than MAX_MONEY, and takes MAX_MONEY exactly', () => {
    const { ledger, tree } = rich();
    const over = spend([0, 3], [MAX_MONEY]);
    expect(refusal(ledger, tree.block(GENESIS_HEX, [over]))).toBe(
      `bad-tx: transaction 1 (${hexTxid(over).slice(0, 16)}…): inputs add up to more than MAX_MONEY (${MAX_MONEY})`,
    );
    const exact = spend([2, 3], [MAX_MONEY]);
    expect(ledger.checkBlock(tree.block(GENESIS_HEX, [exact], { tag: 'exact' }))).toEqual({ ok: true, fees: 0n });
  });

  it('refuses fees adding up to more than MAX_MONEY, and takes MAX_MONEY exactly', () => {
    const { ledger, tree } = rich();
    const first = spend([0], [1n]);
    const exact = spend([1], [MAX_MONEY - 1n]);
    expect(ledger.checkBlock(tree.block(GENESIS_HEX, [first, exact]))).toEqual({ ok: true, fees: MAX_MONEY });
    const over = spend([1], [MAX_MONEY - 2n]);
    expect(refusal(ledger, tree.block(GENESIS_HEX, [first, over], { tag: 'over' }))).toBe(
      `bad-tx: transaction 2 (${hexTxid(over).slice(0, 16)}…): fees add up to more than MAX_MONEY (${MAX_MONEY})`,
    );
  });
});
