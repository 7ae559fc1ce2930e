/**
 * Which of an address's unspent outputs the wallet may spend, and in what order
 * (docs/wallet.md). The node's `spendable` flag decides when it is present. Without it, a
 * confirmed output no mempool transfer spends counts as spendable (if it is an immature
 * coinbase output the node refuses the transfer with `immature`), and coinbase outputs then
 * come after all others, oldest first, since the newest are the ones that may be immature.
 */
import type { UnspentOutput } from './api-answers.js';

export interface WalletCoins {
  /** What a transfer may spend now, in the order the wallet takes them. */
  spendable: UnspentOutput[];
  /** Coinbase outputs that are not mature yet. */
  immature: UnspentOutput[];
  /** Outputs a transfer waiting in the node's mempool spends. */
  spending: UnspentOutput[];
  /** Outputs not in a block yet. */
  unconfirmed: UnspentOutput[];
  /** Not spendable, for a reason the node did not tell. */
  locked: UnspentOutput[];
}

export const sumOf = (coins: readonly UnspentOutput[]): bigint => coins.reduce((sum, coin) => sum + coin.amount, 0n);

/** Spend last: a coinbase output whose maturity the node did not tell. */
const maybeImmature = (coin: UnspentOutput): boolean => coin.spendable === undefined && coin.coinbase === true;

/**
 * Largest first (the fewest inputs, so the smallest fee); ties broken by height, then
 * outpoint, so that the same coins always give the same transaction.
 */
function spendingOrder(a: UnspentOutput, b: UnspentOutput): number {
  if (maybeImmature(a) !== maybeImmature(b)) return maybeImmature(a) ? 1 : -1;
  if (maybeImmature(a) && a.height !== b.height) return (a.height ?? 0) - (b.height ?? 0);
  if (a.amount !== b.amount) return a.amount > b.amount ? -1 : 1;
  if (a.height !== b.height) return (a.height ?? Infinity) - (b.height ?? Infinity);
  if (a.txid !== b.txid) return a.txid < b.txid ? -1 : 1;
  return a.index - b.index;
}

export function sortCoins(unspent: readonly UnspentOutput[]): WalletCoins {
  const coins: WalletCoins = { spendable: [], immature: [], spending: [], unconfirmed: [], locked: [] };
  for (const coin of unspent) {
    const spendable = coin.spendable ?? (coin.height !== null && coin.spentInMempool !== true);
    if (spendable) coins.spendable.push(coin);
    else if (coin.spentInMempool === true) coins.spending.push(coin);
    else if (coin.height === null) coins.unconfirmed.push(coin);
    else if (coin.coinbase === true) coins.immature.push(coin);
    else coins.locked.push(coin);
  }
  coins.spendable.sort(spendingOrder);
  return coins;
}
