/**
 * Building a payment (docs/wallet.md): coin selection (the coins in the order coins.ts
 * gives, taken until they cover the amount and the fee), the fee from the exact encoded size
 * (docs/transactions.md), change back to the wallet unless it is dust, and signing.
 */
import { bytesToHex, hexToBytes } from '../primitives/bytes.js';
import { DEFAULT_MEMPOOL_LIMITS } from '../consensus/ledger/mempool.js';
import { formatCoins } from '../primitives/amount.js';
import { KEY_HASH_BYTES, keyHash } from '../primitives/coin-address.js';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES, type KeyPair } from '../primitives/keys.js';
import {
  TXID_BYTES,
  encodeTx,
  signTransfer,
  txid,
  type TransferTx,
  type TxOutput,
  type UnsignedTransfer,
} from '../primitives/tx.js';
import type { UnspentOutput } from './api-answers.js';
import type { Verdict } from './errors.js';

/** Bytes of one input and one output in a transfer's encoding (docs/transactions.md). */
export const INPUT_BYTES = TXID_BYTES + 2 + PUBLIC_KEY_BYTES + SIGNATURE_BYTES;
export const OUTPUT_BYTES = 8 + KEY_HASH_BYTES;

/** Units per byte the node's mempool asks at least (docs/ledger.md). */
export const NODE_MIN_FEE_RATE = DEFAULT_MEMPOOL_LIMITS.minFeeRate;
/** A little above the minimum, so that a transfer still pays enough if a node asks a bit more. */
export const DEFAULT_FEE_RATE = 2n * NODE_MIN_FEE_RATE;
/** A typo guard: 0.01 coin per byte, about 2 coins for a typical 191-byte transfer. */
export const MAX_FEE_RATE = 1_000_000n;
/** The node's mempool takes transfers up to this size (docs/ledger.md); a larger one could never be relayed. */
export const MAX_WALLET_TX_BYTES = DEFAULT_MEMPOOL_LIMITS.maxTxBytes;

/** The exact encoded size of a transfer with these counts: kind, two counts, inputs, outputs. */
export function transferBytes(inputs: number, outputs: number): number {
  return 1 + 2 + inputs * INPUT_BYTES + 2 + outputs * OUTPUT_BYTES;
}

export interface TransferPlan {
  /** The coins spent, in input order. */
  inputs: UnspentOutput[];
  /** Paid to the payee (the first output). */
  amount: bigint;
  /** What the inputs pay beyond the outputs: at least feeRate × bytes. */
  fee: bigint;
  /** Paid back to the wallet (the second output), or 0 when there is no change output. */
  change: bigint;
  /** The signed transaction's encoded size. */
  bytes: number;
}

export interface PlanRequest {
  /** Spendable coins, in the order to take them (coins.ts). */
  coins: readonly UnspentOutput[];
  /** Base units to pay, 1 .. MAX_MONEY. */
  amount: bigint;
  /** Base units per byte of the encoding. */
  feeRate: bigint;
  /** The largest transaction to build; default MAX_WALLET_TX_BYTES. */
  maxBytes?: number;
}

/**
 * Takes coins in order until they pay `amount` and the fee. Change smaller than what it would
 * cost to spend later (feeRate × INPUT_BYTES) is left to the fee instead of making a dust
 * output. Refuses when the coins, or as many as fit in `maxBytes`, are not enough.
 */
export function planTransfer(request: PlanRequest): Verdict<TransferPlan> {
  const { coins, amount, feeRate } = request;
  const maxBytes = request.maxBytes ?? MAX_WALLET_TX_BYTES;
  if (feeRate < 0n) throw new RangeError(`fee rate must be >= 0, got ${feeRate}`);
  if (amount < 1n) return { ok: false, reason: 'the amount must be more than 0' };
  const maxInputs = Math.floor((maxBytes - transferBytes(0, 1)) / INPUT_BYTES);
  const dust = feeRate * BigInt(INPUT_BYTES);
  let total = 0n;
  const taken: UnspentOutput[] = [];
  for (const coin of coins) {
    if (taken.length === maxInputs) {
      return {
        ok: false,
        reason:
          `paying ${formatCoins(amount)} would take more than ${maxInputs} coins, more than a ` +
          `${maxBytes}-byte transaction holds; send a smaller amount first, or merge coins by sending some to yourself`,
      };
    }
    taken.push(coin);
    total += coin.amount;
    const withoutChange = transferBytes(taken.length, 1);
    const minimumFee = feeRate * BigInt(withoutChange);
    if (total < amount + minimumFee) continue;
    const withChange = transferBytes(taken.length, 2);
    const change = total - amount - feeRate * BigInt(withChange);
    if (change >= 1n && change >= dust && withChange <= maxBytes) {
      return { ok: true, value: { inputs: taken, amount, fee: total - amount - change, change, bytes: withChange } };
    }
    return { ok: true, value: { inputs: taken, amount, fee: total - amount, change: 0n, bytes: withoutChange } };
  }
  if (taken.length === 0) return { ok: false, reason: 'insufficient funds: the wallet has no spendable coins' };
  const fee = feeRate * BigInt(transferBytes(taken.length, 1));
  return {
    ok: false,
    reason:
      `insufficient funds: paying ${formatCoins(amount)} with a fee of ${formatCoins(fee)} needs ` +
      `${formatCoins(amount + fee)}, and the wallet can spend ${formatCoins(total)}`,
  };
}

export interface BuiltTransfer {
  tx: TransferTx;
  encoded: Uint8Array;
  /** 64 hex digits. */
  txid: string;
}

/**
 * The signed transaction of a plan: the payment to `payTo` first, then any change to the
 * wallet's own key hash; every input signed with `keys` over this network's genesis hash.
 */
export function buildTransfer(
  plan: TransferPlan,
  keys: KeyPair,
  payTo: Uint8Array,
  genesisHash: Uint8Array,
): BuiltTransfer {
  const outputs: TxOutput[] = [{ amount: plan.amount, keyHash: payTo }];
  if (plan.change > 0n) outputs.push({ amount: plan.change, keyHash: keyHash(keys.publicKey) });
  const unsigned: UnsignedTransfer = {
    kind: 'transfer',
    inputs: plan.inputs.map((coin) => ({
      txid: hexToBytes(coin.txid, 'txid', TXID_BYTES),
      index: coin.index,
      publicKey: keys.publicKey,
    })),
    outputs,
  };
  const tx = signTransfer(
    unsigned,
    plan.inputs.map(() => keys.privateKey),
    genesisHash,
  );
  const encoded = encodeTx(tx);
  if (encoded.length !== plan.bytes) {
    throw new Error(`a planned ${plan.bytes}-byte transfer encoded to ${encoded.length} bytes`);
  }
  return { tx, encoded, txid: bytesToHex(txid(tx)) };
}
