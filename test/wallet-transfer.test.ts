import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../src/primitives/bytes.js';
import { keyHash } from '../src/primitives/coin-address.js';
import { keyPairFromSeed } from '../src/primitives/keys.js';
import { COIN } from '../src/primitives/params.js';
import { checkTransferSignatures, decodeTx, encodeTx, type TransferTx } from '../src/primitives/tx.js';
import type { UnspentOutput } from '../src/wallet/api-answers.js';
import { sortCoins } from '../src/wallet/coins.js';
import {
  DEFAULT_FEE_RATE,
  INPUT_BYTES,
  MAX_WALLET_TX_BYTES,
  buildTransfer,
  planTransfer,
  transferBytes,
  type TransferPlan,
} from '../src/wallet/transfer.js';

const KEYS = keyPairFromSeed(new Uint8Array(32).fill(1));
const PAYEE = keyHash(keyPairFromSeed(new Uint8Array(32).fill(2)).publicKey);
const GENESIS = new Uint8Array(32).fill(0xab);

let serial = 0;
function coin(amount: bigint, extra: Partial<UnspentOutput> = {}): UnspentOutput {
  serial++;
  return { txid: serial.toString(16).padStart(64, '0'), index: serial % 3, amount, height: 5, ...extra };
}

function planned(coins: UnspentOutput[], amount: bigint, feeRate = 2n, maxBytes?: number): TransferPlan {
  const verdict = planTransfer({ coins, amount, feeRate, maxBytes });
  if (!verdict.ok) throw new Error(verdict.reason);
  return verdict.value;
}

const refusal = (coins: UnspentOutput[], amount: bigint, feeRate = 2n, maxBytes?: number): string => {
  const verdict = planTransfer({ coins, amount, feeRate, maxBytes });
  return verdict.ok ? 'accepted' : verdict.reason;
};

describe('transfer sizes', () => {
  it('transferBytes is the encoded size, for every shape the wallet builds', () => {
    for (const inputs of [1, 2, 7]) {
      for (const outputs of [1, 2]) {
        const tx: TransferTx = {
          kind: 'transfer',
          inputs: Array.from({ length: inputs }, (_, i) => ({
            txid: new Uint8Array(32).fill(i),
            index: 0,
            publicKey: KEYS.publicKey,
            signature: new Uint8Array(64),
          })),
          outputs: Array.from({ length: outputs }, () => ({ amount: 1n, keyHash: PAYEE })),
        };
        expect(transferBytes(inputs, outputs)).toBe(encodeTx(tx).length);
      }
    }
    // The typical 1-in-2-out transfer of docs/ledger.md.
    expect(transferBytes(1, 2)).toBe(191);
  });
});

describe('planTransfer', () => {
  it('pays the amount, sends change back and pays exactly feeRate × bytes', () => {
    const plan = planned([coin(COIN)], COIN / 2n, 2n);
    expect(plan).toMatchObject({ amount: COIN / 2n, bytes: 191, fee: 382n, change: COIN / 2n - 382n });
    expect(plan.inputs).toHaveLength(1);
  });

  it('exactly enough: no change output, the fee of the one-output transfer', () => {
    const oneOutput = 2n * BigInt(transferBytes(1, 1));
    const plan = planned([coin(1_000n + oneOutput)], 1_000n, 2n);
    expect(plan).toMatchObject({ fee: oneOutput, change: 0n, bytes: transferBytes(1, 1) });
  });

  it('one unit short: refused, saying what is needed and what there is', () => {
    const oneOutput = 2n * BigInt(transferBytes(1, 1));
    expect(refusal([coin(1_000n + oneOutput - 1n)], 1_000n, 2n)).toBe(
      'insufficient funds: paying 0.00001000 with a fee of 0.00000326 needs 0.00001326, and the wallet can spend 0.00001325',
    );
  });

  it('change below what it would cost to spend (feeRate × 130 bytes) goes to the fee; at that cost it is kept', () => {
    const twoOutputs = 2n * BigInt(transferBytes(1, 2));
    const dust = 2n * BigInt(INPUT_BYTES);
    const below = planned([coin(1_000n + twoOutputs + dust - 1n)], 1_000n, 2n);
    expect(below).toMatchObject({ change: 0n, fee: twoOutputs + dust - 1n, bytes: transferBytes(1, 1) });
    const at = planned([coin(1_000n + twoOutputs + dust)], 1_000n, 2n);
    expect(at).toMatchObject({ change: dust, fee: twoOutputs, bytes: transferBytes(1, 2) });
  });

  it('takes coins in the order given until they cover amount and fee, the fee counting every input', () => {
    const coins = [coin(5_000n), coin(3_000n), coin(2_000n)];
    const plan = planned(coins, 6_000n, 1n);
    expect(plan.inputs).toEqual(coins.slice(0, 2));
    expect(plan.fee).toBe(BigInt(transferBytes(2, 2)));
    expect(plan.change).toBe(8_000n - 6_000n - BigInt(transferBytes(2, 2)));
  });

  it('no coins, and an amount of 0, are refused', () => {
    expect(refusal([], 1n)).toBe('insufficient funds: the wallet has no spendable coins');
    expect(refusal([coin(COIN)], 0n)).toBe('the amount must be more than 0');
  });

  it('at most as many inputs as a transaction of maxBytes holds: 125 at 16 KiB, and one more coin is refused', () => {
    expect(MAX_WALLET_TX_BYTES).toBe(16 * 1024);
    const coins = Array.from({ length: 200 }, () => coin(1_000n));
    const fee = BigInt(transferBytes(125, 1));
    const all = planned(coins, 125n * 1_000n - fee, 1n);
    expect(all.inputs).toHaveLength(125);
    expect(all.bytes).toBeLessThanOrEqual(MAX_WALLET_TX_BYTES);
    expect(refusal(coins, 125n * 1_000n - fee + 1n, 1n)).toBe(
      'paying 0.00108718 would take more than 125 coins, more than a 16384-byte transaction holds; ' +
        'send a smaller amount first, or merge coins by sending some to yourself',
    );
  });

  it('properties: the sums add up, the fee covers the size, change is never dust, and no input is spare', () => {
    const coinsArbitrary = fc.array(fc.bigInt({ min: 1n, max: 10n * COIN }), { minLength: 0, maxLength: 12 });
    fc.assert(
      fc.property(
        coinsArbitrary,
        fc.bigInt({ min: 1n, max: 30n * COIN }),
        fc.bigInt({ min: 1n, max: 1_000n }),
        (amounts, amount, feeRate) => {
          const coins = amounts.map((value) => coin(value));
          const verdict = planTransfer({ coins, amount, feeRate });
          const sum = (list: UnspentOutput[]) => list.reduce((total, c) => total + c.amount, 0n);
          if (!verdict.ok) {
            // Refused only when even every coin cannot pay the amount and the one-output fee.
            expect(sum(coins)).toBeLessThan(amount + feeRate * BigInt(transferBytes(coins.length, 1)));
            return;
          }
          const plan = verdict.value;
          expect(sum(plan.inputs)).toBe(plan.amount + plan.fee + plan.change);
          expect(plan.bytes).toBe(transferBytes(plan.inputs.length, plan.change > 0n ? 2 : 1));
          expect(plan.fee).toBeGreaterThanOrEqual(feeRate * BigInt(plan.bytes));
          if (plan.change > 0n) {
            expect(plan.change).toBeGreaterThanOrEqual(feeRate * BigInt(INPUT_BYTES));
            expect(plan.fee).toBe(feeRate * BigInt(plan.bytes));
          } else {
            // What the fee took beyond its due is less than a change output plus what spending it would cost.
            expect(plan.fee - feeRate * BigInt(plan.bytes)).toBeLessThan(
              feeRate * BigInt(transferBytes(0, 2) - transferBytes(0, 1) + INPUT_BYTES),
            );
          }
          const fewer = plan.inputs.slice(0, -1);
          expect(sum(fewer)).toBeLessThan(amount + feeRate * BigInt(transferBytes(fewer.length, 1)));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('buildTransfer', () => {
  it('signs every input over the genesis hash: payee first, change to the wallet, the planned size', () => {
    const coins = [coin(3n * COIN), coin(2n * COIN)];
    const plan = planned(coins, 4n * COIN, DEFAULT_FEE_RATE);
    const built = buildTransfer(plan, KEYS, PAYEE, GENESIS);
    expect(built.encoded).toHaveLength(plan.bytes);
    const decoded = decodeTx(built.encoded);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok || decoded.value.kind !== 'transfer') return;
    const tx = decoded.value;
    expect(checkTransferSignatures(tx, GENESIS)).toEqual({ ok: true });
    expect(checkTransferSignatures(tx, new Uint8Array(32)).ok).toBe(false);
    expect(tx.inputs.map((input) => [bytesToHex(input.txid), input.index])).toEqual(
      coins.map((c) => [c.txid, c.index]),
    );
    expect(tx.outputs.map((output) => [bytesToHex(output.keyHash), output.amount])).toEqual([
      [bytesToHex(PAYEE), 4n * COIN],
      [bytesToHex(keyHash(KEYS.publicKey)), plan.change],
    ]);
    expect(built.txid).toMatch(/^[0-9a-f]{64}$/);
  });

  it('no change output when the plan has none', () => {
    const plan = planned([coin(1_000n + 2n * BigInt(transferBytes(1, 1)))], 1_000n, 2n);
    const decoded = decodeTx(buildTransfer(plan, KEYS, PAYEE, GENESIS).encoded);
    expect(decoded.ok && decoded.value.outputs.length).toBe(1);
  });
});

describe('sortCoins', () => {
  it("follows the node's spendable flag, and sorts what is spendable largest first", () => {
    const small = coin(1n, { spendable: true });
    const large = coin(9n, { spendable: true });
    const immature = coin(50n, { coinbase: true, spendable: false });
    const spending = coin(7n, { spentInMempool: true, spendable: false });
    const unconfirmed = coin(3n, { height: null, spendable: false });
    const locked = coin(4n, { spendable: false });
    const coins = sortCoins([small, immature, spending, large, unconfirmed, locked]);
    expect(coins).toEqual({
      spendable: [large, small],
      immature: [immature],
      spending: [spending],
      unconfirmed: [unconfirmed],
      locked: [locked],
    });
  });

  it('without the flag: confirmed outputs are spendable, coinbase ones last and oldest first', () => {
    const newCoinbase = coin(60n, { coinbase: true, height: 9 });
    const oldCoinbase = coin(50n, { coinbase: true, height: 2 });
    const plain = coin(5n, { height: 8 });
    const unconfirmed = coin(100n, { height: null });
    const spent = coin(70n, { spentInMempool: true });
    const coins = sortCoins([newCoinbase, plain, oldCoinbase, unconfirmed, spent]);
    expect(coins.spendable).toEqual([plain, oldCoinbase, newCoinbase]);
    expect(coins.unconfirmed).toEqual([unconfirmed]);
    expect(coins.spending).toEqual([spent]);
  });

  it('equal amounts: older first, then by outpoint, so the same coins give the same transaction', () => {
    const a = coin(5n, { height: 7, txid: 'b'.repeat(64), index: 1 });
    const b = coin(5n, { height: 3, txid: 'c'.repeat(64), index: 0 });
    const c = coin(5n, { height: 7, txid: 'b'.repeat(64), index: 0 });
    const d = coin(5n, { height: 7, txid: 'a'.repeat(64), index: 2 });
    expect(sortCoins([a, b, c, d]).spendable).toEqual([b, d, c, a]);
    expect(sortCoins([d, c, b, a]).spendable).toEqual([b, d, c, a]);
  });
});
