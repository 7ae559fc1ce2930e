import { describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import {
  HASH_BYTES,
  HASH_SPACE,
  MAX_DATAGRAM_BYTES,
  MAX_DATA_BYTES,
  MAX_TARGET,
  NONCE_BYTES,
  NONCE_LIMIT,
} from '../src/primitives/limits.js';
import { encodeBlock } from '../src/primitives/wire.js';

/** Length of the seed's encoding of a block with `dataBytes` bytes of data. */
const encodedLength = (dataBytes: number): number =>
  `{"data": "${Buffer.alloc(dataBytes).toString('base64')}", "previous_hash": "${'0'.repeat(64)}", "p_o_w": "${'0'.repeat(16)}"}`
    .length;

describe('limits', () => {
  it('are the sizes of SHA-256 and of a 64-bit nonce', () => {
    expect(HASH_BYTES).toBe(32);
    expect(NONCE_BYTES).toBe(8);
    expect(NONCE_LIMIT).toBe(2n ** 64n);
    expect(HASH_SPACE).toBe(2n ** 256n);
    expect(MAX_TARGET).toBe(2n ** 256n - 1n);
  });

  it('take the largest UDP payload over IPv4 as the datagram limit', () => {
    expect(MAX_DATAGRAM_BYTES).toBe(65_535 - 8 - 20);
  });

  it('allow exactly the largest data whose block still fits in one datagram', () => {
    expect(MAX_DATA_BYTES).toBe(49_035);
    expect(encodedLength(MAX_DATA_BYTES)).toBeLessThanOrEqual(MAX_DATAGRAM_BYTES);
    expect(encodedLength(MAX_DATA_BYTES + 1)).toBeGreaterThan(MAX_DATAGRAM_BYTES);
    // The formula above is the encoder's own.
    const largest = new Block(new Uint8Array(MAX_DATA_BYTES), new Uint8Array(32), 2n ** 64n - 1n);
    expect(encodeBlock(largest).length).toBe(encodedLength(MAX_DATA_BYTES));
  });
});
