/**
 * Property: after any sequence of blocks, forks and reorganisations, the ledger's unspent
 * outputs are exactly those replayed from the genesis along its main chain (by a naive
 * model and by a fresh ledger connecting block after block), their total is the subsidies
 * paid along that chain, and a double spend of anything the branch already spent is refused
 * whatever the route to it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSnapshot, encodeSnapshot } from '../src/consensus/ledger/snapshot.js';
import { EMPTY_ROUTE, Ledger } from '../src/consensus/ledger/ledger.js';
import { bytesToHex } from '../src/primitives/bytes.js';
import { subsidy } from '../src/primitives/params.js';
import type { TransferTx } from '../src/primitives/tx.js';
import {
  GENESIS_HASH,
  GENESIS_HEX,
  KEYS,
  TEST_PARAMS,
  TestTree,
  hashOf,
  hexTxid,
  transfer,
} from './helpers/ledger-chain.js';

const UNDO_DEPTH = 6;

interface ModelCoin {
  amount: bigint;
  owner: string;
  height: number;
  coinbase: boolean;
}

/** The unspent outputs at `tip`, replayed naively from the genesis. */
function replay(tree: TestTree, tip: string): { coins: Map<string, ModelCoin>; spent: Set<string>; subsidies: bigint } {
  const coins = new Map<string, ModelCoin>();
  const spent = new Set<string>();
  let subsidies = 0n;
  for (const block of tree.chain(tip)) {
    subsidies += subsidy(TEST_PARAMS, block.height);
    for (const tx of block.payload.transactions) {
      const id = hexTxid(tx);
      if (tx.kind === 'transfer') {
        for (const input of tx.inputs) {
          const key = `${bytesToHex(input.txid)}:${input.index}`;
          if (!coins.delete(key)) throw new Error(`model: ${key} spent twice`);
          spent.add(key);
        }
      }
      tx.outputs.forEach((output, index) => {
        coins.set(`${id}:${index}`, {
          amount: output.amount,
          owner: bytesToHex(output.keyHash),
          height: block.height,
          coinbase: tx.kind === 'coinbase',
        });
      });
    }
  }
  return { coins, spent, subsidies };
}

function ledgerCoins(ledger: Ledger): Map<string, ModelCoin> {
  const coins = new Map<string, ModelCoin>();
  for (const [key, coin] of ledger.state().coins) {
    coins.set(key, {
      amount: coin.amount,
      owner: bytesToHex(coin.keyHash),
      height: coin.height,
      coinbase: coin.coinbase,
    });
  }
  return coins;
}

const keyByOwner = new Map(KEYS.map((key) => [bytesToHex(hashOf(key)), key]));

/**
 * Transfers for a block at `height` on top of `coins`, steered by `choices`: each choice
 * spends one mature coin (or, now and then, the first output of the previous transfer of
 * the block) into one or two outputs, keeping a small fee.
 */
function transfersFor(
  coins: Map<string, ModelCoin>,
  height: number,
  choices: number[],
): { txs: TransferTx[]; fees: bigint } {
  const spendable = [...coins.entries()]
    .filter(([, coin]) => !coin.coinbase || height >= coin.height + TEST_PARAMS.coinbaseMaturity)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const txs: TransferTx[] = [];
  let fees = 0n;
  let chained: { txid: string; amount: bigint; owner: string } | undefined;
  for (const choice of choices) {
    let source: { txid: string; index: number; amount: bigint; owner: string };
    if (chained && choice % 4 === 0) {
      source = { ...chained, index: 0 };
    } else {
      if (spendable.length === 0) break;
      const [key, coin] = spendable.splice(choice % spendable.length, 1)[0]!;
      const [id, index] = key.split(':') as [string, string];
      source = { txid: id, index: Number(index), amount: coin.amount, owner: coin.owner };
    }
    const fee = source.amount > 1_000n ? BigInt(choice % 997) : 0n;
    const rest = source.amount - fee;
    const payees = [KEYS[choice % KEYS.length]!, KEYS[(choice >> 3) % KEYS.length]!];
    const outputs: [bigint, (typeof KEYS)[number]][] =
      rest >= 2n && choice % 3 !== 0
        ? [
            [rest / 3n + 1n, payees[0]!],
            [rest - rest / 3n - 1n, payees[1]!],
          ]
        : [[rest, payees[0]!]];
    const tx = transfer(
      [{ from: Buffer.from(source.txid, 'hex'), index: source.index, key: keyByOwner.get(source.owner)! }],
      outputs,
    );
    txs.push(tx);
    fees += fee;
    chained = { txid: hexTxid(tx), amount: outputs[0]![0], owner: bytesToHex(hashOf(outputs[0]![1])) };
  }
  return { txs, fees };
}

const actionArbitrary = fc.record({
  /** Which known block to build on: 0 is the ledger's tip, others index the tree's blocks. */
  base: fc.nat(),
  onTip: fc.boolean(),
  blocks: fc.array(fc.array(fc.nat({ max: 1 << 16 }), { maxLength: 4 }), { minLength: 1, maxLength: 4 }),
  /** Also offer a block that re-spends something the branch already spent. */
  tryDoubleSpend: fc.boolean(),
});

describe('Ledger property: the set follows the main chain through reorganisations', () => {
  it('equals the replay from the genesis, sums to the subsidies, and refuses re-spends on every route', () => {
    fc.assert(
      fc.property(fc.array(actionArbitrary, { minLength: 1, maxLength: 12 }), (actions) => {
        const tree = new TestTree();
        const ledger = new Ledger(TEST_PARAMS, GENESIS_HASH, { undoDepth: UNDO_DEPTH });
        const known: string[] = [GENESIS_HEX];
        let blockCount = 0;
        for (const action of actions) {
          // Build on the tip, or on any known block whose fork point the undo records reach.
          let base = action.onTip ? ledger.tip : known[action.base % known.length]!;
          if (tree.route(ledger.tip, base).disconnect.length > UNDO_DEPTH) base = ledger.tip;
          for (const choices of action.blocks) {
            const height = tree.height(base) + 1;
            const state = replay(tree, base);
            const { txs, fees } = transfersFor(state.coins, height, choices);
            const block = tree.block(base, txs, { fees, tag: `b${blockCount++}` });
            const route = tree.route(ledger.tip, base);
            const verdict = ledger.checkBlock(block, route);
            expect(verdict).toEqual({ ok: true, fees });

            if (action.tryDoubleSpend && state.spent.size > 0) {
              const [key] = [...state.spent].sort();
              const [id, index] = key!.split(':') as [string, string];
              const coinOwner = KEYS[0]!; // any key: the spend is refused before ownership matters
              const respend = transfer(
                [{ from: Buffer.from(id, 'hex'), index: Number(index), key: coinOwner }],
                [[1n, coinOwner]],
              );
              const bad = tree.block(base, [respend], { tag: `bad${blockCount++}` });
              const refused = ledger.checkBlock(bad, route);
              expect(refused.ok ? 'accepted' : `${refused.reason}: ${refused.detail}`).toMatch(
                /^bad-tx: transaction 1 .*which is not an unspent output/,
              );
            }
            known.push(block.hash);
            base = block.hash;
          }
          // Longest chain: follow the new branch when it is higher than the tip.
          if (tree.height(base) > ledger.height) {
            const route = tree.route(ledger.tip, base);
            ledger.reorganize(route);
          }
          const model = replay(tree, ledger.tip);
          expect(ledgerCoins(ledger)).toEqual(model.coins);
          expect(ledger.supply()).toBe(model.subsidies);
        }

        // A fresh ledger connecting the main chain block by block reaches the same set.
        const fresh = new Ledger(TEST_PARAMS, GENESIS_HASH);
        for (const block of tree.chain(ledger.tip)) {
          expect(fresh.checkBlock(block, EMPTY_ROUTE).ok).toBe(true);
          fresh.reorganize({ disconnect: [], connect: [block] });
        }
        expect(ledgerCoins(fresh)).toEqual(ledgerCoins(ledger));

        // The snapshot carries the set and the undo records: the restored ledger unwinds the same way.
        const restored = decodeSnapshot(encodeSnapshot(ledger), TEST_PARAMS, GENESIS_HASH, { undoDepth: UNDO_DEPTH });
        if (!restored.ok) throw new Error(restored.reason);
        expect(ledgerCoins(restored.value)).toEqual(ledgerCoins(ledger));
        const back = tree.chain(ledger.tip).at(-1 - Math.min(ledger.reach, 3))?.hash ?? GENESIS_HEX;
        ledger.reorganize(tree.route(ledger.tip, back));
        restored.value.reorganize(tree.route(restored.value.tip, back));
        expect(ledgerCoins(restored.value)).toEqual(ledgerCoins(ledger));
        expect(ledgerCoins(ledger)).toEqual(replay(tree, back).coins);
      }),
      { numRuns: 60 },
    );
  });
});
