import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../src/cli/line-splitter.js';

type Seen = { line: string } | { tooLong: number };

function split(chunks: Buffer[], maxBytes: number): Seen[] {
  const seen: Seen[] = [];
  const splitter = new LineSplitter(maxBytes, {
    line: (bytes) => seen.push({ line: Buffer.from(bytes).toString('latin1') }),
    tooLong: (bytes) => seen.push({ tooLong: bytes }),
  });
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return seen;
}

/** What the splitter must answer, computed on the whole input at once. */
function reference(input: string, maxBytes: number): Seen[] {
  if (input.length === 0) return [];
  const lines = input.split('\n');
  if (input.endsWith('\n')) lines.pop();
  return lines.map((raw) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    return line.length > maxBytes ? { tooLong: line.length } : { line };
  });
}

describe('LineSplitter', () => {
  it('gives every line once, whatever the chunk boundaries; lines over the limit by their length', () => {
    const line = fc.oneof(
      fc.string({ unit: fc.constantFrom('a', 'b', '\r'), maxLength: 14 }),
      fc.integer({ min: 0, max: 14 }).map((n) => 'x'.repeat(n) + '\r'),
    );
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 12 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 10 }),
        (lines, finalNewline, cuts, maxBytes) => {
          const input = lines.join('\n') + (finalNewline && lines.length > 0 ? '\n' : '');
          const bytes = Buffer.from(input, 'latin1');
          const chunks: Buffer[] = [];
          for (let at = 0, i = 0; at < bytes.length; i++) {
            const size = cuts[i % cuts.length]!;
            chunks.push(bytes.subarray(at, at + size));
            at += size;
          }
          expect(split(chunks, maxBytes)).toEqual(reference(input, maxBytes));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('accepts a line of exactly the limit, with or without a \\r before its \\n, split anywhere', () => {
    for (let cut = 1; cut < 7; cut++) {
      const input = Buffer.from('12345\r\n123456\n1234\r');
      expect(split([input.subarray(0, cut), input.subarray(cut)], 5)).toEqual([
        { line: '12345' },
        { tooLong: 6 },
        { line: '1234' },
      ]);
    }
  });

  it('counts a 200 MB line without keeping it: memory stays bounded by the limit', () => {
    const chunk = Buffer.alloc(1 << 16, 0x78);
    const seen: Seen[] = [];
    const splitter = new LineSplitter(65_507, {
      line: (bytes) => seen.push({ line: Buffer.from(bytes).toString('latin1') }),
      tooLong: (bytes) => seen.push({ tooLong: bytes }),
    });
    const before = process.memoryUsage().arrayBuffers;
    let most = 0;
    for (let i = 0; i < 3200; i++) {
      splitter.push(chunk);
      if (i % 100 === 0) most = Math.max(most, process.memoryUsage().arrayBuffers - before);
    }
    splitter.push(Buffer.from('\nnext\n'));
    splitter.end();
    expect(seen).toEqual([{ tooLong: 3200 * chunk.length }, { line: 'next' }]);
    expect(most).toBeLessThan(8 << 20);
  });
});
