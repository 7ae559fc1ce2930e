import { describe, expect, it } from 'vitest';
import {
  CoinSet,
  CoinView,
  keyOfOutpoint,
  outpointKey,
  outpointOfKey,
  type Coin,
} from '../src/consensus/ledger/coins.js';
import { bytesToHex } from '../src/primitives/bytes.js';

const TXID = new Uint8Array(32).fill(0xab);
const TXID_HEX = bytesToHex(TXID);
const OWNER = new Uint8Array(20).fill(1);
const OTHER = new Uint8Array(20).fill(2);

const coin = (amount: bigint, keyHash = OWNER): Coin => ({ amount, keyHash, height: 1, coinbase: false });
const key = (index: number): string => outpointKey(TXID_HEX, index);

describe('outpoint keys', () => {
  it('name an outpoint `<txid hex>:<index>` and read back to the same outpoint', () => {
    expect(keyOfOutpoint({ txid: TXID, index: 17 })).toBe(`${TXID_HEX}:17`);
    for (const index of [0, 7, 65_535]) {
      expect(outpointOfKey(outpointKey(TXID_HEX, index))).toEqual({ txid: TXID, index });
    }
  });
});

describe('CoinSet', () => {
  it('keeps coins by outpoint and by owner, with their total', () => {
    const set = new CoinSet();
    set.add(key(0), coin(5n));
    set.add(key(1), coin(7n, OTHER));
    set.add(key(2), coin(11n));
    expect([set.size, set.total]).toEqual([3, 23n]);
    expect([...set.keysOf(bytesToHex(OWNER))]).toEqual([key(0), key(2)]);
    expect(set.spend(key(0))).toEqual(coin(5n));
    expect([set.size, set.total, set.get(key(0))]).toEqual([2, 18n, undefined]);
    expect([...set.keysOf(bytesToHex(OWNER))]).toEqual([key(2)]);
    set.spend(key(2));
    expect([...set.keysOf(bytesToHex(OWNER))]).toEqual([]);
    // The owner's index starts afresh when it is paid again.
    set.add(key(3), coin(1n));
    expect([...set.keysOf(bytesToHex(OWNER))]).toEqual([key(3)]);
  });

  it('throws on adding an unspent outpoint again and on spending one that is not unspent', () => {
    const set = new CoinSet();
    set.add(key(0), coin(5n));
    expect(() => set.add(key(0), coin(6n))).toThrow(`coin ${key(0)} is already unspent`);
    expect(set.get(key(0))).toEqual(coin(5n));
    expect(() => set.spend(key(1))).toThrow(`coin ${key(1)} is not unspent`);
    expect([set.size, set.total]).toEqual([1, 5n]);
  });
});

describe('CoinView', () => {
  it('records spends and additions without touching its base until committed', () => {
    const base = new CoinSet();
    base.add(key(0), coin(5n));
    const view = new CoinView(base);
    expect(view.spend(key(0))).toEqual(coin(5n));
    view.add(key(1), coin(3n));
    expect([view.get(key(0)), view.get(key(1))]).toEqual([undefined, coin(3n)]);
    expect([base.get(key(0)), base.get(key(1))]).toEqual([coin(5n), undefined]);
    view.commitTo(base);
    expect([base.get(key(0)), base.get(key(1)), base.total]).toEqual([undefined, coin(3n), 3n]);
  });

  it('throws on adding an outpoint unspent in the view or its base, and on spending one that is not', () => {
    const base = new CoinSet();
    base.add(key(0), coin(5n));
    const view = new CoinView(base);
    expect(() => view.add(key(0), coin(6n))).toThrow(`coin ${key(0)} is already unspent`);
    view.add(key(1), coin(1n));
    expect(() => view.add(key(1), coin(2n))).toThrow(`coin ${key(1)} is already unspent`);
    expect(() => view.spend(key(2))).toThrow(`coin ${key(2)} is not unspent`);
    view.spend(key(0));
    expect(() => view.spend(key(0))).toThrow(`coin ${key(0)} is not unspent`);
    // Spent in the view, the outpoint can be added again there.
    view.add(key(0), coin(9n));
    expect(view.get(key(0))).toEqual(coin(9n));
  });

  it('commits only to its own base', () => {
    const base = new CoinSet();
    const other = new CoinSet();
    const view = new CoinView(base);
    view.add(key(0), coin(1n));
    expect(() => view.commitTo(other)).toThrow('a view commits only to its own base');
    expect([other.size, base.size]).toEqual([0, 0]);
    const layered = new CoinView(view);
    layered.add(key(1), coin(2n));
    expect(() => layered.commitTo(base)).toThrow('a view commits only to its own base');
    layered.commitTo(view);
    view.commitTo(base);
    expect([base.size, base.total]).toEqual([2, 3n]);
  });
});
