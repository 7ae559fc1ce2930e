import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Block, BlockArena, BlockTooLargeError } from '../src/primitives/block.js';
import { bigIntToBytes, bytesToBigInt, readUint64, writeUint64 } from '../src/primitives/bytes.js';
import { HASH_BYTES, MAX_DATA_BYTES, MAX_TARGET, NONCE_LIMIT } from '../src/primitives/limits.js';
import { hashAtMeetsTarget, hashMeetsTarget } from '../src/primitives/pow.js';

/** The definitions, spelled the slow way: what the fast paths must agree with. */
const referenceHash = (data: Uint8Array, previousHash: Uint8Array, nonce: bigint): Uint8Array =>
  new Uint8Array(
    createHash('sha256')
      .update(data)
      .update(previousHash)
      .update(Buffer.from(nonce.toString(16).padStart(16, '0'), 'hex'))
      .digest(),
  );
const referenceValue = (bytes: Uint8Array): bigint => BigInt('0x' + (Buffer.from(bytes).toString('hex') || '0'));

const arbitraryBlockFields = fc.record({
  data: fc.uint8Array({ maxLength: 300 }),
  previousHash: fc.uint8Array({ minLength: HASH_BYTES, maxLength: HASH_BYTES }),
  nonce: fc.bigInt(0n, NONCE_LIMIT - 1n),
});

describe('a block is one buffer', () => {
  it('reads back its fields, and hashes to SHA-256(data || previous_hash || p_o_w), made either way', () => {
    const arena = new BlockArena(1024);
    fc.assert(
      fc.property(arbitraryBlockFields, ({ data, previousHash, nonce }) => {
        const made = new Block(data, previousHash, nonce);
        const fromArena = arena.block(data, previousHash, bigIntToBytes(nonce, 8));
        for (const block of [made, fromArena]) {
          expect(block.data).toEqual(data);
          expect(block.previousHash).toEqual(previousHash);
          expect(block.nonce).toBe(nonce);
          expect(block.proofOfWork).toEqual(bigIntToBytes(nonce, 8));
          expect(block.preimage).toEqual(new Uint8Array([...data, ...previousHash, ...bigIntToBytes(nonce, 8)]));
          expect(block.hash()).toEqual(referenceHash(data, previousHash, nonce));
          expect(block.hashHex()).toBe(Buffer.from(referenceHash(data, previousHash, nonce)).toString('hex'));
          expect(block.isGenesis).toBe(previousHash.every((byte) => byte === 0));
        }
        expect(fromArena).toEqual(made);
      }),
      { numRuns: 200 },
    );
  });

  it('deep equality tells blocks apart by their bytes, and ignores whether the hash was computed', () => {
    const a = new Block('same', undefined, 5n);
    const b = new Block('same', undefined, 5n);
    a.hash();
    expect(a).toEqual(b);
    expect(new Block('same', undefined, 6n)).not.toEqual(b);
    expect(new Block('Same', undefined, 5n)).not.toEqual(b);
  });

  it('copies what it is made from, and prefix() is a copy', () => {
    const data = new Uint8Array([1, 2, 3]);
    const parent = new Uint8Array(HASH_BYTES).fill(4);
    const block = new Block(data, parent, 7n);
    const hash = block.hashHex();
    data[0] = 9;
    parent[0] = 9;
    block.prefix()[0] = 9;
    expect(block.data).toEqual(new Uint8Array([1, 2, 3]));
    expect(block.previousHash[0]).toBe(4);
    expect(block.withNonce(7n).hashHex()).toBe(hash);
    expect(block.withNonce(8n).nonce).toBe(8n);
  });

  it('takes data of exactly the limit and refuses one byte more (a RangeError) before allocating for it', () => {
    expect(new Block(new Uint8Array(MAX_DATA_BYTES)).data).toHaveLength(MAX_DATA_BYTES);
    expect(new Block('é'.repeat((MAX_DATA_BYTES - 1) / 2) + 'a').data).toHaveLength(MAX_DATA_BYTES);
    const tooLarge = (): Block => new Block('é'.repeat((MAX_DATA_BYTES + 1) / 2));
    expect(tooLarge).toThrow(BlockTooLargeError);
    expect(tooLarge).toThrow(RangeError);
    expect(tooLarge).toThrow(`block data is ${MAX_DATA_BYTES + 1} bytes`);
    const arena = new BlockArena();
    expect(() => arena.block(new Uint8Array(MAX_DATA_BYTES + 1), new Uint8Array(32), new Uint8Array(8))).toThrow(
      BlockTooLargeError,
    );
    expect(() => arena.block(new Uint8Array(1), new Uint8Array(31), new Uint8Array(8))).toThrow(
      'previous_hash must be 32 bytes, got 31',
    );
    expect(() => arena.block(new Uint8Array(1), new Uint8Array(32), new Uint8Array(7))).toThrow(
      'p_o_w must be 8 bytes, got 7',
    );
  });

  it('an arena shares chunks between small blocks, gives a big block its own buffer, and starts a new chunk when full', () => {
    const arena = new BlockArena(1024);
    const parent = new Uint8Array(32);
    const nonce = new Uint8Array(8);
    const first = arena.block(new Uint8Array(100), parent, nonce);
    const second = arena.block(new Uint8Array(100), parent, nonce);
    const big = arena.block(new Uint8Array(300), parent, nonce);
    expect(second.preimage.buffer).toBe(first.preimage.buffer);
    expect(big.preimage.buffer).not.toBe(first.preimage.buffer);
    // 172 + 172 bytes used, then 73 each: the tenth of these no longer fits in 1,024.
    const blocks = Array.from({ length: 12 }, (_, i) => arena.block(new Uint8Array([i]), parent, nonce));
    expect(new Set(blocks.map((block) => block.preimage.buffer)).size).toBe(2);
    // Hashing one block writes only its own bytes.
    const before = blocks.map((block) => Buffer.from(block.preimage));
    for (const block of blocks) block.hash();
    expect(blocks.map((block) => Buffer.from(block.preimage))).toEqual(before);
    expect(blocks.map((block) => block.data[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(blocks[9]!.preimage.buffer).not.toBe(blocks[8]!.preimage.buffer);
  });

  it('an arena puts a block of exactly a quarter chunk in the chunk, and fills a chunk to its last byte', () => {
    // 28 bytes of data + previous_hash (32) + p_o_w (8) + hash (32) = 100 bytes: a quarter of 400.
    const arena = new BlockArena(400);
    const make = (): Block => arena.block(new Uint8Array(28), new Uint8Array(32), new Uint8Array(8));
    const blocks = [make(), make(), make(), make()];
    expect(blocks[0]!.preimage.buffer.byteLength).toBe(400);
    expect(new Set(blocks.map((block) => block.preimage.buffer)).size).toBe(1);
    expect(make().preimage.buffer).not.toBe(blocks[0]!.preimage.buffer);
    expect(arena.block(new Uint8Array(29), new Uint8Array(32), new Uint8Array(8)).preimage.buffer.byteLength).toBe(101);
  });

  it('an arena uses 64 KiB chunks by default', () => {
    const arena = new BlockArena();
    const a = arena.block(new Uint8Array(10), new Uint8Array(32), new Uint8Array(8));
    const b = arena.block(new Uint8Array(10), new Uint8Array(32), new Uint8Array(8));
    expect(a.preimage.buffer.byteLength).toBe(64 * 1024);
    expect(b.preimage.buffer).toBe(a.preimage.buffer);
  });
});

describe('numbers without hex strings', () => {
  it('writeUint64, readUint64, bigIntToBytes and bytesToBigInt agree with the hex definitions up to 8 bytes', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 8 })
          .chain((length) => fc.tuple(fc.constant(length), fc.bigInt(0n, (1n << BigInt(8 * length)) - 1n))),
        fc.integer({ min: 0, max: 5 }),
        ([length, value], offset) => {
          const hex = value.toString(16).padStart(2 * length, '0');
          expect(Buffer.from(bigIntToBytes(value, length)).toString('hex')).toBe(hex);
          const out = new Uint8Array(offset + length + 3).fill(0xee);
          writeUint64(out, offset, length, value);
          expect(Buffer.from(out.subarray(offset, offset + length)).toString('hex')).toBe(hex);
          expect([...out.subarray(0, offset), ...out.subarray(offset + length)].every((b) => b === 0xee)).toBe(true);
          expect(readUint64(out, offset, length)).toBe(value);
          expect(bytesToBigInt(Buffer.from(hex, 'hex'))).toBe(value);
        },
      ),
      { numRuns: 500 },
    );
    expect(bigIntToBytes(NONCE_LIMIT - 1n, 8)).toEqual(new Uint8Array(8).fill(0xff));
    expect(() => bigIntToBytes(NONCE_LIMIT, 8)).toThrow(RangeError);
    expect(() => bigIntToBytes(256n, 1)).toThrow('256 does not fit in 1 unsigned bytes');
    expect(bytesToBigInt(new Uint8Array(0))).toBe(0n);
  });
});

describe('the proof-of-work comparison without BigInt', () => {
  it('agrees with hash <= target for hashes at, just above and just below targets, whichever target came before', () => {
    const hashAndTarget = fc
      .uint8Array({ minLength: 32, maxLength: 32 })
      .chain((hash) =>
        fc.tuple(
          fc.constant(hash),
          fc.oneof(
            fc.constant(referenceValue(hash)),
            fc.constant(referenceValue(hash) + 1n),
            fc.constant(referenceValue(hash) - 1n),
            fc.bigInt(0n, MAX_TARGET),
            fc.constantFrom(-1n, 0n, 1n, MAX_TARGET, MAX_TARGET + 1n, 1n << 300n),
          ),
        ),
      );
    fc.assert(
      fc.property(fc.array(hashAndTarget, { minLength: 1, maxLength: 4 }), (cases) => {
        for (const [hash, target] of cases) {
          const expected = referenceValue(hash) <= target;
          expect(hashMeetsTarget(hash, target)).toBe(expected);
          const padded = new Uint8Array(40);
          padded.set(hash, 5);
          expect(hashAtMeetsTarget(padded, 5, target)).toBe(expected);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a hash of the wrong length, and an offset without 32 bytes after it', () => {
    expect(() => hashMeetsTarget(new Uint8Array(31), MAX_TARGET)).toThrow('hash must be 32 bytes, got 31');
    expect(() => hashAtMeetsTarget(new Uint8Array(40), 9, MAX_TARGET)).toThrow(
      'no 32-byte hash at offset 9 of 40 bytes',
    );
    expect(() => hashAtMeetsTarget(new Uint8Array(40), -1, MAX_TARGET)).toThrow(RangeError);
    expect(hashAtMeetsTarget(new Uint8Array(40), 8, 0n)).toBe(true);
  });
});
