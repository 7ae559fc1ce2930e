/**
 * verifyMessage when OpenSSL throws at verification time (some malformed keys, on some
 * builds): the answer is false, never an exception. node:crypto's verify is replaced here
 * (vi.mock is hoisted above the imports) so that the throw happens on demand.
 */
import { describe, expect, it, vi } from 'vitest';
import { generateKeyPair, signMessage, verifyMessage } from '../src/primitives/keys.js';

const failure = vi.hoisted(() => ({ next: undefined as Error | undefined }));

vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  return {
    ...original,
    verify: (...args: Parameters<typeof original.verify>) => {
      const error = failure.next;
      failure.next = undefined;
      if (error !== undefined) throw error;
      return original.verify(...args);
    },
  };
});

describe('verifyMessage when verification throws', () => {
  it('answers false for a signature it would otherwise accept', () => {
    const keys = generateKeyPair();
    const message = new Uint8Array(32).fill(7);
    const signature = signMessage(message, keys.privateKey);
    expect(verifyMessage(message, keys.publicKey, signature)).toBe(true);
    failure.next = new Error('error:1E08010C:DECODER routines::unsupported');
    expect(verifyMessage(message, keys.publicKey, signature)).toBe(false);
    expect(failure.next).toBeUndefined();
  });
});
