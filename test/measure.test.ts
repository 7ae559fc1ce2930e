import { describe, expect, it } from 'vitest';
import { MIN_MESSAGE_BYTES, calibrateHashrate, measureHashrate, median, samplePrefix } from '../src/hashing/measure.js';

describe('samplePrefix', () => {
  it('makes data || parent for a message of any size from the smallest, the nonce included', () => {
    for (const bytes of [MIN_MESSAGE_BYTES, 56, 57, 1_000]) {
      const { data, previousHash } = samplePrefix(bytes);
      expect(data.length + previousHash.length + 8).toBe(bytes);
      expect(previousHash).toHaveLength(32);
    }
    expect(Buffer.from(samplePrefix(56).data).toString()).toBe('127.0.0.1:5000:0');
  });

  it('refuses a message one byte shorter than a parent hash and a nonce', () => {
    expect(() => samplePrefix(MIN_MESSAGE_BYTES - 1)).toThrow(RangeError);
  });
});

describe('median', () => {
  it('is the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });
});

describe('measureHashrate', () => {
  it('measures an engine through the pool: one rate per sample, the median of them', { timeout: 30_000 }, async () => {
    const measured = await measureHashrate({ engine: 'js', threads: 1, seconds: 0.3, samples: 3, warmupMs: 50 });
    expect(measured.engine).toBe('js');
    expect(measured.samples).toHaveLength(3);
    for (const rate of measured.samples) expect(rate).toBeGreaterThan(0);
    expect(measured.hashesPerSecond).toBe(median(measured.samples));
  });

  it('refuses to measure for no time or in no sample', async () => {
    await expect(measureHashrate({ engine: 'js', threads: 1, seconds: 0 })).rejects.toThrow(RangeError);
    await expect(measureHashrate({ engine: 'js', threads: 1, seconds: 1, samples: 0 })).rejects.toThrow(RangeError);
  });

  it('calibrates one thread quickly', { timeout: 30_000 }, async () => {
    expect(await calibrateHashrate('js')).toBeGreaterThan(0);
  });
});
