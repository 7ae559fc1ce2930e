/**
 * targetBytes converts a target once and answers the same bytes while the target stays the
 * same (a node checks every block against one target). bytes.js's bigIntToBytes is wrapped
 * here (vi.mock is hoisted above the imports) to count the conversions.
 */
import { describe, expect, it, vi } from 'vitest';
import { MAX_TARGET } from '../src/primitives/limits.js';
import { targetBytes } from '../src/primitives/target.js';

const calls = vi.hoisted(() => ({ conversions: 0 }));

vi.mock('../src/primitives/bytes.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/primitives/bytes.js')>();
  return {
    ...original,
    bigIntToBytes: (...args: Parameters<typeof original.bigIntToBytes>) => {
      calls.conversions++;
      return original.bigIntToBytes(...args);
    },
  };
});

describe('targetBytes cache', () => {
  it('converts a target once while it stays the same, and again when it changes', () => {
    const before = calls.conversions;
    const first = targetBytes(1n << 200n);
    expect(targetBytes(1n << 200n)).toBe(first);
    expect(calls.conversions - before).toBe(1);
    expect(first[6]).toBe(1);
    targetBytes(1n << 201n);
    expect(calls.conversions - before).toBe(2);
    // Every target above 2^256 - 1 is clamped to it: one conversion for them all.
    targetBytes(MAX_TARGET + 1n);
    targetBytes(1n << 300n);
    targetBytes(MAX_TARGET);
    expect(calls.conversions - before).toBe(3);
  });
});
