/**
 * A ledger for the mempool tests: blocks 1-3 pay their coinbases to MINER, block 4 splits
 * the first coinbase into `outputs` coins for ALICE (not coinbases: spendable at once), and
 * helpers that sign transfers of those coins.
 */
import { EMPTY_ROUTE, Ledger, type BlockRef } from '../../src/consensus/ledger/ledger.js';
import { subsidy } from '../../src/primitives/params.js';
import type { CoinbaseTx, TransferTx } from '../../src/primitives/tx.js';
import { GENESIS_HASH, GENESIS_HEX, KEYS, MINER, TEST_PARAMS, TestTree, transfer } from './ledger-chain.js';

export const ALICE = KEYS[1]!;
export const BOB = KEYS[2]!;
export const CAROL = KEYS[3]!;
export const SUBSIDY = subsidy(TEST_PARAMS, 1);

export interface PoolFixture {
  ledger: Ledger;
  tree: TestTree;
  /** The fan-out transfer whose outputs ALICE owns. */
  fanOut: TransferTx;
  /** Amount of each fan-out output. */
  amount: bigint;
  /** Coinbases of blocks 1-4 (the first is spent by the fan-out). */
  coinbases: CoinbaseTx[];
  /** Checks `block` on the tip and connects it. */
  extend(block: BlockRef): void;
  /** A transfer of fan-out output `index` paying `amount - fee` to BOB (one output: 163 bytes). */
  spend(index: number, fee: bigint, payee?: (typeof KEYS)[number]): TransferTx;
}

export function poolFixture(outputs = 64): PoolFixture {
  const ledger = new Ledger(TEST_PARAMS, GENESIS_HASH);
  const tree = new TestTree();
  const extend = (block: BlockRef): void => {
    const verdict = ledger.checkBlock(block, EMPTY_ROUTE);
    if (!verdict.ok) throw new Error(`${verdict.reason}: ${verdict.detail}`);
    ledger.reorganize({ disconnect: [], connect: [block] });
  };
  let tip = GENESIS_HEX;
  for (let i = 0; i < 3; i++) {
    const block = tree.block(tip);
    extend(block);
    tip = block.hash;
  }
  const coinbases = tree.chain(tip).map((block) => block.payload.transactions[0] as CoinbaseTx);
  const amount = SUBSIDY / BigInt(outputs);
  const fanOut = transfer(
    [{ from: coinbases[0]!, index: 0, key: MINER }],
    Array.from({ length: outputs }, () => [amount, ALICE] as const),
  );
  const fees = SUBSIDY - amount * BigInt(outputs);
  const block = tree.block(tip, [fanOut], { fees });
  extend(block);
  coinbases.push(block.payload.transactions[0] as CoinbaseTx);
  const spend = (index: number, fee: bigint, payee = BOB): TransferTx =>
    transfer([{ from: fanOut, index, key: ALICE }], [[amount - fee, payee]]);
  return { ledger, tree, fanOut, amount, coinbases, extend, spend };
}
