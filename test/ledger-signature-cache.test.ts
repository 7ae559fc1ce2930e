import { describe, expect, it } from 'vitest';
import { SignatureCache } from '../src/consensus/ledger/signature-cache.js';
import type { TransferTx } from '../src/primitives/tx.js';
import { GENESIS_HASH, KEYS, OTHER_GENESIS_HASH, hexTxid, transfer } from './helpers/ledger-chain.js';

const payment = (n: number): TransferTx =>
  transfer([{ from: new Uint8Array(32).fill(n), index: 0, key: KEYS[1]! }], [[1_000n, KEYS[2]!]]);

function resigned(tx: TransferTx): TransferTx {
  const signature = tx.inputs[0]!.signature.slice();
  signature[3]! ^= 0x10;
  return { ...tx, inputs: [{ ...tx.inputs[0]!, signature }] };
}

/** The verdict, and whether it took an ed25519 verification. */
function check(cache: SignatureCache, tx: TransferTx, genesis = GENESIS_HASH): [boolean, 'verified' | 'cached'] {
  const before = cache.stats.verifications;
  const verdict = cache.check(tx, hexTxid(tx), genesis);
  return [verdict.ok, cache.stats.verifications > before ? 'verified' : 'cached'];
}

describe('SignatureCache', () => {
  it('verifies once, then answers from the cache', () => {
    const cache = new SignatureCache();
    const tx = payment(1);
    expect(check(cache, tx)).toEqual([true, 'verified']);
    expect(check(cache, tx)).toEqual([true, 'cached']);
    expect(cache.lookup(tx, hexTxid(tx))).toEqual({ ok: true });
    expect(cache.stats).toEqual({ hits: 1, verifications: 1 });
  });

  it('verifies a copy with other signature bytes on its own (same txid) and remembers that it failed', () => {
    const cache = new SignatureCache();
    const tx = payment(1);
    check(cache, tx);
    const copy = resigned(tx);
    expect(hexTxid(copy)).toBe(hexTxid(tx));
    expect(check(cache, copy)).toEqual([false, 'verified']);
    expect(check(cache, copy)).toEqual([false, 'cached']);
    expect(cache.lookup(copy, hexTxid(copy))).toEqual({
      ok: false,
      reason: 'input 0: signature does not verify',
      inputIndex: 0,
    });
    // The genuine transaction is still known good.
    expect(check(cache, tx)).toEqual([true, 'cached']);
    expect(cache.stats).toEqual({ hits: 2, verifications: 2 });
  });

  it('knows nothing of a transaction it has not seen', () => {
    const cache = new SignatureCache();
    expect(cache.lookup(payment(1), hexTxid(payment(1)))).toBeUndefined();
  });

  it('refuses another network’s signatures (the genesis hash is part of the digest)', () => {
    const cache = new SignatureCache();
    const foreign = transfer(
      [{ from: new Uint8Array(32).fill(1), index: 0, key: KEYS[1]! }],
      [[1_000n, KEYS[2]!]],
      OTHER_GENESIS_HASH,
    );
    expect(check(cache, foreign)).toEqual([false, 'verified']);
  });

  it('holds verifiedEntries transactions, least recently used dropped first', () => {
    const cache = new SignatureCache({ verifiedEntries: 2 });
    const [a, b, c] = [payment(1), payment(2), payment(3)] as [TransferTx, TransferTx, TransferTx];
    check(cache, a);
    check(cache, b);
    expect(cache.size.verified).toBe(2);
    expect(check(cache, a)).toEqual([true, 'cached']); // a is now the most recent
    check(cache, c); // drops b
    expect(cache.size.verified).toBe(2);
    expect(check(cache, a)).toEqual([true, 'cached']);
    expect(check(cache, b)).toEqual([true, 'verified']);
  });

  it('holds failedEntries failures (at the edge), and nothing with a capacity of 0', () => {
    const cache = new SignatureCache({ failedEntries: 1, verifiedEntries: 0 });
    const [x, y] = [resigned(payment(1)), resigned(payment(2))];
    check(cache, x);
    expect(check(cache, x)).toEqual([false, 'cached']);
    check(cache, y);
    expect(cache.size.failed).toBe(1);
    expect(check(cache, x)).toEqual([false, 'verified']);
    const good = payment(3);
    check(cache, good);
    expect([cache.size.verified, check(cache, good)[1]]).toEqual([0, 'verified']);
  });

  it('refuses a negative capacity', () => {
    expect(() => new SignatureCache({ verifiedEntries: -1 })).toThrow(new RangeError('capacity must be >= 0, got -1'));
  });
});
