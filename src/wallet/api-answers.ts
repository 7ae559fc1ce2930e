/**
 * The node's JSON answers as the wallet reads them (docs/api.md, docs/wallet.md), validated
 * at the edge: the wallet trusts no shape, type or range it is sent. Each check answers the
 * value in the wallet's own types (amounts as bigint) or a reason naming the bad field; none
 * throws, whatever the JSON. Fields the wallet does not use are ignored, so a node may add
 * fields without breaking older wallets.
 */
import { MAX_MONEY } from '../primitives/params.js';
import { oneLine, type Verdict } from './errors.js';

export interface StatusAnswer {
  network: 'seed' | 'powchain';
  /** The genesis hash, 64 lower-case hex digits: signatures commit to it. */
  root: string;
  height: number;
}

export interface UnspentOutput {
  txid: string;
  index: number;
  /** Base units, 1 .. MAX_MONEY. */
  amount: bigint;
  /** Height of the block that created it; null while unconfirmed. */
  height: number | null;
  /** A coinbase output (may be immature), when the node says so. */
  coinbase?: boolean;
  /** A transfer in the node's mempool spends it already, when the node says so. */
  spentInMempool?: boolean;
  /** Whether a transfer in the next block may spend it (mature, not spent in the mempool), when the node says so. */
  spendable?: boolean;
}

export interface HistoryEntry {
  txid: string;
  height: number | null;
  /** What the transaction did to the address's balance, in base units. */
  delta: bigint;
}

export interface AddressAnswer {
  address: string;
  balance: bigint;
  unspent: UnspentOutput[];
  history: HistoryEntry[];
}

/** The largest height the API accepts or answers (docs/api.md: 2^31 - 1). */
export const MAX_ANSWER_HEIGHT = 2 ** 31 - 1;
const MAX_OUTPUT_INDEX = 255;

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const HASH_HEX = /^[0-9a-fA-F]{64}$/;
// At most 16 digits (MAX_MONEY has 16) and no leading zero, so BigInt never sees a long string.
const UNITS = /^(?:0|[1-9][0-9]{0,15})$/;
const SIGNED_UNITS = /^-?(?:0|[1-9][0-9]{0,15})$/;

class Malformed extends Error {}

function fail(reason: string): never {
  throw new Malformed(reason);
}

/** Runs a reader that throws Malformed at the first bad field; any other error is a bug. */
function check<T>(read: () => T): Verdict<T> {
  try {
    return { ok: true, value: read() };
  } catch (error) {
    if (error instanceof Malformed) return { ok: false, reason: error.message };
    throw error;
  }
}

function object(value: unknown, field: string): JsonObject {
  if (!isObject(value)) fail(`${field} must be a JSON object`);
  return value;
}

function hash(value: unknown, field: string): string {
  if (typeof value !== 'string' || !HASH_HEX.test(value)) fail(`${field} must be 64 hex digits`);
  return value.toLowerCase();
}

function height(value: unknown, field: string, nullable: boolean): number | null {
  if (value === null && nullable) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_ANSWER_HEIGHT) {
    fail(`${field} must be ${nullable ? 'null or ' : ''}an integer from 0 to ${MAX_ANSWER_HEIGHT}`);
  }
  return value;
}

function units(value: unknown, field: string, min: bigint): bigint {
  if (typeof value !== 'string' || !UNITS.test(value)) fail(`${field} must be a decimal string of base units`);
  const amount = BigInt(value);
  if (amount < min || amount > MAX_MONEY) fail(`${field} must be ${min} to ${MAX_MONEY} base units, got ${value}`);
  return amount;
}

function optionalBoolean(value: unknown, field: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') fail(`${field} must be true or false when present`);
  return value;
}

function list(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) fail(`${field} must be a JSON array`);
  return value;
}

/** `GET /api/status`: the network, its genesis hash (`root`) and the height. */
export function checkStatusAnswer(json: unknown): Verdict<StatusAnswer> {
  return check(() => {
    const status = object(json, 'the answer');
    if (status.network !== 'seed' && status.network !== 'powchain') fail('network must be "seed" or "powchain"');
    return {
      network: status.network,
      root: hash(status.root, 'root'),
      height: height(status.height, 'height', false)!,
    };
  });
}

function unspentOutput(value: unknown, field: string): UnspentOutput {
  const entry = object(value, field);
  const index = entry.index;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > MAX_OUTPUT_INDEX) {
    fail(`${field}.index must be an integer from 0 to ${MAX_OUTPUT_INDEX}`);
  }
  const output: UnspentOutput = {
    txid: hash(entry.txid, `${field}.txid`),
    index,
    amount: units(entry.amount, `${field}.amount`, 1n),
    height: height(entry.height, `${field}.height`, true),
  };
  const coinbase = optionalBoolean(entry.coinbase, `${field}.coinbase`);
  const spentInMempool = optionalBoolean(entry.spentInMempool, `${field}.spentInMempool`);
  const spendable = optionalBoolean(entry.spendable, `${field}.spendable`);
  if (coinbase !== undefined) output.coinbase = coinbase;
  if (spentInMempool !== undefined) output.spentInMempool = spentInMempool;
  if (spendable !== undefined) output.spendable = spendable;
  return output;
}

function historyEntry(value: unknown, field: string): HistoryEntry {
  const entry = object(value, field);
  const delta = entry.delta;
  if (typeof delta !== 'string' || !SIGNED_UNITS.test(delta)) {
    fail(`${field}.delta must be a decimal string of base units, with "-" when negative`);
  }
  const units = BigInt(delta);
  if (units > MAX_MONEY || units < -MAX_MONEY)
    fail(`${field}.delta must be at most ${MAX_MONEY} base units either way`);
  return {
    txid: hash(entry.txid, `${field}.txid`),
    height: height(entry.height, `${field}.height`, true),
    delta: units,
  };
}

/**
 * `GET /api/address/<address>`: the balance, the unspent outputs and the history of the
 * address the wallet asked about. The outputs must be distinct and add up to at most
 * MAX_MONEY, so that no transaction built from them can spend one twice or overflow.
 */
export function checkAddressAnswer(json: unknown, address: string): Verdict<AddressAnswer> {
  return check(() => {
    const answer = object(json, 'the answer');
    if (answer.address !== address) fail(`address must be the address asked about (${address})`);
    const balance = units(answer.balance, 'balance', 0n);
    const seen = new Set<string>();
    let sum = 0n;
    const unspent = list(answer.unspent, 'unspent').map((value, i) => {
      const output = unspentOutput(value, `unspent[${i}]`);
      const outpoint = `${output.txid}:${output.index}`;
      if (seen.has(outpoint)) fail(`unspent[${i}] lists ${outpoint} a second time`);
      seen.add(outpoint);
      sum += output.amount;
      if (sum > MAX_MONEY) fail(`unspent amounts add up to more than MAX_MONEY (${MAX_MONEY})`);
      return output;
    });
    const history = list(answer.history, 'history').map((value, i) => historyEntry(value, `history[${i}]`));
    return { address, balance, unspent, history };
  });
}

/** `POST /api/tx`: the txid of the transaction the node took. */
export function checkSubmitAnswer(json: unknown): Verdict<{ txid: string }> {
  return check(() => ({ txid: hash(object(json, 'the answer').txid, 'txid') }));
}

/** The reason of an error answer (`{"error": reason}`), made one line, or undefined when it has none. */
export function errorReason(json: unknown): string | undefined {
  if (!isObject(json) || typeof json.error !== 'string') return undefined;
  const reason = oneLine(json.error);
  return reason === '' ? undefined : reason;
}
