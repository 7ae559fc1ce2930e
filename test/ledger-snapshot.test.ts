import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EMPTY_ROUTE, Ledger } from '../src/consensus/ledger/ledger.js';
import { COIN_RECORD_BYTES, SNAPSHOT_MAGIC, decodeSnapshot, encodeSnapshot } from '../src/consensus/ledger/snapshot.js';
import { MAX_MONEY, subsidy } from '../src/primitives/params.js';
import type { CoinbaseTx } from '../src/primitives/tx.js';
import {
  GENESIS_HASH,
  GENESIS_HEX,
  KEYS,
  MINER,
  OTHER_GENESIS_HASH,
  TEST_PARAMS,
  TestTree,
  transfer,
} from './helpers/ledger-chain.js';

const SUBSIDY = subsidy(TEST_PARAMS, 1);
const ALICE = KEYS[1]!;
const BOB = KEYS[2]!;

// Byte offsets of the layout in docs/ledger.md.
const VERSION_AT = SNAPSHOT_MAGIC.length;
const GENESIS_AT = VERSION_AT + 1;
const TIP_AT = GENESIS_AT + 32;
const HEIGHT_AT = TIP_AT + 32;
const COUNT_AT = HEIGHT_AT + 4;
const COINS_AT = COUNT_AT + 4;
const AMOUNT_IN_COIN = 34;
const HEIGHT_IN_COIN = 62;
const FLAGS_IN_COIN = 66;

/** A ledger at height 6 with transfers, so that coins and undo records hold several entries. */
function sampleLedger(undoDepth = 4): Ledger {
  const ledger = new Ledger(TEST_PARAMS, GENESIS_HASH, { undoDepth });
  const tree = new TestTree();
  const connect = (parent: string, txs = [] as ReturnType<typeof transfer>[], fees = 0n): string => {
    const block = tree.block(parent, txs, { fees });
    expect(ledger.checkBlock(block, EMPTY_ROUTE).ok).toBe(true);
    ledger.reorganize({ disconnect: [], connect: [block] });
    return block.hash;
  };
  let tip = GENESIS_HEX;
  for (let i = 0; i < 3; i++) tip = connect(tip);
  const reward = tree.chain(tip)[0]!.payload.transactions[0] as CoinbaseTx;
  const toAlice = transfer([{ from: reward, index: 0, key: MINER }], [[SUBSIDY - 10n, ALICE]]);
  tip = connect(tip, [toAlice], 10n);
  const toBob = transfer(
    [{ from: toAlice, index: 0, key: ALICE }],
    [
      [100n, BOB],
      [SUBSIDY - 120n, ALICE],
    ],
  );
  tip = connect(tip, [toBob], 10n);
  connect(tip);
  return ledger;
}

/** Recomputes the SHA-256 trailer after an edit, so that the edit itself is what gets refused. */
function resealed(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const body = out.subarray(0, out.length - 32);
  out.set(createHash('sha256').update(body).digest(), out.length - 32);
  return out;
}

function edited(bytes: Uint8Array, edit: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const out = bytes.slice();
  edit(new DataView(out.buffer), out);
  return resealed(out);
}

function reasonOf(bytes: Uint8Array, limits = {}): string {
  const decoded = decodeSnapshot(bytes, TEST_PARAMS, GENESIS_HASH, limits);
  return decoded.ok ? 'accepted' : decoded.reason;
}

const coinsOf = (ledger: Ledger): string[] =>
  [...ledger.state().coins].map(([key, coin]) => `${key} ${coin.amount} ${coin.height} ${coin.coinbase}`).sort();

describe('Ledger snapshots', () => {
  it('round-trip the set, the tip and the undo records, and encode canonically', () => {
    const ledger = sampleLedger();
    const bytes = encodeSnapshot(ledger);
    const decoded = decodeSnapshot(bytes, TEST_PARAMS, GENESIS_HASH, { undoDepth: 4 });
    if (!decoded.ok) throw new Error(decoded.reason);
    const restored = decoded.value;
    expect([restored.tip, restored.height, restored.reach, restored.supply()]).toEqual([
      ledger.tip,
      6,
      4,
      ledger.supply(),
    ]);
    expect(coinsOf(restored)).toEqual(coinsOf(ledger));
    expect(restored.state().undo).toEqual(ledger.state().undo);
    expect(encodeSnapshot(restored)).toEqual(bytes);
    expect(bytes.length).toBe(
      COINS_AT + ledger.size * COIN_RECORD_BYTES + 2 + 4 * (32 + 32 + 4 + 4) + 2 * COIN_RECORD_BYTES + 32,
    );
  });

  it('round-trips the ledger at the genesis', () => {
    const ledger = new Ledger(TEST_PARAMS, GENESIS_HASH);
    const decoded = decodeSnapshot(encodeSnapshot(ledger), TEST_PARAMS, GENESIS_HASH);
    expect(decoded.ok && [decoded.value.tip, decoded.value.height, decoded.value.size]).toEqual([GENESIS_HEX, 0, 0]);
  });

  it('keeps only the undo records the new ledger wants', () => {
    const decoded = decodeSnapshot(encodeSnapshot(sampleLedger()), TEST_PARAMS, GENESIS_HASH, { undoDepth: 2 });
    expect(decoded.ok && decoded.value.reach).toBe(2);
  });

  it('refuses a damaged, truncated or overlong snapshot before reading it', () => {
    const bytes = encodeSnapshot(sampleLedger());
    const damaged = bytes.slice();
    damaged[COINS_AT + 40]! ^= 1;
    expect(reasonOf(damaged)).toBe('snapshot checksum does not match (truncated or damaged)');
    expect(reasonOf(bytes.subarray(0, bytes.length - 1))).toBe(
      'snapshot checksum does not match (truncated or damaged)',
    );
    expect(reasonOf(bytes.subarray(0, 50))).toBe('snapshot is 50 bytes, too short to be one');
    expect(reasonOf(bytes, { maxBytes: bytes.length })).toBe('accepted');
    expect(reasonOf(bytes, { maxBytes: bytes.length - 1 })).toBe(
      `snapshot is ${bytes.length} bytes, at most ${bytes.length - 1}`,
    );
  });

  it('refuses another format, version or network', () => {
    const bytes = encodeSnapshot(sampleLedger());
    expect(reasonOf(edited(bytes, (_, b) => (b[0] = 0x50)))).toBe('not a ledger snapshot (bad magic)');
    expect(reasonOf(edited(bytes, (v) => v.setUint8(VERSION_AT, 2)))).toBe('unknown snapshot version 2');
    expect(reasonOf(edited(bytes, (_, b) => b.set(OTHER_GENESIS_HASH, GENESIS_AT)))).toBe(
      `snapshot is of another network (genesis ${'43'.repeat(32)})`,
    );
    const empty = encodeSnapshot(new Ledger(TEST_PARAMS, GENESIS_HASH));
    expect(reasonOf(edited(empty, (_, b) => (b[TIP_AT] = 0)))).toBe('a snapshot at height 0 must be at the genesis');
  });

  it('checks the coin count against its limit (at the edge) and against the bytes left', () => {
    const ledger = sampleLedger();
    const bytes = encodeSnapshot(ledger);
    expect(reasonOf(bytes, { maxCoins: ledger.size })).toBe('accepted');
    expect(reasonOf(bytes, { maxCoins: ledger.size - 1 })).toBe(`${ledger.size} coins, at most ${ledger.size - 1}`);
    expect(reasonOf(edited(bytes, (v) => v.setUint32(COUNT_AT, 100_000)))).toMatch(
      /^coin count 100000 needs 6700000 bytes, only \d+ left$/,
    );
  });

  it('refuses coins out of order, repeated, or with a field out of range', () => {
    const ledger = sampleLedger();
    const bytes = encodeSnapshot(ledger);
    const coin = (i: number) => COINS_AT + i * COIN_RECORD_BYTES;
    const swapped = edited(bytes, (_, b) => {
      const first = b.slice(coin(0), coin(1));
      b.copyWithin(coin(0), coin(1), coin(2));
      b.set(first, coin(1));
    });
    expect(reasonOf(swapped)).toBe('coin 1 is not after coin 0 in outpoint order');
    expect(reasonOf(edited(bytes, (_, b) => b.copyWithin(coin(1), coin(0), coin(1))))).toBe(
      'coin 1 is not after coin 0 in outpoint order',
    );
    expect(reasonOf(edited(bytes, (v) => v.setBigUint64(coin(0) + AMOUNT_IN_COIN, 0n)))).toBe(
      `coin 0: amount must be 1 to ${MAX_MONEY}, got 0`,
    );
    expect(reasonOf(edited(bytes, (v) => v.setBigUint64(coin(0) + AMOUNT_IN_COIN, MAX_MONEY + 1n)))).toBe(
      `coin 0: amount must be 1 to ${MAX_MONEY}, got ${MAX_MONEY + 1n}`,
    );
    const rich = edited(bytes, (v) => {
      v.setBigUint64(coin(0) + AMOUNT_IN_COIN, MAX_MONEY);
      v.setBigUint64(coin(1) + AMOUNT_IN_COIN, 1n);
    });
    expect(reasonOf(rich)).toBe(`coins add up to more than MAX_MONEY (${MAX_MONEY})`);
    expect(reasonOf(edited(bytes, (v) => v.setUint32(coin(0) + HEIGHT_IN_COIN, 7)))).toBe(
      'coin 0: height must be 1 to 6, got 7',
    );
    expect(reasonOf(edited(bytes, (v) => v.setUint32(coin(0) + HEIGHT_IN_COIN, 0)))).toBe(
      'coin 0: height must be 1 to 6, got 0',
    );
    expect(reasonOf(edited(bytes, (v) => v.setUint8(coin(0) + FLAGS_IN_COIN, 2)))).toBe('coin 0: unknown flags 2');
    expect(reasonOf(edited(bytes, (v) => v.setUint16(coin(0) + 32, 256)))).toBe(
      'coin 0: output index must be 0 to 255, got 256',
    );
  });

  it('refuses undo records that do not lead up to the tip', () => {
    const ledger = sampleLedger();
    const bytes = encodeSnapshot(ledger);
    const undoAt = COINS_AT + ledger.size * COIN_RECORD_BYTES;
    expect(reasonOf(edited(bytes, (v) => v.setUint16(undoAt, 7)))).toBe('7 undo records, at most 6 at height 6');
    // The first record is the block at height 3, with no spent coins.
    const first = undoAt + 2;
    expect(reasonOf(edited(bytes, (v) => v.setUint32(first + 64, 4)))).toBe('undo record 0: height must be 3, got 4');
    const second = first + 72;
    expect(reasonOf(edited(bytes, (_, b) => (b[second + 32]! ^= 1)))).toBe(
      'undo record 1: parent is not the block of undo record 0',
    );
    expect(reasonOf(edited(bytes, (_, b) => (b[TIP_AT]! ^= 1)))).toBe(
      "undo record 3: the last undo record must be the tip's",
    );
    expect(
      reasonOf(resealed(new Uint8Array([...bytes.subarray(0, bytes.length - 32), 0, ...bytes.subarray(-32)]))),
    ).toBe('trailing bytes after the record (1)');
  });
});

describe('Ledger snapshots: edges', () => {
  /** `bytes` with its body cut to `length` bytes, resealed. */
  const cut = (bytes: Uint8Array, length: number): Uint8Array =>
    resealed(new Uint8Array([...bytes.subarray(0, length), ...new Uint8Array(32)]));

  it('orders the coins of one transaction by output index as a number (output 10 after output 9)', () => {
    const ledger = new Ledger(TEST_PARAMS, GENESIS_HASH);
    const tree = new TestTree();
    let tip = GENESIS_HEX;
    for (let i = 0; i < 3; i++) {
      const block = tree.block(tip);
      ledger.reorganize({ disconnect: [], connect: [block] });
      tip = block.hash;
    }
    const reward = tree.chain(tip)[0]!.payload.transactions[0] as CoinbaseTx;
    const fanOut = transfer(
      [{ from: reward, index: 0, key: MINER }],
      Array.from({ length: 12 }, () => [SUBSIDY / 12n, ALICE] as const),
    );
    const block = tree.block(tip, [fanOut], { fees: SUBSIDY - 12n * (SUBSIDY / 12n) });
    expect(ledger.checkBlock(block, EMPTY_ROUTE).ok).toBe(true);
    ledger.reorganize({ disconnect: [], connect: [block] });
    const bytes = encodeSnapshot(ledger);
    const decoded = decodeSnapshot(bytes, TEST_PARAMS, GENESIS_HASH);
    if (!decoded.ok) throw new Error(decoded.reason);
    expect(coinsOf(decoded.value)).toEqual(coinsOf(ledger));
    // Canonical whatever order the set holds its coins in.
    const state = ledger.state();
    const reversed = Ledger.fromState(TEST_PARAMS, GENESIS_HASH, { ...state, coins: [...state.coins].reverse() });
    expect(encodeSnapshot(reversed)).toEqual(bytes);
  });

  it('treats a ledger whose tip is not a hash as a programming error', () => {
    const broken = Ledger.fromState(TEST_PARAMS, GENESIS_HASH, { tip: 'not hex', height: 0, coins: [], undo: [] });
    expect(() => encodeSnapshot(broken)).toThrow(new RangeError('bad hex not hex'));
  });

  it('needs the header and the undo record count: one byte less is too short', () => {
    const empty = encodeSnapshot(new Ledger(TEST_PARAMS, GENESIS_HASH));
    expect(reasonOf(empty)).toBe('accepted');
    expect(reasonOf(cut(empty, empty.length - 34))).toBe(`snapshot is ${empty.length - 2} bytes, too short to be one`);
  });

  it('checks the coin count against the bytes left at the edge, and reads the undo record count after the coins', () => {
    const ledger = sampleLedger();
    const bytes = encodeSnapshot(ledger);
    const undoAt = COINS_AT + ledger.size * COIN_RECORD_BYTES;
    expect(reasonOf(cut(bytes, undoAt))).toBe('undo record count: needs 2 bytes, only 0 left');
    const left = bytes.length - 32 - COINS_AT;
    const count = Math.floor(left / COIN_RECORD_BYTES) + 1;
    expect(reasonOf(edited(bytes, (v) => v.setUint32(COUNT_AT, count)))).toBe(
      `coin count ${count} needs ${count * COIN_RECORD_BYTES} bytes, only ${left} left`,
    );
  });

  it('accepts coins adding up to exactly MAX_MONEY', () => {
    const ledger = sampleLedger();
    const first = [...ledger.state().coins].sort()[0]!;
    const others = ledger.supply() - first[1].amount;
    const bytes = edited(encodeSnapshot(ledger), (v) => v.setBigUint64(COINS_AT + AMOUNT_IN_COIN, MAX_MONEY - others));
    const decoded = decodeSnapshot(bytes, TEST_PARAMS, GENESIS_HASH);
    expect(decoded.ok && decoded.value.supply()).toBe(MAX_MONEY);
  });

  it('names the undo record field that is cut short, checks the spent count against the bytes left, and names a bad spent coin', () => {
    const ledger = sampleLedger();
    const bytes = encodeSnapshot(ledger);
    const first = COINS_AT + ledger.size * COIN_RECORD_BYTES + 2;
    expect(reasonOf(cut(bytes, first))).toBe('undo record 0 hash: needs 32 bytes, only 0 left');
    expect(reasonOf(cut(bytes, first + 32))).toBe('undo record 0 parent hash: needs 32 bytes, only 0 left');
    expect(reasonOf(cut(bytes, first + 64))).toBe('undo record 0 height: needs 4 bytes, only 0 left');
    expect(reasonOf(cut(bytes, first + 68))).toBe('undo record 0 spent count: needs 4 bytes, only 0 left');
    const left = bytes.length - 32 - (first + 72);
    const spent = Math.floor(left / COIN_RECORD_BYTES) + 1;
    expect(reasonOf(edited(bytes, (v) => v.setUint32(first + 68, spent)))).toBe(
      `undo record 0: spent count ${spent} needs ${spent * COIN_RECORD_BYTES} bytes, only ${left} left`,
    );
    // Record 1 (height 4) spends one coin.
    expect(reasonOf(edited(bytes, (v) => v.setUint32(first + 72 + 72 + HEIGHT_IN_COIN, 0)))).toBe(
      'undo record 1 coin 0: height must be 1 to 4, got 0',
    );
  });
});
