/**
 * The contextual rules of a block's transactions (docs/ledger.md "Block rules"): applying a
 * block to a coin view (every input unspent, mature and owned; no output spent twice;
 * inputs cover outputs; the coinbase first, alone, at the block's height and paying at
 * most subsidy + fees; the signatures, last) and undoing it again from its undo record.
 *
 * The cheap checks run over the whole block before any signature is verified, so a block
 * that is wrong in a cheap way costs no ed25519 work.
 */
import { bytesToHex, equalBytes } from '../../primitives/bytes.js';
import { keyHash } from '../../primitives/coin-address.js';
import { MAX_MONEY, subsidy, type NetworkParams } from '../../primitives/params.js';
import type { BlockPayload } from '../../primitives/payload.js';
import { checkTxSyntax, txid, type Transaction, type TransferTx } from '../../primitives/tx.js';
import { outpointKey, type Coin, type CoinView } from './coins.js';
import type { SignatureCache } from './signature-cache.js';

/** A coin a block spent, kept so that the block can be disconnected. */
export interface SpentCoin {
  readonly key: string;
  readonly coin: Coin;
}

/** What it takes to disconnect a block: the coins it spent, in the order it spent them. */
export interface UndoRecord {
  readonly hash: string;
  readonly parentHash: string;
  readonly height: number;
  readonly spent: readonly SpentCoin[];
}

export type BlockRefusal = { ok: false; reason: 'bad-tx' | 'bad-coinbase'; detail: string };

export type ConnectVerdict = { ok: true; fees: bigint; spent: SpentCoin[]; txids: string[] } | BlockRefusal;

export interface ConnectContext {
  readonly params: NetworkParams;
  readonly genesisHash: Uint8Array;
  /** Verify signatures through this cache; undefined for blocks whose signatures were checked before. */
  readonly signatures: SignatureCache | undefined;
}

const badCoinbase = (detail: string): BlockRefusal => ({ ok: false, reason: 'bad-coinbase', detail });

function badTx(index: number, id: string, detail: string): BlockRefusal {
  return { ok: false, reason: 'bad-tx', detail: `transaction ${index} (${id.slice(0, 16)}…): ${detail}` };
}

/** Adds every output of a transaction to the view. */
function addOutputs(view: CoinView, tx: Transaction, id: string, height: number): void {
  const coinbase = tx.kind === 'coinbase';
  tx.outputs.forEach((output, index) => {
    view.add(outpointKey(id, index), { amount: output.amount, keyHash: output.keyHash, height, coinbase });
  });
}

/**
 * Spends the inputs of `tx` (transaction `index` of a block at `height`) in `view` and
 * adds its outputs; answers its fee. `spentBy` names the transaction of this block that
 * spent each outpoint, to tell a double spend inside the block from a missing input.
 */
function connectTransfer(
  view: CoinView,
  tx: TransferTx,
  index: number,
  id: string,
  height: number,
  params: NetworkParams,
  spentBy: Map<string, number>,
  spent: SpentCoin[],
): { ok: true; fee: bigint } | BlockRefusal {
  let inputs = 0n;
  for (const [i, input] of tx.inputs.entries()) {
    const key = outpointKey(bytesToHex(input.txid), input.index);
    const coin = view.get(key);
    if (!coin) {
      const earlier = spentBy.get(key);
      return badTx(
        index,
        id,
        earlier === undefined
          ? `input ${i} spends ${key}, which is not an unspent output (missing or spent before this block)`
          : `input ${i} spends ${key}, already spent by transaction ${earlier} of this block`,
      );
    }
    if (coin.coinbase && height < coin.height + params.coinbaseMaturity) {
      return badTx(
        index,
        id,
        `input ${i} spends the coinbase of height ${coin.height}, immature until height ${coin.height + params.coinbaseMaturity}`,
      );
    }
    if (!equalBytes(keyHash(input.publicKey), coin.keyHash)) {
      return badTx(index, id, `input ${i}: public key does not match the spent output's key hash`);
    }
    inputs += coin.amount;
    if (inputs > MAX_MONEY) return badTx(index, id, `inputs add up to more than MAX_MONEY (${MAX_MONEY})`);
    view.spend(key);
    spentBy.set(key, index);
    spent.push({ key, coin });
  }
  let outputs = 0n;
  for (const output of tx.outputs) outputs += output.amount;
  if (outputs > inputs) return badTx(index, id, `outputs (${outputs}) exceed inputs (${inputs})`);
  addOutputs(view, tx, id, height);
  return { ok: true, fee: inputs - outputs };
}

/**
 * Applies the block at `height` to `view`, checking every rule. On a refusal the view is
 * left half-changed: callers throw it away.
 */
export function connectBlock(
  view: CoinView,
  payload: BlockPayload,
  height: number,
  context: ConnectContext,
): ConnectVerdict {
  const { params } = context;
  const transactions = payload.transactions;
  const coinbase = transactions[0];
  if (coinbase?.kind !== 'coinbase') return badCoinbase('first transaction is not a coinbase');
  for (let i = 1; i < transactions.length; i++) {
    if (transactions[i]!.kind === 'coinbase') return badCoinbase(`transaction ${i} is a second coinbase`);
  }
  if (coinbase.height !== height) {
    return badCoinbase(`coinbase height ${coinbase.height} is not the block height ${height}`);
  }
  const coinbaseSyntax = checkTxSyntax(coinbase);
  if (!coinbaseSyntax.ok) return badCoinbase(coinbaseSyntax.reason);

  // Syntax first: a txid is only defined for a transaction that encodes.
  for (let i = 1; i < transactions.length; i++) {
    const syntax = checkTxSyntax(transactions[i]!);
    if (!syntax.ok) return { ok: false, reason: 'bad-tx', detail: `transaction ${i}: ${syntax.reason}` };
  }
  const txids = transactions.map((tx) => bytesToHex(txid(tx)));
  // The coinbase's outputs go in first, so that a transfer of the same block spending one
  // is refused as immature (which it always is: maturity >= 1), not as missing.
  addOutputs(view, coinbase, txids[0]!, height);
  const spentBy = new Map<string, number>();
  const spent: SpentCoin[] = [];
  let fees = 0n;
  for (let i = 1; i < transactions.length; i++) {
    const connected = connectTransfer(
      view,
      transactions[i] as TransferTx,
      i,
      txids[i]!,
      height,
      params,
      spentBy,
      spent,
    );
    if (!connected.ok) return connected;
    fees += connected.fee;
    // Fees are parts of inputs, which all come out of the supply: over MAX_MONEY only if broken.
    if (fees > MAX_MONEY) return badTx(i, txids[i]!, `fees add up to more than MAX_MONEY (${MAX_MONEY})`);
  }

  let paid = 0n;
  for (const output of coinbase.outputs) paid += output.amount;
  const reward = subsidy(params, height);
  if (paid > reward + fees) {
    return badCoinbase(`coinbase pays ${paid}, more than subsidy ${reward} + fees ${fees} = ${reward + fees}`);
  }

  const { signatures } = context;
  if (signatures) {
    for (let i = 1; i < transactions.length; i++) {
      const verdict = signatures.check(transactions[i] as TransferTx, txids[i]!, context.genesisHash);
      if (!verdict.ok) return badTx(i, txids[i]!, verdict.reason);
    }
  }
  return { ok: true, fees, spent, txids };
}

/**
 * Undoes a connected block in `view`: newest transaction first, each one's outputs removed
 * and the coins it spent put back. A mismatch with the undo record is a broken invariant.
 */
export function disconnectBlock(view: CoinView, payload: BlockPayload, undo: UndoRecord): void {
  let next = undo.spent.length;
  const transactions = payload.transactions;
  for (let t = transactions.length - 1; t >= 0; t--) {
    const tx = transactions[t]!;
    const id = bytesToHex(txid(tx));
    for (let index = 0; index < tx.outputs.length; index++) view.spend(outpointKey(id, index));
    if (tx.kind === 'coinbase') continue;
    for (let i = tx.inputs.length - 1; i >= 0; i--) {
      const input = tx.inputs[i]!;
      const entry = undo.spent[--next];
      const key = outpointKey(bytesToHex(input.txid), input.index);
      if (entry?.key !== key) throw new Error(`undo record of block ${undo.hash} does not match its input ${key}`);
      view.add(key, entry.coin);
    }
  }
  if (next !== 0) throw new Error(`undo record of block ${undo.hash} has ${next} coins its block did not spend`);
}
