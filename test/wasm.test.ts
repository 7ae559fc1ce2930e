import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SearchResult } from '../src/hashing/engine.js';
import { NONCE_LIMIT } from '../src/primitives/limits.js';
import {
  type NonceSearchExports,
  createWasmEngine,
  simdSupported,
  wasmModule,
  type WasmFlavor,
} from '../src/hashing/wasm.js';

const FLAVORS: readonly WasmFlavor[] = ['scalar', 'simd'];
const MAX_TARGET = (1n << 256n) - 1n;

function rawInstance(flavor: WasmFlavor): NonceSearchExports {
  return new WebAssembly.Instance(wasmModule(flavor), {}).exports as unknown as NonceSearchExports;
}

/** SHA-256 through the module's streaming interface, absorbing in chunks of `chunk` bytes. */
function wasmSha256(
  raw: NonceSearchExports,
  message: Uint8Array,
  chunk: number = raw.INPUT_LENGTH.value as number,
): string {
  const memory = new Uint8Array(raw.memory.buffer);
  raw.begin();
  for (let offset = 0; offset < message.length; offset += chunk) {
    const part = message.subarray(offset, offset + chunk);
    memory.set(part, raw.INPUT.value as number);
    raw.absorb(part.length);
  }
  raw.digest();
  return digestHex(raw);
}

function digestHex(raw: NonceSearchExports): string {
  const at = raw.DIGEST.value as number;
  return Buffer.from(new Uint8Array(raw.memory.buffer, at, 32)).toString('hex');
}

/** SHA-256(prefix || nonce) as the search's hot path computes it: target 2^256 - 1, one nonce. */
function wasmNonceHash(raw: NonceSearchExports, prefix: Uint8Array, nonce: bigint): string {
  new Uint8Array(raw.memory.buffer).set(prefix, raw.INPUT.value as number);
  raw.begin();
  raw.absorb(prefix.length);
  new Uint32Array(raw.memory.buffer, raw.TARGET.value as number, 8).fill(0xffff_ffff);
  raw.prepare();
  expect(raw.search(Number(nonce >> 32n), Number(nonce & 0xffff_ffffn), 1)).toBe(1);
  return digestHex(raw);
}

function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

function nonceBytes(nonce: bigint): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(nonce);
  return bytes;
}

/** The reference: a plain node:crypto scan of [start, end). */
function scan(prefix: Uint8Array, target: bigint, start: bigint, end: bigint): SearchResult {
  for (let nonce = start; nonce < end; nonce++) {
    const hash = BigInt(`0x${sha256(prefix, nonceBytes(nonce)).toString('hex')}`);
    if (hash <= target) return { nonce, tried: Number(nonce - start + 1n) };
  }
  return { nonce: null, tried: Number(end - start) };
}

function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}

describe('wasm build', () => {
  it('runs where WebAssembly SIMD is supported (Node.js 20 always is)', () => {
    expect(simdSupported()).toBe(true);
  });

  it('compiles each build once', () => {
    expect(wasmModule('scalar')).toBe(wasmModule('scalar'));
    expect(wasmModule('simd')).not.toBe(wasmModule('scalar'));
  });

  it('names the engines', () => {
    expect(createWasmEngine('scalar').name).toBe('wasm');
    expect(createWasmEngine('simd').name).toBe('wasm-simd');
    expect(createWasmEngine('simd', wasmModule('simd')).name).toBe('wasm-simd');
  });
});

describe.each(FLAVORS)('SHA-256 in the %s build', (flavor) => {
  const raw = rawInstance(flavor);

  it('matches the FIPS 180-4 example vectors', () => {
    const text = (s: string): Uint8Array => new TextEncoder().encode(s);
    expect(wasmSha256(raw, text('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(wasmSha256(raw, text(''))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(wasmSha256(raw, text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    expect(wasmSha256(raw, new Uint8Array(1_000_000).fill(0x61))).toBe(
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    );
  });

  it('matches node:crypto on every length from 0 to 200 bytes', () => {
    for (let length = 0; length <= 200; length++) {
      const message = bytes(length, length);
      expect(wasmSha256(raw, message), `length ${length}`).toBe(sha256(message).toString('hex'));
    }
  });

  it('matches node:crypto on random messages absorbed in random chunks, up to past the input buffer', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 70_000, size: 'max' }),
        fc.integer({ min: 1, max: 65_536 }),
        (message, chunk) => wasmSha256(raw, message, chunk) === sha256(message).toString('hex'),
      ),
      { numRuns: 30 },
    );
  });
});

describe.each(FLAVORS)('nonce search in the %s build', (flavor) => {
  const engine = createWasmEngine(flavor);

  it('hashes prefix || nonce like node:crypto wherever the nonce falls in its block', () => {
    const raw = rawInstance(flavor);
    // Tail lengths 0..63 twice over: one or two final blocks, the nonce aligned or not,
    // inside block 0, at its end, or straddling into block 1.
    for (let length = 32; length < 32 + 128; length++) {
      const prefix = bytes(length, 3);
      for (const nonce of [0n, 0x0123_4567_89ab_cdefn, 0xffff_ffffn, NONCE_LIMIT - 1n]) {
        expect(wasmNonceHash(raw, prefix, nonce), `prefix ${length}, nonce ${nonce}`).toBe(
          sha256(prefix, nonceBytes(nonce)).toString('hex'),
        );
      }
    }
  });

  it('returns the first nonce of any range when every hash qualifies, and nothing for an empty range', () => {
    for (let length = 32; length < 32 + 64; length++) {
      const searcher = engine.prepare(bytes(length, 3), MAX_TARGET);
      for (const start of [0n, 0xffff_fffen, NONCE_LIMIT - 1n]) {
        expect(searcher.search(start, start + 1n)).toEqual({ nonce: start, tried: 1 });
      }
      expect(searcher.search(5n, 5n)).toEqual({ nonce: null, tried: 0 });
    }
  });

  it('finds the same first nonce as a node:crypto scan for every alignment of the nonce', () => {
    for (let length = 32; length < 32 + 128; length++) {
      const prefix = bytes(length, length);
      const target = 1n << 253n; // about one nonce in eight qualifies
      for (const start of [0n, 0xffff_fff0n, 0xffff_fff1n, 0xffff_fff2n, 0xffff_fff3n, NONCE_LIMIT - 30n]) {
        const end = start + 30n;
        expect(engine.prepare(prefix, target).search(start, end), `prefix ${length}, start ${start}`).toEqual(
          scan(prefix, target, start, end),
        );
      }
    }
  });

  it('agrees with a node:crypto scan on random prefixes, ranges and targets', () => {
    const start = fc.oneof(
      fc.bigInt({ min: 0n, max: NONCE_LIMIT - 1n }),
      fc.bigInt({ min: 0xffff_ff00n, max: 0x1_0000_0100n }), // crossing 2^32
      fc.bigInt({ min: NONCE_LIMIT - 300n, max: NONCE_LIMIT - 1n }), // reaching 2^64 - 1
      fc.bigInt({ min: 0n, max: 1000n }),
    );
    const target = fc.oneof(
      fc.bigInt({ min: 1n << 250n, max: MAX_TARGET }), // hits are common
      fc.bigInt({ min: 0n, max: 1n << 200n }), // effectively never
      fc.constant(0n),
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 2000 }),
        start,
        fc.integer({ min: 0, max: 300 }),
        target,
        (prefix, from, length, bound) => {
          const end = from + BigInt(length) > NONCE_LIMIT ? NONCE_LIMIT : from + BigInt(length);
          const expected = scan(prefix, bound, from, end);
          const actual = engine.prepare(prefix, bound).search(from, end);
          expect(actual).toEqual(expected);
          if (actual.nonce !== null) {
            expect(actual.nonce >= from && actual.nonce < end).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('on the fast layout (prefix length mod 64 = 48), settles a tie in hash word 0 with the full hash', () => {
    // The fast kernel computes hash word 0 only; a nonce whose word 0 equals target word 0
    // must be accepted or refused by the other seven words.
    for (const length of [48, 112, 176]) {
      const prefix = bytes(length, length);
      for (const nonce of [5n, 0xffff_ffffn, 0x1_0000_0003n, NONCE_LIMIT - 2n]) {
        const hash = BigInt(`0x${sha256(prefix, nonceBytes(nonce)).toString('hex')}`);
        const word0 = hash >> 224n;
        const rest = (1n << 224n) - 1n;
        const search = (target: bigint): SearchResult => engine.prepare(prefix, target).search(nonce, nonce + 1n);
        const context = `prefix ${length}, nonce ${nonce}`;
        expect(search(hash), context).toEqual({ nonce, tried: 1 });
        expect(search((word0 << 224n) | rest), context).toEqual({ nonce, tried: 1 });
        expect(search(hash - 1n), context).toEqual({ nonce: null, tried: 1 });
        expect(search(word0 << 224n), context).toEqual(
          hash === word0 << 224n ? { nonce, tried: 1 } : { nonce: null, tried: 1 },
        );
      }
    }
  });

  it('continues a search across consecutive batches as one range', () => {
    const prefix = bytes(48, 9);
    const target = 1n << 251n;
    const searcher = engine.prepare(prefix, target);
    const whole = scan(prefix, target, 0xffff_fffan, 0x1_0000_0200n);
    let start = 0xffff_fffan;
    let tried = 0;
    let found: bigint | null = null;
    while (found === null && start < 0x1_0000_0200n) {
      const end = start + 7n < 0x1_0000_0200n ? start + 7n : 0x1_0000_0200n;
      const result = searcher.search(start, end);
      tried += result.tried;
      found = result.nonce;
      start = end;
    }
    expect({ nonce: found, tried }).toEqual(whole);
  });

  it('keeps searchers of one engine apart, and absorbs prefixes larger than its input buffer', () => {
    const big = bytes(70_001, 1);
    const small = bytes(80, 2);
    const target = 1n << 252n;
    const first = engine.prepare(big, target);
    const second = engine.prepare(small, target);
    expect(first.search(1000n, 1200n)).toEqual(scan(big, target, 1000n, 1200n));
    expect(second.search(1000n, 1200n)).toEqual(scan(small, target, 1000n, 1200n));
    expect(first.search(2000n, 2200n)).toEqual(scan(big, target, 2000n, 2200n));
  });

  it('rejects targets and ranges outside the interface', () => {
    expect(() => engine.prepare(bytes(40, 0), 1n << 256n)).toThrow(RangeError);
    const searcher = engine.prepare(bytes(40, 0), 1n);
    expect(() => searcher.search(10n, 9n)).toThrow(RangeError);
    expect(() => searcher.search(0n, NONCE_LIMIT + 1n)).toThrow(RangeError);
  });
});
