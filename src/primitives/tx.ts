/**
 * Transactions of the powchain network (UTXO model): their canonical binary encoding
 * (inside a block payload, and standalone for the `tx` message and HTTP), txids, the
 * signature digest, ed25519 signing and verification, and the structural checks that need
 * no ledger. Byte layout and rules: docs/transactions.md.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { bytesToHex, equalBytes } from './bytes.js';
import { ByteReader, ByteWriter, decodeRecord, refuse, type Decoded } from './codec.js';
import { KEY_HASH_BYTES } from './coin-address.js';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES, rawPublicKey, signMessage, verifyMessage } from './keys.js';
import { HASH_BYTES } from './limits.js';
import { MAX_MONEY } from './params.js';

export const TXID_BYTES = HASH_BYTES;
export const TX_KIND_COINBASE = 0;
export const TX_KIND_TRANSFER = 1;
export const MAX_TX_INPUTS = 256;
export const MAX_TX_OUTPUTS = 256;
/** Room for the miner's `host:port:i` tag plus up to 63 bytes of fast-layout padding. */
export const MAX_COINBASE_TAG_BYTES = 128;
export const MAX_COINBASE_HEIGHT = 0xffff_ffff;

const OUTPUT_BYTES = 8 + KEY_HASH_BYTES;
const INPUT_BYTES = TXID_BYTES + 2 + PUBLIC_KEY_BYTES + SIGNATURE_BYTES;
/** The longest encoding: a transfer with the most inputs and outputs (40,453 bytes). */
export const MAX_TX_BYTES = 1 + 2 + MAX_TX_INPUTS * INPUT_BYTES + 2 + MAX_TX_OUTPUTS * OUTPUT_BYTES;

/** Prefix of every signed message, so a transaction signature means nothing anywhere else. */
export const SIGNATURE_DOMAIN: Uint8Array = new TextEncoder().encode('powchain transaction signature v1');

export interface TxOutput {
  /** Base units, 1 .. MAX_MONEY. */
  amount: bigint;
  /** The payee's key hash: the first 20 bytes of SHA-256(public key) (coin-address.ts). */
  keyHash: Uint8Array;
}

export interface CoinbaseTx {
  kind: 'coinbase';
  /** The block's height: makes every coinbase's txid unique. */
  height: number;
  /** Free bytes (the miner's `host:port:i`, then fast-layout padding). */
  tag: Uint8Array;
  outputs: TxOutput[];
}

export interface OutPoint {
  txid: Uint8Array;
  /** Index of the spent output in that transaction. */
  index: number;
}

export interface UnsignedInput extends OutPoint {
  /** Raw ed25519 public key whose hash the spent output pays to. */
  publicKey: Uint8Array;
}

export interface TxInput extends UnsignedInput {
  signature: Uint8Array;
}

export interface UnsignedTransfer {
  kind: 'transfer';
  inputs: UnsignedInput[];
  outputs: TxOutput[];
}

export interface TransferTx {
  kind: 'transfer';
  inputs: TxInput[];
  outputs: TxOutput[];
}

export type Transaction = CoinbaseTx | TransferTx;

export type TxVerdict = { ok: true } | { ok: false; reason: string };
export type SignatureVerdict = { ok: true } | { ok: false; reason: string; inputIndex: number };

function checkOutputs(outputs: TxOutput[]): TxVerdict {
  if (outputs.length > MAX_TX_OUTPUTS) {
    return { ok: false, reason: `${outputs.length} outputs, at most ${MAX_TX_OUTPUTS}` };
  }
  let sum = 0n;
  for (const [i, output] of outputs.entries()) {
    if (output.amount < 1n || output.amount > MAX_MONEY) {
      return { ok: false, reason: `output ${i}: amount must be 1 to ${MAX_MONEY} base units, got ${output.amount}` };
    }
    if (output.keyHash.length !== KEY_HASH_BYTES) {
      return { ok: false, reason: `output ${i}: key hash must be ${KEY_HASH_BYTES} bytes` };
    }
    sum += output.amount;
    // Checked at every step, as the sum of valid amounts may not exceed MAX_MONEY either.
    if (sum > MAX_MONEY) return { ok: false, reason: `outputs add up to more than MAX_MONEY (${MAX_MONEY})` };
  }
  return { ok: true };
}

function checkInputs(inputs: ReadonlyArray<UnsignedInput & { signature?: Uint8Array }>, signed: boolean): TxVerdict {
  if (inputs.length < 1) return { ok: false, reason: 'transfer has no inputs' };
  if (inputs.length > MAX_TX_INPUTS) return { ok: false, reason: `${inputs.length} inputs, at most ${MAX_TX_INPUTS}` };
  const spent = new Map<string, number>();
  for (const [i, input] of inputs.entries()) {
    if (input.txid.length !== TXID_BYTES) return { ok: false, reason: `input ${i}: txid must be ${TXID_BYTES} bytes` };
    if (!Number.isInteger(input.index) || input.index < 0 || input.index >= MAX_TX_OUTPUTS) {
      return {
        ok: false,
        reason: `input ${i}: output index must be 0 to ${MAX_TX_OUTPUTS - 1}, got ${input.index}`,
      };
    }
    if (input.publicKey.length !== PUBLIC_KEY_BYTES) {
      return { ok: false, reason: `input ${i}: public key must be ${PUBLIC_KEY_BYTES} bytes` };
    }
    if (signed && input.signature?.length !== SIGNATURE_BYTES) {
      return { ok: false, reason: `input ${i}: signature must be ${SIGNATURE_BYTES} bytes` };
    }
    // The same output twice in one transaction would count its amount twice (CVE-2018-17144).
    const outPoint = `${bytesToHex(input.txid)}:${input.index}`;
    const earlier = spent.get(outPoint);
    if (earlier !== undefined) return { ok: false, reason: `input ${i} spends the same output as input ${earlier}` };
    spent.set(outPoint, i);
  }
  return { ok: true };
}

/**
 * Structure only, no ledger: counts, lengths, amounts in range, output sum <= MAX_MONEY,
 * no output spent twice within the transaction. Transfers need at least one output.
 */
export function checkTxSyntax(tx: Transaction): TxVerdict {
  if (tx.kind === 'coinbase') {
    if (!Number.isInteger(tx.height) || tx.height < 0 || tx.height > MAX_COINBASE_HEIGHT) {
      return { ok: false, reason: `coinbase height must be 0 to ${MAX_COINBASE_HEIGHT}, got ${tx.height}` };
    }
    if (tx.tag.length > MAX_COINBASE_TAG_BYTES) {
      return { ok: false, reason: `coinbase tag is ${tx.tag.length} bytes, at most ${MAX_COINBASE_TAG_BYTES}` };
    }
    return checkOutputs(tx.outputs);
  }
  const inputs = checkInputs(tx.inputs, true);
  if (!inputs.ok) return inputs;
  if (tx.outputs.length < 1) return { ok: false, reason: 'transfer has no outputs' };
  return checkOutputs(tx.outputs);
}

function writeOutputs(writer: ByteWriter, outputs: TxOutput[]): void {
  writer.u16(outputs.length, 'output count');
  for (const output of outputs) writer.u64(output.amount, 'amount').bytes(output.keyHash, 'key hash', KEY_HASH_BYTES);
}

/** Writes a transaction; `withSignatures: false` gives the form that txids and signatures cover. */
function writeTx(writer: ByteWriter, tx: Transaction | UnsignedTransfer, withSignatures: boolean): void {
  if (tx.kind === 'coinbase') {
    writer.u8(TX_KIND_COINBASE).u32(tx.height, 'height').u8(tx.tag.length, 'tag length').bytes(tx.tag);
  } else {
    writer.u8(TX_KIND_TRANSFER).u16(tx.inputs.length, 'input count');
    for (const input of tx.inputs) {
      writer.bytes(input.txid, 'txid', TXID_BYTES).u16(input.index, 'output index');
      writer.bytes(input.publicKey, 'public key', PUBLIC_KEY_BYTES);
      // Only writeTransaction asks for signatures, after checkTxSyntax has checked that every
      // input has one of SIGNATURE_BYTES.
      if (withSignatures && 'signature' in input) writer.bytes(input.signature);
    }
  }
  writeOutputs(writer, tx.outputs);
}

/** Appends the canonical encoding of `tx` (used by the payload encoder). */
export function writeTransaction(writer: ByteWriter, tx: Transaction): void {
  const verdict = checkTxSyntax(tx);
  if (!verdict.ok) throw new RangeError(`invalid transaction: ${verdict.reason}`);
  writeTx(writer, tx, true);
}

export function encodeTx(tx: Transaction): Uint8Array {
  const writer = new ByteWriter();
  writeTransaction(writer, tx);
  return writer.finish();
}

function readOutputs(reader: ByteReader): TxOutput[] {
  const count = reader.u16('output count');
  if (count > MAX_TX_OUTPUTS) refuse(`${count} outputs, at most ${MAX_TX_OUTPUTS}`);
  // Checked before allocating: a count the bytes left cannot hold is refused at once.
  if (count * OUTPUT_BYTES > reader.remaining)
    refuse(`output count ${count} needs ${count * OUTPUT_BYTES} bytes, only ${reader.remaining} left`);
  const outputs: TxOutput[] = [];
  for (let i = 0; i < count; i++) {
    outputs.push({ amount: reader.u64('amount'), keyHash: reader.bytes(KEY_HASH_BYTES, 'key hash') });
  }
  return outputs;
}

/** Reads one transaction and checks its syntax (used inside the payload decoder too). */
export function readTransaction(reader: ByteReader): Transaction {
  const kind = reader.u8('transaction kind');
  let tx: Transaction;
  if (kind === TX_KIND_COINBASE) {
    const height = reader.u32('coinbase height');
    const tagLength = reader.u8('tag length');
    if (tagLength > MAX_COINBASE_TAG_BYTES) {
      refuse(`coinbase tag is ${tagLength} bytes, at most ${MAX_COINBASE_TAG_BYTES}`);
    }
    const tag = reader.bytes(tagLength, 'coinbase tag');
    tx = { kind: 'coinbase', height, tag, outputs: readOutputs(reader) };
  } else if (kind === TX_KIND_TRANSFER) {
    const count = reader.u16('input count');
    if (count > MAX_TX_INPUTS) refuse(`${count} inputs, at most ${MAX_TX_INPUTS}`);
    if (count * INPUT_BYTES > reader.remaining)
      refuse(`input count ${count} needs ${count * INPUT_BYTES} bytes, only ${reader.remaining} left`);
    const inputs: TxInput[] = [];
    for (let i = 0; i < count; i++) {
      inputs.push({
        txid: reader.bytes(TXID_BYTES, 'txid'),
        index: reader.u16('output index'),
        publicKey: reader.bytes(PUBLIC_KEY_BYTES, 'public key'),
        signature: reader.bytes(SIGNATURE_BYTES, 'signature'),
      });
    }
    tx = { kind: 'transfer', inputs, outputs: readOutputs(reader) };
  } else {
    refuse(`unknown transaction kind ${kind}`);
  }
  const verdict = checkTxSyntax(tx);
  if (!verdict.ok) refuse(verdict.reason);
  return tx;
}

/** Decodes one standalone transaction (the `tx` message, HTTP POST); strict and canonical. */
export function decodeTx(bytes: Uint8Array, maxBytes = MAX_TX_BYTES): Decoded<Transaction> {
  if (bytes.length > maxBytes)
    return { ok: false, reason: `transaction is ${bytes.length} bytes, at most ${maxBytes}` };
  return decodeRecord(bytes, readTransaction);
}

function unsignedEncoding(tx: Transaction | UnsignedTransfer): Uint8Array {
  const writer = new ByteWriter();
  writeTx(writer, tx, false);
  return writer.finish();
}

function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

/**
 * SHA-256 of the encoding without signatures: nobody can change a txid without
 * invalidating the signatures (no malleability).
 */
export function txid(tx: Transaction | UnsignedTransfer): Uint8Array {
  return sha256(unsignedEncoding(tx));
}

/** What every input of a transfer signs: SHA-256(domain || genesis hash || unsigned encoding). */
export function signatureDigest(tx: TransferTx | UnsignedTransfer, genesisHash: Uint8Array): Uint8Array {
  if (genesisHash.length !== HASH_BYTES) throw new RangeError(`genesis hash must be ${HASH_BYTES} bytes`);
  return sha256(SIGNATURE_DOMAIN, genesisHash, unsignedEncoding(tx));
}

/** Signs every input; `privateKeys[i]` must be the key of `inputs[i].publicKey`. */
export function signTransfer(
  unsigned: UnsignedTransfer,
  privateKeys: readonly KeyObject[],
  genesisHash: Uint8Array,
): TransferTx {
  if (privateKeys.length !== unsigned.inputs.length) {
    throw new RangeError(`${unsigned.inputs.length} inputs need as many keys, got ${privateKeys.length}`);
  }
  const digest = signatureDigest(unsigned, genesisHash);
  const inputs = unsigned.inputs.map((input, i) => {
    const key = privateKeys[i]!;
    if (!equalBytes(rawPublicKey(key), input.publicKey)) {
      throw new RangeError(`key ${i} is not the key of input ${i}'s public key`);
    }
    return { ...input, signature: signMessage(digest, key) };
  });
  const tx: TransferTx = { kind: 'transfer', inputs, outputs: unsigned.outputs };
  const verdict = checkTxSyntax(tx);
  if (!verdict.ok) throw new RangeError(`invalid transaction: ${verdict.reason}`);
  return tx;
}

/**
 * Checks every input's signature over this network's digest; the verdict names the first
 * input that fails. Whether each public key owns the spent output is the ledger's check.
 */
export function checkTransferSignatures(tx: TransferTx, genesisHash: Uint8Array): SignatureVerdict {
  const digest = signatureDigest(tx, genesisHash);
  for (const [i, input] of tx.inputs.entries()) {
    if (!verifyMessage(digest, input.publicKey, input.signature)) {
      return { ok: false, reason: `input ${i}: signature does not verify`, inputIndex: i };
    }
  }
  return { ok: true };
}
