/**
 * Amounts as people write them: coins with up to 8 decimals (`1.5`, `0.00000001`, `21000000`),
 * to and from base units (1 coin = 10^8 units, docs/transactions.md). Exact: no floating point.
 */
import { FormatError } from './bytes.js';
import { COIN, MAX_MONEY } from './params.js';
import { quote } from './quote.js';

const DECIMALS = 8;
const COINS = /^(\d{1,8})(?:\.(\d{1,8}))?$/;

/** Base units of an amount written in coins; refuses anything else, and amounts over MAX_MONEY. */
export function parseCoins(text: string): bigint {
  const match = COINS.exec(text.trim());
  if (!match)
    throw new FormatError(`amount must be coins with at most ${DECIMALS} decimals (like 1.5), got ${quote(text)}`);
  const units = BigInt(match[1]!) * COIN + BigInt((match[2] ?? '').padEnd(DECIMALS, '0'));
  if (units > MAX_MONEY)
    throw new FormatError(`amount is over the ${formatCoins(MAX_MONEY)} coins that can ever exist`);
  return units;
}

/** An amount in coins with all 8 decimals: `1.50000000`. */
export function formatCoins(units: bigint): string {
  const negative = units < 0n;
  const sign = negative ? '-' : '';
  const magnitude = negative ? -units : units;
  return `${sign}${magnitude / COIN}.${(magnitude % COIN).toString().padStart(DECIMALS, '0')}`;
}
