/**
 * A block computes its hash once: hash() and hashHex() after the first call answer from the
 * block's buffer. node:crypto's hash is wrapped here (vi.mock is hoisted above the imports)
 * to count the SHA-256 calls.
 */
import { describe, expect, it, vi } from 'vitest';
import { Block } from '../src/primitives/block.js';

const calls = vi.hoisted(() => ({ sha256: 0 }));

vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  const count = <T extends (...args: never[]) => unknown>(fn: T): T =>
    ((...args: Parameters<T>) => {
      calls.sha256++;
      return fn(...args);
    }) as T;
  return { ...original, hash: count(original.hash), createHash: count(original.createHash) };
});

describe('block hash', () => {
  it('is computed once, whichever of hash() and hashHex() asks first', () => {
    const first = new Block('hash first', undefined, 1n);
    const before = calls.sha256;
    const hash = first.hash();
    expect(first.hash()).toEqual(hash);
    expect(first.hashHex()).toBe(Buffer.from(hash).toString('hex'));
    expect(calls.sha256 - before).toBe(1);

    const second = new Block('hex first', undefined, 1n);
    const hex = second.hashHex();
    expect(second.hashHex()).toBe(hex);
    expect(Buffer.from(second.hash()).toString('hex')).toBe(hex);
    expect(calls.sha256 - before).toBe(2);
  });
});
